using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Retention.Api.Security;
using Retention.Testing;
using static Retention.Testing.ProblemResponses;

namespace Retention.Api.Tests;

/// <summary>The journey lifecycle over HTTP on the real host: drafts, publish, versions, diff, export/import, roles, audit, counts, simulate.</summary>
public sealed class JourneyLifecycle : IDisposable
{
    private static string Life(string text, string extraStep = "", string start = "w") => $$"""
        { "id": "life", "name": "Life", "trigger": { "type": "event", "event": "sale.completed" }, "entry": { "policy": "always" },
          "start": "{{start}}", "steps": [{{extraStep}}
            { "id": "w", "type": "wait", "duration": "PT1H", "next": "s" },
            { "id": "s", "type": "send", "channel": "sms", "template": "t", "category": "service" } ],
          "templates": { "t": { "sms": { "en": "{{text}}" } } } }
        """;

    private readonly RetentionFactory _host = new(virtualTime: true, [Life("version one"), File.ReadAllText(Path.Combine(RepoPaths.ShippedJourneys, "post-sale-follow-up.json"))], new()
    {
        ["Retention:Admin:Keys:1:Name"] = "an editor",
        ["Retention:Admin:Keys:1:Key"] = "editor-key",
        ["Retention:Admin:Keys:1:Roles:0"] = "editor",
        ["Retention:Admin:Keys:2:Name"] = "a viewer",
        ["Retention:Admin:Keys:2:Key"] = "viewer-key",
        ["Retention:Admin:Keys:2:Roles:0"] = "viewer",
    });

    public void Dispose() => _host.Dispose();

