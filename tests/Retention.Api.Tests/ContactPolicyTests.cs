using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Moq;
using Retention.Channels.Providers;
using Retention.Core.Ports;
using Retention.Storage.Messages;
using Retention.Testing;

namespace Retention.Api.Tests;

/// <summary>The rules of good conduct on the real host under virtual time: every send passes them, durably.</summary>
public sealed class ContactPoliciesOnEverySend : IDisposable
{
    private const string Offer = """
        { "id": "offer", "trigger": { "type": "event", "event": "sale.completed" }, "start": "send", "steps": [
            { "id": "send", "type": "send", "channel": "sms", "template": "offer", "category": "marketing", "fallback": "email" } ],
          "templates": { "offer": { "sms": { "en": "A new fund for you, {{ customer.name }}" }, "email": { "en": { "subject": "A new fund", "text": "Hello {{ customer.name }}" } } } } }
        """;

    private const string ShortLivedOffer = """
        { "id": "short-offer", "trigger": { "type": "event", "event": "short.offer" }, "start": "send", "steps": [
            { "id": "send", "type": "send", "channel": "sms", "template": "offer", "category": "marketing", "expiresAfter": "P1D" } ],
          "templates": { "offer": { "sms": { "en": "Today only" } } } }
        """;

    private RetentionFactory _host = new(virtualTime: true, [Offer, ShortLivedOffer]);

    public void Dispose() => _host.Dispose();

    private async Task CustomerAsync(string id, string timeZone = "Asia/Shanghai", string smsConsent = "opted-in", string? phone = null)
    {
        var customer = Webhooks.Customer(id, phone: phone ?? $"+86138{Math.Abs(id.GetHashCode(StringComparison.Ordinal)) % 100000000:D8}", timeZone: timeZone);
        customer["data"]!["consent"]!["sms"] = smsConsent;
        Assert.Equal(HttpStatusCode.Accepted, (await _host.CreateClient().PostAsync(customer, _host.Now)).StatusCode);
        await _host.RunUntilIdleAsync(); // applied behind the answer
    }

    private async Task SaleAsync(string customerId, string saleId)
    {
        Assert.Equal(HttpStatusCode.Accepted, (await _host.CreateClient().PostAsync(Webhooks.Sale(customerId, saleId), _host.Now)).StatusCode);
        await _host.RunUntilIdleAsync();
    }

    private async Task<List<JsonObject>> OutboxAsync(string customerId) =>
        (await _host.Admin().GetFromJsonAsync<JsonArray>("/api/dev/outbox"))!.Select(m => m!.AsObject())
            .Where(m => m["instanceId"]!.GetValue<string>().Contains($":{customerId}:", StringComparison.Ordinal)).ToList();

    private async Task<List<MessageRecord>> MessagesAsync(string customerId) =>
        (await _host.Get<MessageLog>().ForCustomerAsync(customerId, CancellationToken.None)).ToList();

    [Fact]
    public async Task QuietHoursDeferAMessagePastMidnightInTheCustomersZoneAndThenSendIt()
    {
        _host.Clock.Advance(TimeSpan.FromHours(3.5)); // 03:30 UTC = 22:30 the evening before in New York
        await CustomerAsync("Q1", timeZone: "America/New_York");
        await SaleAsync("Q1", "S1");

        Assert.Empty(await OutboxAsync("Q1"));
        var held = Assert.Single(await MessagesAsync("Q1"));
        Assert.Equal((MessageStatus.Deferred, "quiet hours"), (held.Status, held.Reason));
        Assert.Equal(new DateTimeOffset(2026, 3, 2, 13, 0, 0, TimeSpan.Zero), held.DeferredUntil); // 08:00 EST
        var timeline = await _host.Admin().GetFromJsonAsync<System.Text.Json.Nodes.JsonArray>("/api/customers/Q1/timeline");
        var deferredItem = timeline!.Single(i => i!["kind"]!.GetValue<string>() == "message:sms");
        Assert.Equal(new DateTimeOffset(2026, 3, 2, 13, 0, 0, TimeSpan.Zero), deferredItem!["deferredUntil"]!.GetValue<DateTimeOffset>()); // a field, not only in the summary

        await _host.AdvanceAsync(new DateTimeOffset(2026, 3, 2, 12, 59, 0, TimeSpan.Zero) - _host.Now);
        Assert.Empty(await OutboxAsync("Q1"));
        await _host.AdvanceAsync(TimeSpan.FromMinutes(1));
        Assert.Single(await OutboxAsync("Q1"));
        Assert.Equal(MessageStatus.Sent, Assert.Single(await MessagesAsync("Q1")).Status);
    }

