using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Retention.Api.Composition;
using Retention.Api.Ingest;
using Retention.Application.Ingest;
using Retention.Core.Events;
using Retention.Storage.Customers;
using Retention.Testing;

namespace Retention.Api.Tests;

/// <summary>
/// Issue 15's classes of hostile and faulty input, against the real host on Azurite: every body-reading endpoint
/// (found from the endpoint data source, so a new one is covered), webhooks, route and query values, simulation
/// instants and the audit trail. A request's own fault is a 400 problem naming its path, never a 5xx.
/// </summary>
public sealed class HostileRequests : IDisposable
{
    private const string ApiJourney = """
        { "id": "api-start", "name": "API start", "trigger": { "type": "api" }, "start": "a",
          "steps": [ { "id": "a", "type": "exit", "outcome": "done" } ],
          "templates": { "hello": { "sms": { "en": "Hello {{ customer.name }}" } } } }
        """;

    private readonly RetentionFactory _host = new(virtualTime: true, [ApiJourney]);

    public void Dispose() => _host.Dispose();

    private static async Task<JsonObject> ProblemOf(HttpResponseMessage response, HttpStatusCode status, string what)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{what}: {(int)response.StatusCode} {text}");
        Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json", $"{what}: {response.Content.Headers.ContentType} {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    private static string[] PathsOf(JsonObject problem) => [.. problem["errors"]!.AsArray().Select(e => e!["path"]!.GetValue<string>())];

    private static async Task<string[]> BadRequestPathsAsync(HttpResponseMessage response, string what) =>
        PathsOf(await ProblemOf(response, HttpStatusCode.BadRequest, what));

    private static HttpRequestMessage Json(HttpMethod method, string path, string body) =>
        new(method, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };

    private List<RouteEndpoint> BodyEndpoints() =>
    [
        .. _host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.StartsWith("/api/", StringComparison.Ordinal)
                && (e.Metadata.GetMetadata<IAcceptsMetadata>() is not null || e.Metadata.GetMetadata<JsonBodyMetadata>() is not null)
                && e.Metadata.GetMetadata<ReadsOwnBodyMetadata>() is null),
    ];

    private static string SamplePath(RouteEndpoint endpoint) =>
        AdminEndpoints.SamplePath(endpoint).Replace("/x/start", "/api-start/start", StringComparison.Ordinal)
            .Replace("/x/templates/y/", "/api-start/templates/hello/", StringComparison.Ordinal);