    private HttpClient As(string key)
    {
        var client = _host.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        return client;
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task AnInvalidDraftIsRefusedWithItsPathsAndNothingIsSaved()
    {
        var admin = _host.Admin();
        var invalid = Life("x").Replace("\"next\": \"s\"", "\"nxt\": \"s\"", StringComparison.Ordinal).Replace("\"template\": \"t\"", "\"template\": \"missing\"", StringComparison.Ordinal);

        var paths = await ErrorPathsAsync(await admin.PutAsync("/api/journeys/life/draft", Json(invalid)));
        Assert.Contains("/steps/0/nxt", paths);
        Assert.Contains("/steps/1/template", paths);
        Assert.Equal(["/id"], await ErrorPathsAsync(await admin.PutAsync("/api/journeys/other/draft", Json(Life("x")))));
        var badTemplate = Life("x").Replace("\"en\": \"x\"", "\"en\": \"{{ customer.nmae }}\"", StringComparison.Ordinal);
        Assert.Contains(await ErrorPathsAsync(await admin.PutAsync("/api/journeys/life/draft", Json(badTemplate))), p => p.StartsWith("/templates/t", StringComparison.Ordinal));

        var detail = await admin.GetFromJsonAsync<JsonObject>("/api/journeys/life");
        Assert.Null(detail!["draft"]);
        Assert.Equal(HttpStatusCode.Conflict, (await admin.PostAsync("/api/journeys/life/publish", null)).StatusCode); // nothing to publish
    }

    [Fact]
    public async Task PublishingWithoutADraftIsAConflict()
    {
        var response = await _host.Admin().PostAsync("/api/journeys/life/publish", Json("""{ "inFlight": "keep" }"""));
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task ADraftPublishesAsTheNextImmutableVersionWithWhoAndWhen()
    {
        var admin = _host.Admin();
        var saved = await admin.PutAsync("/api/journeys/life/draft", Json(Life("version two")));
        Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
        Assert.True((await saved.Content.ReadFromJsonAsync<JsonObject>())!["valid"]!.GetValue<bool>());
        var listed = (await admin.GetFromJsonAsync<JsonArray>("/api/journeys"))!.Single(j => j!["id"]!.GetValue<string>() == "life")!;
        Assert.Equal((1, true), (listed["activeVersion"]!.GetValue<int>(), listed["hasDraft"]!.GetValue<bool>()));
        Assert.Equal("local admin", (await admin.GetFromJsonAsync<JsonObject>("/api/journeys/life"))!["draft"]!["savedBy"]!.GetValue<string>());

        var published = await (await admin.PostAsync("/api/journeys/life/publish", null)).Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal(2, published!["version"]!.GetValue<int>());

        var detail = await admin.GetFromJsonAsync<JsonObject>("/api/journeys/life");
        Assert.Equal(2, detail!["activeVersion"]!.GetValue<int>());
        Assert.Null(detail["draft"]);
        var versions = detail["versions"]!.AsArray();
        Assert.Equal([(1, "seed"), (2, "local admin")], versions.Select(v => (v!["version"]!.GetValue<int>(), v["publishedBy"]!.GetValue<string>())));
        Assert.Equal(_host.Now, versions[1]!["publishedAt"]!.GetValue<DateTimeOffset>());
        Assert.Contains("version one", await admin.GetStringAsync("/api/journeys/life/versions/1"), StringComparison.Ordinal);
        Assert.Contains("version two", await admin.GetStringAsync("/api/journeys/life/versions/2"), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await admin.PutAsync("/api/journeys/life/versions/1", Json(Life("changed")))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/api/journeys/life/versions/3")).StatusCode);

        var audit = await admin.GetFromJsonAsync<JsonObject>("/api/audit");
        var entry = audit!["items"]!.AsArray().First(e => e!["route"]!.GetValue<string>() == "/api/journeys/{id}/publish")!;
        Assert.Equal(("local admin", "life", """{"activeVersion":1}"""), (entry["actor"]!.GetValue<string>(), entry["targetId"]!.GetValue<string>(), entry["before"]!.GetValue<string>()));
        Assert.Contains("\"activeVersion\":2", entry["after"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheDiffMatchesStepsById()
    {
        var admin = _host.Admin();
        var inserted = """{ "id": "hello", "type": "send", "channel": "sms", "template": "t", "category": "service", "next": "w" },""";
        await admin.PutAsync("/api/journeys/life/draft", Json(Life("changed text", inserted, start: "hello")));

        var diff = await admin.GetFromJsonAsync<JsonObject>("/api/journeys/life/diff");

        Assert.Equal((1, "draft"), (diff!["from"]!.GetValue<int>(), diff["to"]!.GetValue<string>()));
        var changes = diff["changes"]!.AsArray().Select(c => (c!["path"]!.GetValue<string>(), c["op"]!.GetValue<string>())).ToList();
        Assert.Equal([("/start", "changed"), ("/steps/hello", "added"), ("/templates/t/sms/en", "changed")], changes.Order());
        var text = diff["changes"]!.AsArray().Single(c => c!["path"]!.GetValue<string>() == "/templates/t/sms/en")!;
        Assert.Equal(("version one", "changed text"), (text["before"]!.GetValue<string>(), text["after"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.GetAsync("/api/journeys/life/diff?from=latest")).StatusCode);
    }

    [Fact]
    public async Task ExportAndImportRoundTrip()
    {
        var admin = _host.Admin();
        var export = await admin.GetAsync("/api/journeys/life/export");
        Assert.Equal("attachment", export.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal("life-v1.json", export.Content.Headers.ContentDisposition?.FileName);
        var json = await export.Content.ReadAsStringAsync();
        Assert.Equal(Life("version one"), json);

        var editor = As("editor-key");
        Assert.Equal(HttpStatusCode.OK, (await editor.PostAsync("/api/journeys/import", Json(json))).StatusCode);
        var diff = await admin.GetFromJsonAsync<JsonObject>("/api/journeys/life/diff?from=1&to=draft");
        Assert.Empty(diff!["changes"]!.AsArray());
        Assert.Equal(json, await admin.GetStringAsync("/api/journeys/life/export?draft=true"));

        // A new id imports as a new journey that has only a draft.
        var fresh = Life("new").Replace("\"life\"", "\"brand-new\"", StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await editor.PostAsync("/api/journeys/import", Json(fresh))).StatusCode);
        var listed = (await admin.GetFromJsonAsync<JsonArray>("/api/journeys"))!.Single(j => j!["id"]!.GetValue<string>() == "brand-new")!;
        Assert.Equal((0, true), (listed["activeVersion"]!.GetValue<int>(), listed["hasDraft"]!.GetValue<bool>()));
    }

    [Fact]
    public async Task AnEditorSavesButCannotPublishAndAViewerCannotSave()
    {
        var editor = As("editor-key");
        var viewer = As("viewer-key");
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PutAsync("/api/journeys/life/draft", Json(Life("v2")))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsync("/api/journeys/import", Json(Life("v2")))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await editor.PutAsync("/api/journeys/life/draft", Json(Life("v2")))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await editor.PostAsync("/api/journeys/life/publish", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.DeleteAsync("/api/journeys/life/draft")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await editor.DeleteAsync("/api/journeys/life/draft")).StatusCode);
        Assert.Null((await viewer.GetFromJsonAsync<JsonObject>("/api/journeys/life"))!["draft"]);
        Assert.Equal(HttpStatusCode.OK, (await viewer.PostAsync("/api/journeys/life/simulate", Json("""{ "customer": { "phone": "+8613800138000" } }"""))).StatusCode);
    }

    [Fact]
    public async Task MigrationWithAnUnmappedStepIsRefusedAndCountsShowTheInstance()
    {
        var admin = _host.Admin();
        await _host.CreateClient().PostAsync(Webhooks.Sale("L1", "S1"), _host.Now);
        await _host.RunUntilIdleAsync();
        await admin.PutAsync("/api/journeys/life/draft", Json(Life("version two")));

        var paths = await ErrorPathsAsync(await admin.PostAsync("/api/journeys/life/publish", Json("""{ "inFlight": "migrate", "mapping": { "s": "s" } }""")));

        Assert.Equal(["/mapping/w"], paths);
        var listed = (await admin.GetFromJsonAsync<JsonArray>("/api/journeys"))!.Single(j => j!["id"]!.GetValue<string>() == "life")!;
        Assert.Equal(1, listed["activeVersion"]!.GetValue<int>());
        Assert.Equal((1, 1, 0, 0), (listed["counts"]!["entries"]!.GetValue<int>(), listed["counts"]!["active"]!.GetValue<int>(),
            listed["counts"]!["converted"]!.GetValue<int>(), listed["counts"]!["holdout"]!.GetValue<int>()));
        var migrated = await (await admin.PostAsync("/api/journeys/life/publish", Json("""{ "inFlight": "migrate", "mapping": { "w": "w" } }"""))).Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal((2, 1, 0), (migrated!["version"]!.GetValue<int>(), migrated["migrated"]!.GetValue<int>(), migrated["kept"]!.GetValue<int>()));
        Assert.Equal(["/inFlight"], await ErrorPathsAsync(await admin.PostAsync("/api/journeys/life/publish", Json("""{ "inFlight": "later" }"""))));
    }

    [Fact]
    public async Task SimulatingTheShippedPostSaleJourneyThanksAt10LocalAndTakesTheReplyBranch()
    {
        var request = """
            { "source": "active",
              "customer": { "customerId": "C9", "name": "Li Lei", "phone": "+8613800138000", "locale": "en", "timeZone": "Asia/Shanghai" },
              "start": "2026-03-02T15:00:00+08:00",
              "trigger": { "type": "sale.completed", "data": { "saleId": "S1", "product": "Fund A" } },
              "events": [ { "after": "P8D", "type": "sms.received", "data": { "message": "5" } } ] }
            """;
        var first = await _host.Admin().PostAsync("/api/journeys/post-sale-follow-up/simulate", Json(request));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var result = await first.Content.ReadFromJsonAsync<JsonObject>();

        // Answered, so the score is recorded and the revisits (every 90 days without a tier) go on past the simulated span.
        Assert.Equal((1, "waiting"), (result!["version"]!.GetValue<int>(), result["outcome"]!.GetValue<string>()));
        Assert.Contains(result["timeline"]!.AsArray(), e => e!["stepId"]?.GetValue<string>() == "record-score");
        var thanks = result["timeline"]!.AsArray().First(e => e!["kind"]!.GetValue<string>() == "message")!;
        Assert.Equal(new DateTimeOffset(2026, 3, 3, 10, 0, 0, TimeSpan.FromHours(8)), thanks["at"]!.GetValue<DateTimeOffset>());
        Assert.Equal("Hi Li Lei, thank you for choosing Fund A. We are here if you need anything.", thanks["detail"]!["body"]!.GetValue<string>());
        Assert.Equal(("sms", "sent", 1), (thanks["detail"]!["channel"]!.GetValue<string>(), thanks["detail"]!["status"]!.GetValue<string>(), thanks["detail"]!["segments"]!.GetValue<int>()));
        Assert.Contains(result["timeline"]!.AsArray(), e => e!["kind"]!.GetValue<string>() == "event" && e["detail"]!["type"]!.GetValue<string>() == "sms.received");

        var again = await (await _host.Admin().PostAsync("/api/journeys/post-sale-follow-up/simulate", Json(request))).Content.ReadAsStringAsync();
        Assert.Equal(result.ToJsonString(), JsonNode.Parse(again)!.ToJsonString()); // deterministic
        Assert.Empty((await _host.Admin().GetFromJsonAsync<JsonObject>("/api/instances?customerId=C9"))!["items"]!.AsArray());
        Assert.Empty((await _host.CreateClient().GetFromJsonAsync<JsonArray>("/api/dev/outbox"))!); // nothing sent
    }

    [Fact]
    public async Task ASimulationOfAnUnsavedDefinitionOrWithBadInputIsRefusedWithPaths()
    {
        var admin = _host.Admin();
        var unsaved = new JsonObject
        {
            ["definition"] = JsonNode.Parse(Life("x").Replace("\"next\": \"s\"", "\"next\": \"nowhere\"", StringComparison.Ordinal)),
            ["customer"] = new JsonObject { ["phone"] = "+8613800138000" },
        };
        Assert.Contains("/definition/steps/0/next", await ErrorPathsAsync(await admin.PostAsync("/api/journeys/life/simulate", Json(unsaved.ToJsonString()))));
        Assert.Equal(["/events/0/at"], await ErrorPathsAsync(await admin.PostAsync("/api/journeys/life/simulate",
            Json("""{ "customer": {}, "start": "2026-03-02T09:00:00Z", "events": [ { "at": "2026-03-01T09:00:00Z", "type": "x.y" } ] }"""))));
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsync("/api/journeys/life/simulate", Json("""{ "customerId": "nobody" }"""))).StatusCode);

        var good = new JsonObject { ["definition"] = JsonNode.Parse(Life("unsaved text")), ["customer"] = new JsonObject { ["phone"] = "+8613800138000" }, ["start"] = "2026-03-02T09:00:00Z" };
        var result = await (await admin.PostAsync("/api/journeys/life/simulate", Json(good.ToJsonString()))).Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal(("draft", "completed"), (result!["version"]!.GetValue<string>(), result["outcome"]!.GetValue<string>()));
        Assert.Equal("unsaved text", result["timeline"]!.AsArray().Single(e => e!["kind"]!.GetValue<string>() == "message")!["detail"]!["body"]!.GetValue<string>());
    }
}