    [Fact]
    public async Task AFrequencyCapDefersTheThirdMarketingMessageUntilTheFirstIsAWeekOld()
    {
        await CustomerAsync("F1");
        await SaleAsync("F1", "S1");
        _host.Clock.Advance(TimeSpan.FromHours(1));
        await SaleAsync("F1", "S2");
        _host.Clock.Advance(TimeSpan.FromHours(1));
        await SaleAsync("F1", "S3");

        Assert.Equal(2, (await OutboxAsync("F1")).Count);
        var capped = Assert.Single(await MessagesAsync("F1"), m => m.Status == MessageStatus.Deferred);
        Assert.StartsWith("frequency cap", capped.Reason, StringComparison.Ordinal);
        Assert.Equal(RetentionFactory.Epoch.AddDays(7), capped.DeferredUntil);

        await _host.AdvanceAsync(RetentionFactory.Epoch.AddDays(7) - _host.Now);
        Assert.Equal(3, (await OutboxAsync("F1")).Count);
    }

    [Fact]
    public async Task ACappedMessageThatOutlivesItsExpiryIsDroppedWithAReason()
    {
        await CustomerAsync("X1");
        await SaleAsync("X1", "S1");
        await SaleAsync("X1", "S2");
        await _host.CreateClient().PostAsync(Webhooks.Event("short.offer", new JsonObject { ["customerId"] = "X1" }), _host.Now);
        await _host.RunUntilIdleAsync();

        var dropped = Assert.Single(await MessagesAsync("X1"), m => m.JourneyId == "short-offer");
        Assert.Equal(MessageStatus.Suppressed, dropped.Status);
        Assert.Contains("expired", dropped.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StopOptsOutOfMarketingSmsAtOnceAndStartOptsBackIn()
    {
        await CustomerAsync("P1", phone: "+8613811112222");
        var client = _host.CreateClient();
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync("/api/dev/inbound-sms", new { from = "+8613811112222", to = "+10000", message = " 退订 " })).StatusCode);
        await _host.RunUntilIdleAsync();
        var customer = await _host.Admin().GetFromJsonAsync<JsonObject>("/api/customers/P1");
        Assert.Equal("opted-out", customer!["consent"]!["sms"]!.GetValue<string>());
        await SaleAsync("P1", "S1");
        var suppressed = Assert.Single(await MessagesAsync("P1"));
        Assert.Equal(MessageStatus.Suppressed, suppressed.Status);
        Assert.Contains("no marketing consent for sms", suppressed.Reason, StringComparison.Ordinal);

        await client.PostAsJsonAsync("/api/dev/inbound-sms", new { from = "+8613811112222", to = "+10000", message = "START" });
        await _host.RunUntilIdleAsync();
        await SaleAsync("P1", "S2");
        Assert.Single(await OutboxAsync("P1"));
        var timeline = await _host.Admin().GetFromJsonAsync<JsonArray>("/api/customers/P1/timeline");
        Assert.Contains(timeline!, i => i!["summary"]!.GetValue<string>().Contains("suppressed: no marketing consent", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AFailedSmsDeliveryReportFallsBackToEmail()
    {
        await CustomerAsync("D1");
        await SaleAsync("D1", "S1");
        var sms = Assert.Single(await MessagesAsync("D1"));
        var report = new JsonArray(new JsonObject
        {
            ["id"] = "r1", ["eventType"] = "Microsoft.Communication.SMSDeliveryReportReceived", ["subject"] = "x", ["dataVersion"] = "1.0",
            ["data"] = new JsonObject { ["MessageId"] = sms.ProviderMessageId, ["DeliveryStatus"] = "Failed", ["DeliveryStatusDetails"] = "No route to destination" },
        });
        var response = await _host.CreateClient().PostAsJsonAsync("/api/events/eventgrid?key=dev-eventgrid-key", report);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await _host.RunUntilIdleAsync();

        var outbox = await OutboxAsync("D1");
        Assert.Equal(["sms", "email"], outbox.Select(m => m["channel"]!.GetValue<string>()).ToList());
        await SaleAsync("D1", "S2"); // the undelivered SMS freed its cap slot: the email and this one fit in 2 per week
        Assert.Equal(3, (await OutboxAsync("D1")).Count);
        Assert.Contains(await MessagesAsync("D1"), m => m.Status == MessageStatus.Undelivered && m.Reason == "No route to destination");
    }

    [Fact]
    public async Task AnswersBothEventGridHandshakesAndOnlyWithTheKey()
    {
        var client = _host.CreateClient();
        var validation = new HttpRequestMessage(HttpMethod.Post, "/api/events/eventgrid?key=dev-eventgrid-key")
        {
            Content = JsonContent.Create(new JsonArray(new JsonObject
            {
                ["id"] = "v", ["subject"] = "", ["dataVersion"] = "2", ["eventType"] = "Microsoft.EventGrid.SubscriptionValidationEvent",
                ["data"] = new JsonObject { ["validationCode"] = "512d38b6-c7b8-40c8-89fe-f46f9e9622b6" },
            })),
        };
        validation.Headers.Add("aeg-event-type", "SubscriptionValidation");
        var answer = await (await client.SendAsync(validation)).Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal("512d38b6-c7b8-40c8-89fe-f46f9e9622b6", answer!["validationResponse"]!.GetValue<string>());

        var options = new HttpRequestMessage(HttpMethod.Options, "/api/events/eventgrid?key=dev-eventgrid-key");
        options.Headers.Add("WebHook-Request-Origin", "eventemitter.example.com");
        var handshake = await client.SendAsync(options);
        Assert.Equal(HttpStatusCode.OK, handshake.StatusCode);
        Assert.Equal("eventemitter.example.com", handshake.Headers.GetValues("WebHook-Allowed-Origin").Single());

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsJsonAsync("/api/events/eventgrid", new JsonArray())).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsJsonAsync("/api/events/eventgrid?key=wrong", new JsonArray())).StatusCode);
    }