    [Fact]
    public async Task EveryEndpointThatReadsABodyRefusesMalformedRepeatedMistypedAndMissingJsonWithItsPath()
    {
        var endpoints = BodyEndpoints();
        var routes = endpoints.Select(e => e.RoutePattern.RawText).ToList();
        Assert.True(endpoints.Count >= 11, $"found only {endpoints.Count}: {string.Join(", ", routes)}");
        foreach (var expected in new[] { "/api/dev/inbound-sms", "/api/journeys/{id}/start", "/api/tasks/{id}/complete", "/api/tasks/{id}/reassign",
            "/api/journeys/{id}/templates/{name}/preview", "/api/journeys/validate", "/api/journeys/import", "/api/journeys/{id}/draft", "/api/journeys/{id}/simulate" })
        {
            Assert.Contains(expected, routes);
        }
        var client = _host.Admin();
        var failures = new List<string>();
        foreach (var endpoint in endpoints)
        {
            var method = new HttpMethod(endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods[0]);
            var path = SamplePath(endpoint);
            var accepts = endpoint.Metadata.GetMetadata<IAcceptsMetadata>();
            var optional = endpoint.Metadata.GetMetadata<JsonBodyMetadata>()?.IsOptional ?? accepts!.IsOptional;
            var cases = new List<(string Body, string? Path)>
            {
                ("{\"a\":", null), ("{\"a\":1,}", null), ("{'a':1}", null), ("{} {}", null), ("\u0001", null),
                ("{\"x\":1,\"x\":2}", "/x"),
                ("{\"data\":{\"attributes\":{\"k\":1,\"k\":2}}}", "/data/attributes/k"),
                ("[]", ""), ("null", ""), ("\"text\"", ""), ("42", ""),
            };
            if (accepts?.RequestType is { } type && type != typeof(JsonObject))
            {
                foreach (var parameter in type.GetConstructors().Single().GetParameters())
                {
                    var name = char.ToLowerInvariant(parameter.Name![0]) + parameter.Name[1..];
                    cases.Add(($"{{\"{name}\":[1,2]}}", "/" + name));
                }
            }
            foreach (var (body, expectedPath) in cases)
            {
                using var request = Json(method, path, body);
                var response = await client.SendAsync(request);
                var text = await response.Content.ReadAsStringAsync();
                if (response.StatusCode != HttpStatusCode.BadRequest || response.Content.Headers.ContentType?.MediaType != "application/problem+json")
                {
                    failures.Add($"{method} {path} {body}: {(int)response.StatusCode} {text}");
                    continue;
                }
                var paths = PathsOf(JsonNode.Parse(text)!.AsObject());
                if (paths.Length == 0 || (expectedPath is not null && !paths.Contains(expectedPath)))
                {
                    failures.Add($"{method} {path} {body}: paths [{string.Join(", ", paths)}], expected {expectedPath ?? "any"}");
                }
            }
            if (!optional)
            {
                using var empty = new HttpRequestMessage(method, path) { Content = new ByteArrayContent([]) };
                empty.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                var response = await client.SendAsync(empty);
                if (response.StatusCode != HttpStatusCode.BadRequest)
                {
                    failures.Add($"{method} {path} with no body: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                }
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} answers were not a 400 problem with the path:\n{string.Join('\n', failures)}");
    }

    [Fact]
    public async Task NamesTheMissingFieldsOfInboundSmsStartReassignAndSimulate()
    {
        var client = _host.Admin();
        Assert.Equal(["/from", "/message"], (await BadRequestPathsAsync(await client.PostAsJsonAsync("/api/dev/inbound-sms", new { to = "+10000" }), "inbound-sms")).Order());
        Assert.Equal(["/customerId"], await BadRequestPathsAsync(await client.PostAsJsonAsync("/api/journeys/api-start/start", new { key = "k" }), "start"));
        Assert.Equal(["/ownerId"], await BadRequestPathsAsync(await client.PostAsJsonAsync("/api/tasks/nope/reassign", new { }), "reassign"));
        Assert.Equal(["/customer"], await BadRequestPathsAsync(await client.PostAsJsonAsync("/api/journeys/api-start/simulate", new { }), "simulate"));
        Assert.Equal(["/outcome"], await BadRequestPathsAsync(await client.PostAsync("/api/tasks/nope/complete", new StringContent("{\"outcome\":{}}", Encoding.UTF8, "application/json")), "complete"));
        Assert.Equal(["/customer"], await BadRequestPathsAsync(
            await client.PostAsync("/api/journeys/api-start/templates/hello/preview", new StringContent("{\"customer\":\"C1\"}", Encoding.UTF8, "application/json")), "preview"));
        // and the valid forms still work
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync("/api/journeys/api-start/start", new { customerId = "C1" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/api/journeys/api-start/templates/hello/preview", new { customer = new { name = "Ann" } })).StatusCode);
    }

    [Fact]
    public async Task RefusesARepeatedMemberInAJourneyDefinitionAtItsPath()
    {
        var client = _host.Admin();
        var definition = ApiJourney.Replace("\"type\": \"exit\",", "\"type\": \"exit\", \"type\": \"wait\",", StringComparison.Ordinal);
        foreach (var (method, path) in new[] { (HttpMethod.Post, "/api/journeys/validate"), (HttpMethod.Post, "/api/journeys/import"), (HttpMethod.Put, "/api/journeys/api-start/draft") })
        {
            Assert.Equal(["/steps/0/type"], await BadRequestPathsAsync(await client.SendAsync(Json(method, path, definition)), path));
        }
        var simulate = $"{{\"customer\":{{\"name\":\"Ann\"}},\"definition\":{definition}}}";
        Assert.Equal(["/definition/steps/0/type"], await BadRequestPathsAsync(await client.SendAsync(Json(HttpMethod.Post, "/api/journeys/api-start/simulate", simulate)), "simulate"));
    }

    [Fact]
    public async Task RefusesRepeatedMembersInEventsAtTheSecondOccurrence()
    {
        var client = _host.CreateClient();
        var now = _host.Now;
        async Task<string[]> PostRawAsync(string body, bool batch = false)
        {
            var bytes = Encoding.UTF8.GetBytes(body);
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/events") { Content = new ByteArrayContent(bytes) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(batch ? EventsEndpoints.BatchContentType : EventsEndpoints.SingleContentType);
            request.Headers.Add(WebhookSignature.Header, WebhookSignature.Sign(Webhooks.Secret, now.ToUnixTimeSeconds(), bytes));
            return await BadRequestPathsAsync(await client.SendAsync(request), body);
        }
        var one = Webhooks.Customer("DUP1").ToJsonString();
        Assert.Equal(["/id"], await PostRawAsync(one.Replace("\"id\":", "\"id\":\"a\",\"id\":", StringComparison.Ordinal)));
        Assert.Equal(["/data/customerId"], await PostRawAsync(one.Replace("\"customerId\":\"DUP1\"", "\"customerId\":\"DUP1\",\"customerId\":\"DUP2\"", StringComparison.Ordinal)));
        Assert.Equal(["/data/attributes/tier"], await PostRawAsync(one.Replace("\"ownerId\"", "\"attributes\":{\"tier\":1,\"tier\":2},\"ownerId\"", StringComparison.Ordinal)));
        var third = Webhooks.Customer("DUP3").ToJsonString().Replace("\"type\":", "\"type\":\"x\",\"type\":", StringComparison.Ordinal);
        Assert.Equal(["/2/type"], await PostRawAsync($"[{Webhooks.Customer("DUP4").ToJsonString()},{Webhooks.Customer("DUP5").ToJsonString()},{third}]", batch: true));
        Assert.Equal(HttpStatusCode.NotFound, (await _host.Admin().GetAsync("/api/customers/DUP4")).StatusCode);
    }

    [Fact]
    public async Task RefusesAMissingSourceWithItsPathNotAsUnauthorized()
    {
        var client = _host.CreateClient();
        var e = Webhooks.Customer("SRC1");
        e.Remove("source");
        Assert.Equal(["/source"], await BadRequestPathsAsync(await client.PostAsync(e, _host.Now), "single"));
        var batch = new JsonArray(Webhooks.Customer("SRC2"));
        batch[0]!["source"] = 7;
        Assert.Equal(["/0/source"], await BadRequestPathsAsync(await client.PostAsync(batch, _host.Now, batch: true), "batch"));
    }

    [Fact]
    public async Task RefusesEventTimesOutsideTheProducerClockToleranceAndNamesThem()
    {
        var client = _host.CreateClient();
        var now = _host.Now;
        foreach (var time in new[] { "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", now.AddMinutes(6).ToString("O"), now.AddDays(-31).ToString("O") })
        {
            var e = Webhooks.Customer("TIME1");
            e["time"] = time;
            Assert.Equal(["/time"], await BadRequestPathsAsync(await client.PostAsync(e, now), time));
        }
        var batch = new JsonArray(Webhooks.Customer("TIME2"), Webhooks.Customer("TIME3"), Webhooks.Customer("TIME4"));
        batch[2]!["time"] = "9999-01-01T00:00:00Z";
        Assert.Equal(["/2/time"], await BadRequestPathsAsync(await client.PostAsync(batch, now, batch: true), "batch"));

        foreach (var time in new[] { now.AddMinutes(4), now.AddDays(-29) })
        {
            var e = Webhooks.Customer($"TIME-OK-{time.Ticks % 1000}", name: "In Window");
            e["time"] = time.ToString("O");
            Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync(e, now)).StatusCode);
        }
        var document = await _host.CreateClient().GetStringAsync("/openapi/v1.json");
        Assert.Contains("5 minutes ahead", document, StringComparison.Ordinal);
        Assert.Contains("30 days behind", document, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheEventTimeToleranceIsConfigurable()
    {
        using var strict = new RetentionFactory(virtualTime: true, [], new() { ["Retention:Webhooks:MaxEventTimeAhead"] = "00:00:30" });
        var e = Webhooks.Customer("TIME5");
        e["time"] = strict.Now.AddMinutes(1).ToString("O");
        var paths = await BadRequestPathsAsync(await strict.CreateClient().PostAsync(e, strict.Now), "strict");
        Assert.Equal(["/time"], paths);
    }

    [Fact]
    public async Task ReadsTheCustomerEventLogByReceiptSoAnEventsOwnTimeNeverKeepsItInReach()
    {
        var log = _host.Get<CustomerEventLog>();
        var now = _host.Now;
        await log.AppendAsync(new CustomerEvent("future", "demo", "survey.answered", now.AddDays(10), "LOG1", []) { ReceivedAt = now.AddDays(-2) }, CancellationToken.None);
        await log.AppendAsync(new CustomerEvent("late", "demo", "survey.answered", now.AddDays(-3), "LOG1", []) { ReceivedAt = now.AddHours(-1) }, CancellationToken.None);
        var recent = await log.SinceAsync("LOG1", now.AddDays(-1), 200, CancellationToken.None);
        var only = Assert.Single(recent);
        Assert.Equal(("late", now.AddHours(-1)), (only.Id, only.ReceivedAt));
        Assert.Equal(2, (await log.SinceAsync("LOG1", DateTimeOffset.MinValue, 200, CancellationToken.None)).Count);
    }

    [Fact]
    public async Task RefusesSimulationInstantsThatWouldOverflowTheCalendar()
    {
        var client = _host.Admin();
        Assert.Equal(["/start"], await BadRequestPathsAsync(
            await client.PostAsJsonAsync("/api/journeys/api-start/simulate", new { customer = new { name = "Ann" }, start = "9999-12-31T00:00:00Z" }), "start 9999"));
        Assert.Equal(["/start"], await BadRequestPathsAsync(
            await client.PostAsJsonAsync("/api/journeys/api-start/simulate", new { customer = new { name = "Ann" }, start = "0001-01-01T00:00:00Z" }), "start 0001"));
        Assert.Equal(["/events/0/at"], await BadRequestPathsAsync(await client.PostAsJsonAsync("/api/journeys/api-start/simulate", new
        {
            customer = new { name = "Ann" },
            events = new[] { new { at = "9999-12-31T00:00:00Z", type = "survey.answered", data = new { score = 5 } } },
        }), "event at 9999"));
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/api/journeys/api-start/simulate", new { customer = new { name = "Ann" }, start = "2199-01-01T00:00:00Z", until = "P10Y" })).StatusCode);
    }

    [Theory]
    [InlineData("-5")]
    [InlineData("0")]
    [InlineData("1001")]
    public async Task RefusesAPageSizeOutOfRangeOnEveryListAlike(string pageSize)
    {
        var client = _host.Admin();
        foreach (var path in new[] { $"/api/instances?pageSize={pageSize}", $"/api/instances?journeyId=api-start&pageSize={pageSize}", $"/api/audit?pageSize={pageSize}" })
        {
            Assert.Equal(["/pageSize"], await BadRequestPathsAsync(await client.GetAsync(path), path));
        }
    }

    [Fact]
    public async Task RefusesReservedCharactersInCustomerIdsAndForeignContinuationTokensWithTheParameter()
    {
        var client = _host.Admin();
        foreach (var path in new[] { "/api/instances?customerId=%23", "/api/customers/%23", "/api/customers/%23/timeline", "/api/customers/a%2Fb", "/api/dev/outbox?customerId=a%20b" })
        {
            Assert.Equal(["/customerId"], await BadRequestPathsAsync(await client.GetAsync(path), path));
        }
        foreach (var path in new[] { "/api/instances?continuationToken=garbage", "/api/audit?continuationToken=garbage", "/api/instances?continuationToken=1!8!YXVkaXQ-%201!4!eA--" })
        {
            Assert.Equal(["/continuationToken"], await BadRequestPathsAsync(await client.GetAsync(path), path));
        }
        // A token handed out is taken back: two admin changes, read one page at a time.
        await client.PostAsync("/api/journeys/api-start/pause", null);
        await client.PostAsync("/api/journeys/api-start/resume", null);
        var first = (await client.GetFromJsonAsync<JsonObject>("/api/audit?pageSize=1"))!;
        var token = first["continuationToken"]!.GetValue<string>();
        var second = (await client.GetFromJsonAsync<JsonObject>($"/api/audit?pageSize=1&continuationToken={Uri.EscapeDataString(token)}"))!;
        Assert.NotEqual(first["items"]![0]!["id"]!.GetValue<string>(), second["items"]![0]!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task NamesARouteOrQueryValueWithAControlCharacterAndAnswers404ForTheTimelineOfAnUnknownCustomer()
    {
        // A percent-encoded NUL in the path is refused by the server's URL decoder (Kestrel and the test server alike)
        // before the application runs; every other control character reaches it and is named here.
        var client = _host.Admin();
        Assert.Equal(["/id"], await BadRequestPathsAsync(await client.GetAsync("/api/journeys/a%01b"), "control character in a journey id"));
        Assert.Equal(["/instanceId"], await BadRequestPathsAsync(await client.PostAsync("/api/instances/a%1Bb/terminate", null), "ESC in an instance id"));
        Assert.Equal(["/journeyId"], await BadRequestPathsAsync(await client.GetAsync("/api/instances?journeyId=a%00b"), "NUL in a query journey id"));
        await ProblemOf(await client.GetAsync("/api/customers/NOBODY/timeline"), HttpStatusCode.NotFound, "unknown timeline");
        await ProblemOf(await client.GetAsync("/api/customers/NOBODY"), HttpStatusCode.NotFound, "unknown customer");
        Assert.Equal(HttpStatusCode.Accepted, (await _host.CreateClient().PostAsync(Webhooks.Customer("KNOWN1"), _host.Now)).StatusCode);
        await _host.RunUntilIdleAsync(); // applied behind the answer
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/customers/KNOWN1/timeline")).StatusCode);
    }

    [Fact]
    public async Task EveryAuditedChangeNamesItsTargetIncludingAnImport()
    {
        var client = _host.Admin();
        var imported = ApiJourney.Replace("\"api-start\"", "\"imported-journey\"", StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Json(HttpMethod.Post, "/api/journeys/import", imported))).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync("/api/jobs/pyramid/run", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/api/journeys/imported-journey/publish", null)).StatusCode);
        var entries = (await client.GetFromJsonAsync<JsonObject>("/api/audit?pageSize=100"))!["items"]!.AsArray();
        Assert.Equal("imported-journey", entries.Single(e => e!["route"]!.GetValue<string>() == "/api/journeys/import")!["targetId"]!.GetValue<string>());
        Assert.Equal("pyramid", entries.Single(e => e!["route"]!.GetValue<string>() == "/api/jobs/{name}/run")!["targetId"]!.GetValue<string>());
        Assert.All(entries, e => Assert.False(string.IsNullOrEmpty(e!["targetId"]?.GetValue<string>()), $"{e!["method"]} {e["route"]} names no target"));
    }
}
