using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Retention.Ui.Tests;

/// <summary>The business calendars and staff directory page: versions shown, a draft imported (errors at their field) and published.</summary>
[Collection(UiCollection.Name)]
public sealed class ReferenceDataPageTests(UiHost host, ITestOutputHelper output)
{
    private string Url(string hash) => $"{host.BaseUrl}/workspace/{hash}";

    [Fact]
    public async Task AStaffDirectoryVersionIsImportedAndPublishedFromTheWorkspace()
    {
        var (context, page, problems) = await host.OpenAsync();
        await using var _ = context;
        await page.GotoAsync(Url("#/reference"));
        await Expect(page.Locator("#reference-calendars tr[data-version='1']")).ToBeVisibleAsync();
        var before = (await host.Api().GetFromJsonAsync<JsonObject>("/api/staff"))!["latestVersion"]!.GetValue<int>();
        await Expect(page.Locator($"#reference-staff tr[data-version='{before}']")).ToBeVisibleAsync();

        await page.Locator("#import-staff").FillAsync("""{ "default": { "supervisor": 7 } }""");
        await page.Locator("#save-staff").ClickAsync();
        await Expect(page.Locator("#reference-staff .error code")).ToHaveTextAsync("/default/supervisor");

        await page.Locator("#import-staff").FillAsync("""{ "default": { "supervisor": "sup-ui" } }""");
        await page.Locator("#save-staff").ClickAsync();
        await page.Locator("#publish-staff").ClickAsync();
        await Expect(page.Locator($"#reference-staff tr[data-version='{before + 1}']")).ToBeVisibleAsync();
        await page.SaveScreenshotAsync("reference-data", output);

        var staff = (await host.Api().GetFromJsonAsync<JsonObject>("/api/staff"))!;
        Assert.Equal(before + 1, staff["latestVersion"]!.GetValue<int>());
        Assert.Equal("sup-ui", staff["latest"]!["default"]!["supervisor"]!.GetValue<string>());
        Assert.Empty(problems);
    }

    [Fact]
    public async Task ThePageIsInChineseForABrowserThatPrefersChinese()
    {
        var (context, page, problems) = await host.OpenAsync(locale: "zh-CN");
        await using var _ = context;
        await page.GotoAsync(Url("#/reference"));
        await Expect(page.Locator("h1")).ToHaveTextAsync("工作日历与人员目录");
        await Expect(page.Locator("#reference-calendars h2")).ToHaveTextAsync("工作日历");
        await page.SaveScreenshotAsync("reference-data-zh-CN", output);
        Assert.Empty(problems);
    }
}
