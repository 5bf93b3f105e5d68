using System.Net;
using Microsoft.AspNetCore.Http;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure;
using Azure.Data.Tables;
using Retention.Host.Functions;
using Retention.Host.Ingest;
using Retention.Storage.Work;
using Retention.Testing;

namespace Retention.Host.Tests.Functions;

/// <summary>
/// The custom handler's side of the Functions protocol, on the real process: the documented invocation payloads for every
/// kind of function, the replies, and their effects in storage.
/// </summary>
public sealed class CustomHandlerContract(CustomHandlerProcess process) : IClassFixture<CustomHandlerProcess>
{
    private static readonly JsonSerializerOptions RawUtf8Indented = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, WriteIndented = true };

    private FunctionsHostDouble Host => process.FunctionsHost;

    [Fact]
    public async Task AnswersGetRootOnTheLoopbackPortItWasGiven()
    {
        using var response = await process.Handler.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(process.HasExited);
    }

    [Fact]
    public async Task ASignedWebhookStartsAJourneyWhoseTimerFiresThroughTheQueueFunction()
    {
        // Non-ASCII text and indentation: the signature covers the exact bytes, which must survive the round trip through Data.req.Body.
        var customer = await PostWebhookAsync(Webhooks.Customer("FN1", phone: "+8613700137001", locale: "zh-CN", name: "李雷"));
        Assert.Equal(StatusCodes.Status202Accepted, customer.StatusCode);
        var sale = await PostWebhookAsync(Webhooks.Sale("FN1", "FN-SALE-1", product: "理财产品A"));
        Assert.Equal(StatusCodes.Status202Accepted, sale.StatusCode);
        Assert.Equal(1, sale.Json!["accepted"]!.GetValue<int>());

        var instanceId = $"{CustomHandlerProcess.JourneyId}:FN1:FN-SALE-1";
        var completed = await Host.DeliverUntilAsync(async () =>
        {
            var output = await Host.AdminAsync("Instances", "GET", "/api/instances/" + Uri.EscapeDataString(instanceId));
            return output.StatusCode == StatusCodes.Status200OK && output.Json!["status"]!.GetValue<string>() == "Completed" ? output.Json : null;
        }, TimeSpan.FromSeconds(30));

        Assert.Contains(completed["history"]!.AsArray(), h => h!["kind"]!.GetValue<string>() == "timer-fired");
        var sms = await Host.DevOutboxAsync("+8613700137001");
        var message = Assert.Single(sms);
        Assert.Contains("李雷", message!["body"]!.GetValue<string>(), StringComparison.Ordinal);

        // Every step went through the queue function: our own poller never polled in custom-handler mode.
        var health = JsonNode.Parse(await process.Handler.GetStringAsync("/healthz"))!;
        Assert.Null(health["lastPollAt"]);
    }

    [Fact]
    public async Task AWebhookWithAWrongSignatureIsTheAppsOwn401InsideASuccessfulInvocation()
    {
        var output = await PostWebhookAsync(Webhooks.Customer("FN2"), secret: "not-the-demo-secret");
        Assert.Equal(StatusCodes.Status401Unauthorized, output.StatusCode);
        Assert.StartsWith("application/problem+json", output.Header("Content-Type"), StringComparison.Ordinal);
        Assert.Equal("Unauthorized", output.Json!["title"]!.GetValue<string>());
    }

    [Fact]
    public async Task AnEventGridCloudEventsValidationIsAnsweredWithTheAllowedOrigin()
    {
        var output = await Host.InvokeHttpAsync("Events", "OPTIONS", "/api/events/eventgrid?key=functions-eventgrid-key",
            new Dictionary<string, string> { ["WebHook-Request-Origin"] = "eventgrid.azure.net" });
        Assert.Equal(StatusCodes.Status200OK, output.StatusCode);
        Assert.Equal("eventgrid.azure.net", output.Header("WebHook-Allowed-Origin"));
    }

    [Fact]
    public async Task AnEventGridSubscriptionValidationEventIsAnsweredWithItsCode()
    {
        var body = """[{"id":"v-1","topic":"/subscriptions/x","subject":"","eventType":"Microsoft.EventGrid.SubscriptionValidationEvent","eventTime":"2026-03-02T00:00:00Z","dataVersion":"1","data":{"validationCode":"512d38b6-c7b8-40c8-89fe-f46f9e9622b6"}}]""";
        var output = await Host.InvokeHttpAsync("Events", "POST", "/api/events/eventgrid?key=functions-eventgrid-key",
            new Dictionary<string, string> { ["Content-Type"] = "application/json", ["aeg-event-type"] = "SubscriptionValidation" }, body);
        Assert.Equal(StatusCodes.Status200OK, output.StatusCode);
        Assert.Equal("512d38b6-c7b8-40c8-89fe-f46f9e9622b6", output.Json!["validationResponse"]!.GetValue<string>());
    }

    [Fact]
    public async Task ATimerTickRefreshesTheCatalogOfTheInstanceItRunsOn()
    {
        Assert.False(await ProbePausedAsync());
        // Another replica pauses the journey: only the head row changes, and this process does not know yet.
        await process.Table("journeys").UpdateEntityAsync(new TableEntity(CustomHandlerProcess.ProbeJourneyId, "head") { ["Paused"] = true }, ETag.All, TableUpdateMode.Merge);
        Assert.False(await ProbePausedAsync());

        using var tick = await Host.InvokeAsync("CatalogRefresh", FunctionsHostDouble.TimerInvocation(pastDue: true));
        Assert.Equal(HttpStatusCode.OK, tick.StatusCode);
        var result = JsonNode.Parse(await tick.Content.ReadAsStringAsync())!.AsObject();
        Assert.Empty(result["Outputs"]!.AsObject());
        Assert.Null(result["ReturnValue"]);
        Assert.True(await ProbePausedAsync());
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{"type":"no-such-work","instanceId":"x"}""")]
    [InlineData("[1,2,3]")]
    public async Task AQueueMessageThatIsNotWorkIsFailedSoTheHostRetriesAndThenPoisonsIt(string text)
    {
        foreach (var attempt in new long[] { 1, 5 })
        {
            using var reply = await Host.InvokeAsync("JourneyWork", FunctionsHostDouble.QueueInvocation(text, dequeueCount: attempt));
            Assert.Equal(HttpStatusCode.BadRequest, reply.StatusCode);
            Assert.Equal("application/problem+json", reply.Content.Headers.ContentType?.MediaType);
            var problem = JsonNode.Parse(await reply.Content.ReadAsStringAsync())!;
            Assert.Equal("/Data/msg", problem["errors"]![0]!["path"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task WorkThatFailsIsRepliedNon2xxOnEveryAttempt()
    {
        // A corrupt instance row: reading it throws, as a storage failure would.
        var instanceId = "functions-broken-" + Guid.NewGuid().ToString("N")[..8];
        await process.Table("instances").UpsertEntityAsync(new TableEntity(instanceId, "state") { ["InstanceId"] = instanceId, ["State"] = "{not json" });
        var timer = WorkQueue.Serialize(new TimerMessage(instanceId, 1, DateTimeOffset.UtcNow.AddSeconds(-1)));
        foreach (var attempt in new long[] { 1, 5 })
        {
            using var reply = await Host.InvokeAsync("JourneyWork", FunctionsHostDouble.QueueInvocation(timer, dequeueCount: attempt));
            Assert.Equal(HttpStatusCode.InternalServerError, reply.StatusCode);
            var problem = JsonNode.Parse(await reply.Content.ReadAsStringAsync())!;
            Assert.Equal("The work failed", problem["title"]!.GetValue<string>());
            Assert.Contains(attempt == 5 ? "poison" : "retries", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AQueueMessageIsReadWhetherTheHostEncodedItOnceOrTwice(bool doublyEncoded)
    {
        var timer = WorkQueue.Serialize(new TimerMessage("functions-nobody:" + doublyEncoded, 1, DateTimeOffset.UtcNow.AddSeconds(-1)));
        using var reply = await Host.InvokeAsync("JourneyWork", FunctionsHostDouble.QueueInvocation(timer, doublyEncoded: doublyEncoded));
        Assert.Equal(HttpStatusCode.OK, reply.StatusCode);
        var result = JsonNode.Parse(await reply.Content.ReadAsStringAsync())!;
        Assert.Equal("TimerMessage: Done", result["Logs"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task AQueueMessageHandedOverAsParsedJsonIsReadToo()
    {
        var timer = JsonNode.Parse(WorkQueue.Serialize(new TimerMessage("functions-nobody:object", 1, DateTimeOffset.UtcNow.AddSeconds(-1))));
        var payload = FunctionsHostDouble.QueueInvocation("x");
        payload["Data"]!["msg"] = timer;
        using var reply = await Host.InvokeAsync("JourneyWork", payload);
        Assert.Equal(HttpStatusCode.OK, reply.StatusCode);
    }

    [Fact]
    public async Task TheEnvelopeCarriesExactlyWhatTheAppAnswersDirectly()
    {
        foreach (var (function, path) in new[] { ("Journeys", "/api/journeys/schema"), ("Customers", "/api/customers/nobody") })
        {
            using var direct = new HttpRequestMessage(HttpMethod.Get, path);
            direct.Headers.Add("X-Api-Key", "dev-admin-key");
            using var directResponse = await process.Handler.SendAsync(direct);
            var output = await Host.AdminAsync(function, "GET", path);
            Assert.Equal((int)directResponse.StatusCode, output.StatusCode);
            Assert.Equal(directResponse.Content.Headers.ContentType?.ToString(), output.Header("Content-Type"));
            var directBody = await directResponse.Content.ReadAsStringAsync();
            Assert.Equal(StripTraceId(directBody), StripTraceId(output.Body));
        }
    }

    [Fact]
    public async Task AnAdminCallWithoutAKeyIsTheApps401()
    {
        var output = await Host.InvokeHttpAsync("Instances", "GET", "/api/instances?customerId=FN1");
        Assert.Equal(StatusCodes.Status401Unauthorized, output.StatusCode);
    }

    [Fact]
    public async Task AnHttpInvocationForAPathOutsideTheFunctionsRouteIsRefused()
    {
        using var reply = await Host.InvokeAsync("Customers", FunctionsHostDouble.HttpInvocation("GET", "/api/journeys"));
        Assert.Equal(HttpStatusCode.BadRequest, reply.StatusCode);
        var problem = JsonNode.Parse(await reply.Content.ReadAsStringAsync())!;
        Assert.Equal("/Data/req/Url", problem["errors"]![0]!["path"]!.GetValue<string>());
    }

    [Fact]
    public async Task AnInvocationBodyThatIsNotJsonIsAProblem()
    {
        using var content = new StringContent("{\"Data\":", Encoding.UTF8, "application/json");
        using var reply = await process.Handler.PostAsync("/JourneyWork", content);
        Assert.Equal(HttpStatusCode.BadRequest, reply.StatusCode);
        Assert.Equal("application/problem+json", reply.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task EveryFunctionFolderIsServedByTheHandler()
    {
        foreach (var folder in FunctionFolders.Read())
        {
            using var reply = await Host.InvokeAsync(folder.Name, folder.Trigger switch
            {
                "httpTrigger" => FunctionsHostDouble.HttpInvocation(folder.Methods[0].ToUpperInvariant(), "/" + (folder.Route!.Contains("{*", StringComparison.Ordinal)
                    ? "api/" + folder.Route[..folder.Route.IndexOf('/', StringComparison.Ordinal)]
                    : "api/" + folder.Route)),
                "queueTrigger" => FunctionsHostDouble.QueueInvocation(WorkQueue.Serialize(new TimerMessage("functions-nobody:served", 1, DateTimeOffset.UtcNow))),
                "timerTrigger" => FunctionsHostDouble.TimerInvocation(),
                var other => throw new InvalidOperationException($"{folder.Name}: no payload for a {other}"),
            });
            Assert.True(reply.StatusCode == HttpStatusCode.OK, $"{folder.Name} answered {(int)reply.StatusCode}: {await reply.Content.ReadAsStringAsync()}");
        }
    }

    private async Task<bool> ProbePausedAsync()
    {
        var output = await Host.AdminAsync("Journeys", "GET", "/api/journeys");
        Assert.Equal(StatusCodes.Status200OK, output.StatusCode);
        return output.Json!.AsArray().Single(j => j!["id"]!.GetValue<string>() == CustomHandlerProcess.ProbeJourneyId)!["paused"]!.GetValue<bool>();
    }

    private Task<HttpOutput> PostWebhookAsync(JsonNode cloudEvent, string secret = Webhooks.Secret)
    {
        var body = cloudEvent.ToJsonString(RawUtf8Indented);
        var signature = WebhookSignature.Sign(secret, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), Encoding.UTF8.GetBytes(body));
        return Host.InvokeHttpAsync("Events", "POST", "/api/events",
            new Dictionary<string, string> { ["Content-Type"] = EventsEndpoints.SingleContentType, [WebhookSignature.Header] = signature }, body);
    }

    private static string StripTraceId(string body) =>
        System.Text.RegularExpressions.Regex.Replace(body, "\"traceId\":\"[^\"]*\"", "\"traceId\":\"\"");
}
