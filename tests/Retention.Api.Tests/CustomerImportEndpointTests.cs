using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Retention.Testing;

namespace Retention.Api.Tests;

/// <summary><c>POST /api/customers/imports</c> on the real host: a CSV upload is applied behind its 202, its progress and row errors readable, the same file again a 200.</summary>
public sealed class CustomerImportEndpoint : IDisposable
{
    private const string Csv = """
        customerId,name,phone,locale,consent.sms,birthday
        CI1,Ada,+8613800000001,en,opted-in,1990-03-10
        CI2,"Lee, Bo",not-a-phone,en,opted-in,
        CI3,Kim,+8613800000003,zh-CN,opted-out,

        """;

    private readonly RetentionFactory _host = new(virtualTime: true, []);

    public void Dispose() => _host.Dispose();

    private static StringContent File(string text, string contentType) => new(text, Encoding.UTF8, contentType);

    [Fact]
    public async Task ACsvUploadIsAppliedBehindA202WithItsBadRowNamedAndTheSameFileAgainIsA200()
    {
        var admin = _host.Admin();

        var created = await admin.PostAsync("/api/customers/imports", File(Csv, "text/csv"));
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
        Assert.Equal($"/api/customers/imports/{id}", created.Headers.Location?.OriginalString);

        var import = await Progress.UntilAsync("the import to complete",
            () => admin.GetFromJsonAsync<JsonObject>($"/api/customers/imports/{id}"), i => i["status"]!.GetValue<string>() == "completed");
        Assert.Equal((4, 2, 1), (import["linesRead"]!.GetValue<int>(), import["accepted"]!.GetValue<int>(), import["rejected"]!.GetValue<int>()));
        Assert.Equal("/lines/3/phone", Assert.Single(import["errors"]!.AsArray())!["path"]!.GetValue<string>());
        await _host.RunUntilIdleAsync(); // the drain applies the rows
        var ada = (await admin.GetFromJsonAsync<JsonObject>("/api/customers/CI1"))!;
        Assert.Equal("opted-in", ada["consent"]!["sms"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/api/customers/CI2")).StatusCode);

        var again = await admin.PostAsync("/api/customers/imports", File(Csv, "text/csv"));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(id, (await again.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task RefusesAnotherContentTypeAndAHeaderWithoutCustomerId()
    {
        var admin = _host.Admin();

        var json = await admin.PostAsync("/api/customers/imports", File("""{"customerId":"CI9"}""", "application/json"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, json.StatusCode);
        var headerless = await admin.PostAsync("/api/customers/imports", File("name,phone\nAda,+8613800000009\n", "text/csv"));
        Assert.Equal(HttpStatusCode.BadRequest, headerless.StatusCode);
        Assert.Equal(["/lines/1"], await ProblemResponses.ErrorPathsAsync(headerless));
    }
}