    [Fact]
    public async Task AnInboundStopAsACloudEventOptsOutOfMarketingSms()
    {
        await CustomerAsync("E1", phone: "+8613822223333");
        var stop = new JsonArray(new JsonObject
        {
            ["id"] = "in-1", ["source"] = "/acs", ["specversion"] = "1.0", ["type"] = "Microsoft.Communication.SMSReceived", ["time"] = "2026-03-02T00:00:00Z",
            ["data"] = new JsonObject { ["messageId"] = "Incoming_1", ["from"] = "+8613822223333", ["to"] = "+10000", ["message"] = "STOP", ["receivedTimestamp"] = "2026-03-02T00:00:00Z" },
        });

        var response = await _host.CreateClient().PostAsJsonAsync("/api/events/eventgrid?key=dev-eventgrid-key", stop);
        await _host.RunUntilIdleAsync();

        Assert.Equal(1, (await response.Content.ReadFromJsonAsync<JsonObject>())!["handled"]!.GetValue<int>());
        var customer = await _host.Admin().GetFromJsonAsync<JsonObject>("/api/customers/E1");
        Assert.Equal("opted-out", customer!["consent"]!["sms"]!.GetValue<string>());
    }

    [Fact]
    public async Task RefusesAnEventGridEnvelopeWithoutARequiredFieldNamingIt()
    {
        var sparse = new JsonArray(new JsonObject
        {
            ["id"] = "r1", ["subject"] = "x", ["dataVersion"] = "1.0", ["eventType"] = "Microsoft.Communication.SMSDeliveryReportReceived", ["data"] = new JsonObject(),
        }, new JsonObject { ["id"] = "r2", ["eventType"] = "Microsoft.Communication.SMSDeliveryReportReceived", ["dataVersion"] = "1.0", ["data"] = new JsonObject() });

        var response = await _host.CreateClient().PostAsJsonAsync("/api/events/eventgrid?key=dev-eventgrid-key", sparse);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("/1/subject", Assert.Single(problem["errors"]!.AsArray())!["path"]!.GetValue<string>());
    }

    [Fact]
    public async Task AThrottledProviderDefersTheSendByItsRetryAfterAndTriesAgain()
    {
        _host.Dispose();
        var provider = new Mock<ISmsProvider>();
        provider.SetupSequence(p => p.SendAsync(It.IsAny<SmsRequest>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(new ProviderUnavailable("429 Too Many Requests", TimeSpan.FromSeconds(7)))
            .ReturnsAsync(new ProviderAccepted("acs-1"));
        _host = new RetentionFactory(virtualTime: true, [Offer]);
        using var throttled = _host.WithWebHostBuilder(b => b.ConfigureServices(s => s.AddSingleton(provider.Object)));
        throttled.CreateClient();
        var client = throttled.CreateClient();
        await client.PostAsync(Webhooks.Customer("T1"), _host.Now);
        await client.PostAsync(Webhooks.Sale("T1", "S1"), _host.Now);
        Task Drain() => throttled.Services.GetRequiredService<Retention.Testing.Durable.VirtualDurableEngine>().RunUntilIdleAsync();
        await Drain();
        var log = throttled.Services.GetRequiredService<MessageLog>();
        var deferred = Assert.Single(await log.ForCustomerAsync("T1", CancellationToken.None));
        Assert.Equal((MessageStatus.Deferred, _host.Now.AddSeconds(7)), (deferred.Status, deferred.DeferredUntil));

        _host.Clock.Advance(TimeSpan.FromSeconds(6));
        await Drain();
        provider.Verify(p => p.SendAsync(It.IsAny<SmsRequest>(), It.IsAny<CancellationToken>()), Times.Once());
        _host.Clock.Advance(TimeSpan.FromSeconds(1));
        await Drain();
        var requests = provider.Invocations.Select(i => (SmsRequest)i.Arguments[0]).ToList();
        Assert.Equal(2, requests.Count);
        Assert.Equal(requests[0].RepeatabilityId, requests[1].RepeatabilityId);
        Assert.Equal(requests[0].FirstAttemptAt, requests[1].FirstAttemptAt);
        Assert.Equal(MessageStatus.Sent, Assert.Single(await log.ForCustomerAsync("T1", CancellationToken.None)).Status);
    }
}
