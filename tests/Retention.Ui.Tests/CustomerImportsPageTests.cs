using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Retention.Core.Definitions;
using Retention.Core.Ports;
using Retention.Storage;
using Retention.Storage.Customers;
using Retention.Testing;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Retention.Ui.Tests;

/// <summary>The customer imports page: a file uploaded from the browser, its progress while it runs, and its result with each bad row by line and field.</summary>
[Collection(UiCollection.Name)]
public sealed class CustomerImportsPageTests(UiHost host, ITestOutputHelper output)
{
    private static readonly LocatorAssertionsToHaveTextOptions Generous = new() { Timeout = 120_000 };

    private string Url(string hash) => $"{host.BaseUrl}/workspace/{hash}";

    /// <summary>A CSV of 1,000 customers (lines 2 to 1001), of which the ones on <paramref name="badLines"/> have a phone that is not one.</summary>
    private static byte[] Customers(string run, params int[] badLines)
    {
        var csv = new StringBuilder("customerId,name,phone,locale\n");
        for (var line = 2; line <= 1001; line++)
        {
            csv.Append(System.Globalization.CultureInfo.InvariantCulture, $"{run}-{line},Customer {line},{(badLines.Contains(line) ? "not-a-phone" : $"+86139{line:D8}")},en\n");
        }
        return Encoding.UTF8.GetBytes(csv.ToString());
    }

    [Fact]
    public async Task AnUploadedFileIsImportedAndItsResultShowsEachBadRowByLineAndField()
    {
        var (context, page, problems) = await host.OpenAsync();
        await using var _ = context;
        await page.GotoAsync(Url("#/imports"));
        var run = "UP" + Guid.NewGuid().ToString("N")[..8];

        await page.Locator("#import-file").SetInputFilesAsync(new FilePayload { Name = "customers.csv", MimeType = "text/csv", Buffer = Customers(run, 17, 480, 1001) });
        await page.Locator("#import-upload").ClickAsync();

        await Expect(page.Locator("#import-progress")).ToBeVisibleAsync();
        await Expect(page.Locator("#import-result")).ToHaveTextAsync("Finished: 997 rows stored, 3 bad rows.", Generous);
        await Expect(page.Locator("#import-lines-read")).ToHaveTextAsync("1001 of 1001");
        await Expect(page.Locator("#import-progress tr[data-line]")).ToHaveCountAsync(3);
        await Expect(page.Locator("#import-progress tr[data-line] td:nth-child(1)")).ToHaveTextAsync(["17", "480", "1001"]);
        await Expect(page.Locator("#import-progress tr[data-line] td:nth-child(2)")).ToHaveTextAsync(["phone", "phone", "phone"]);
        var id = page.Url.Split("#/imports/")[1];
        await Expect(page.Locator($"#import-list tr[data-import='{id}'][data-status='completed']")).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await page.SaveScreenshotAsync("customer-import", output);

        var stored = (await host.Api().GetFromJsonAsync<JsonObject>($"/api/customers/imports/{id}"))!;
        Assert.Equal((997, 3), (stored["accepted"]!.GetValue<int>(), stored["rejected"]!.GetValue<int>()));
        Assert.Empty(problems);
    }

    [Fact]
    public async Task ARunningImportShowsItsProgressAndThenItsResultWithoutAReload()
    {
        // An import the host is not running (written to storage after it started): the test moves it as the runner would.
        var store = new CustomerImportStore(new StorageAccount(new StorageOptions { ConnectionString = TestStorage.ConnectionString, Prefix = host.Prefix }));
        var id = Guid.NewGuid().ToString("N");
        var now = DateTimeOffset.UtcNow;
        DefinitionError[] errors = [new("/lines/17/phone", "must be an E.164 phone number"), new("/lines/180/birthday", "must be a date as yyyy-MM-dd")];
        var running = new CustomerImport(id, CustomerImportFormat.Csv, "customerId,name,phone,birthday", 1001, 10, 100, CustomerImportStatus.Running, 3, 301, 298, 2, errors, now, now);
        Assert.True(await store.CreateAsync(running, [], CancellationToken.None));
        var (context, page, problems) = await host.OpenAsync();
        await using var _ = context;

        await page.GotoAsync(Url($"#/imports/{id}"));

        await Expect(page.Locator("#import-lines-read")).ToHaveTextAsync("301 of 1001");
        await Expect(page.Locator("#import-accepted")).ToHaveTextAsync("298");
        await Expect(page.Locator("#import-rejected")).ToHaveTextAsync("2");
        await Expect(page.Locator("#import-progress tr[data-line] td:nth-child(2)")).ToHaveTextAsync(["phone", "birthday"]);
        await Expect(page.Locator("#import-bar")).ToHaveAttributeAsync("max", "1001");
        await Expect(page.Locator("#import-result")).ToHaveCountAsync(0);
        await page.SaveScreenshotAsync("customer-import-running", output);

        var stored = (await store.GetAsync(id, CancellationToken.None))!;
        await store.SaveAsync(stored with { Status = CustomerImportStatus.Completed, ChunksDone = 10, LinesRead = 1001, Accepted = 998, UpdatedAt = DateTimeOffset.UtcNow }, CancellationToken.None);

        await Expect(page.Locator("#import-result")).ToHaveTextAsync("Finished: 998 rows stored, 2 bad rows.", Generous);
        await Expect(page.Locator("#import-lines-read")).ToHaveTextAsync("1001 of 1001");
        await Expect(page.Locator($"#import-list tr[data-import='{id}'][data-status='completed']")).ToBeVisibleAsync(new() { Timeout = 30_000 });
        Assert.Empty(problems);
    }
}
