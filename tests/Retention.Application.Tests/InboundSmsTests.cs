using System.Text.Json.Nodes;
using Azure.Core;
using Azure.Core.Pipeline;
using Microsoft.Extensions.DependencyInjection;
using Retention.Application.Inbound;
using Retention.Application.Ingest;
using Retention.Core.Customers;
using Retention.Core.Events;
using Retention.Storage.Customers;
using Retention.Core.Ports;
using Retention.Storage.Messages;
using Retention.Testing;

namespace Retention.Application.Tests;

/// <summary>
/// Inbound SMS without HTTP, on Azurite under virtual time, for a family of four who share one phone: a STOP and a
/// START apply to the number and so to all four, and a survey answer reaches the one whose journey asked.
/// </summary>
public sealed class InboundSmsToASharedNumber : IDisposable
{
    private const string Number = "+8613800138000";
    private static readonly string[] Family = ["F1", "F2", "F3", "F4"];

    private const string Offer = """
        { "id": "offer", "trigger": { "type": "event", "event": "campaign.offer" }, "start": "send", "steps": [
            { "id": "send", "type": "send", "channel": "sms", "template": "offer", "category": "marketing" } ],
          "templates": { "offer": { "sms": { "en": "A new fund for you" } } } }
        """;

    private const string Notice = """
        { "id": "notice", "trigger": { "type": "event", "event": "account.notice" }, "start": "send", "steps": [
            { "id": "send", "type": "send", "channel": "sms", "template": "notice", "category": "service" } ],
          "templates": { "notice": { "sms": { "en": "Your statement is ready" } } } }
        """;

    private static readonly CancellationToken None = CancellationToken.None;
    private readonly RetentionFactory _host = new(virtualTime: true, [Offer, Notice, File.ReadAllText(Path.Combine(RepoPaths.ShippedJourneys, "post-sale-follow-up.json"))]);
    private int _events;

    public InboundSmsToASharedNumber() => _host.CreateClient();

    public void Dispose() => _host.Dispose();

    private InboundSmsHandler Inbound => _host.Get<InboundSmsHandler>();

    private async Task<InboundSmsOutcome> SmsAsync(string from, string message)
    {
        var outcome = await Inbound.HandleAsync($"acs-{Interlocked.Increment(ref _events)}", from, "+8610000", message, _host.Now, None);
        await _host.RunUntilIdleAsync(); // the instances a reply reached take it
        return outcome;
    }

    private async Task EventAsync(string type, string customerId, JsonObject? data = null)
    {
        data ??= [];
        data["customerId"] = customerId;
        await _host.Get<EventIngestor>().AcceptAsync(new CustomerEvent($"e-{Interlocked.Increment(ref _events)}", "test", type, _host.Now, customerId, data), None);
        await _host.RunUntilIdleAsync();
    }

    private Task UpsertAsync(string customerId, string phone = Number) =>
        EventAsync(KnownEventTypes.CustomerUpserted, customerId, new JsonObject
        {
            ["phone"] = phone, ["locale"] = "en", ["timeZone"] = "Asia/Shanghai", ["consent"] = new JsonObject { ["sms"] = "opted-in" },
        });

    private async Task FamilyAsync()
    {
        foreach (var customerId in Family)
        {
            await UpsertAsync(customerId);
        }
    }

    private async Task<MessageRecord> LastMessageAsync(string customerId, string journeyId) =>
        (await _host.Get<MessageLog>().ForCustomerAsync(customerId, None)).Where(m => m.JourneyId == journeyId).OrderBy(m => m.CreatedAt).Last();

    private async Task<string?> SmsConsentAsync(string customerId) =>
        (await _host.Get<CustomerProfileStore>().GetAsync(customerId, None))?["consent"]?["sms"]?.GetValue<string>();

    [Fact]
    public async Task StopSuppressesMarketingForEveryCustomerOnTheNumberWhileServiceMessagesStillGo()
    {
        await FamilyAsync();

        var stop = await SmsAsync(Number, "STOP");

        Assert.Equal(InboundSmsResult.OptedOut, stop.Result);
        Assert.Equal(Family, stop.CustomerIds.Order());
        foreach (var customerId in Family)
        {
            Assert.Equal("opted-out", await SmsConsentAsync(customerId));
            var timeline = await _host.Get<CustomerEventLog>().SinceAsync(customerId, DateTimeOffset.MinValue, 100, None);
            Assert.Contains(timeline, e => e.Type == KnownEventTypes.ConsentChanged && e.Data["status"]!.GetValue<string>() == "opted-out");

            await EventAsync("campaign.offer", customerId);
            await EventAsync("account.notice", customerId);
            Assert.Equal(MessageStatus.Suppressed, (await LastMessageAsync(customerId, "offer")).Status);
            Assert.Equal(MessageStatus.Sent, (await LastMessageAsync(customerId, "notice")).Status);
        }

        // The number stays suppressed whatever a profile says later: a core system re-sends a profile opted in.
        await UpsertAsync("F1");
        Assert.Equal("opted-in", await SmsConsentAsync("F1"));
        _host.Clock.Advance(TimeSpan.FromMinutes(1));
        await EventAsync("campaign.offer", "F1");
        var suppressed = await LastMessageAsync("F1", "offer");
        Assert.Equal(MessageStatus.Suppressed, suppressed.Status);
        Assert.Contains("phone number opted out of marketing", suppressed.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartLiftsTheSuppressionForEveryCustomerOnTheNumber()
    {
        await FamilyAsync();
        await SmsAsync(Number, "退订");

        var start = await SmsAsync(Number, "start");

        Assert.Equal(InboundSmsResult.OptedIn, start.Result);
        Assert.Equal(Family, start.CustomerIds.Order());
        foreach (var customerId in Family)
        {
            Assert.Equal("opted-in", await SmsConsentAsync(customerId));
            await EventAsync("campaign.offer", customerId);
            Assert.Equal(MessageStatus.Sent, (await LastMessageAsync(customerId, "offer")).Status);
        }
    }

    [Fact]
    public async Task ASurveyAnswerReachesTheCustomerWhoseJourneyAskedAndWaits()
    {
        await FamilyAsync();
        var sale = new JsonObject { ["saleId"] = "S1", ["product"] = "Fund A" };
        await EventAsync(KnownEventTypes.SaleCompleted, "F2", (JsonObject)sale.DeepClone());
        await _host.AdvanceAsync(TimeSpan.FromDays(1));
        await EventAsync(KnownEventTypes.SaleCompleted, "F3", (JsonObject)sale.DeepClone());
        // F2 is asked on day 8 at 10:00 local, F3 on day 9: both wait three days for a score.
        await _host.AdvanceAsync(TimeSpan.FromDays(8) + TimeSpan.FromHours(3));

        var first = await SmsAsync(Number, "5");
        var second = await SmsAsync(Number, "4");

        Assert.Equal((InboundSmsResult.Reply, "F3"), (first.Result, Assert.Single(first.CustomerIds))); // the most recent question
        Assert.Equal((InboundSmsResult.Reply, "F2"), (second.Result, Assert.Single(second.CustomerIds))); // F3 answered; F2 still waits
        await _host.RunUntilIdleAsync();
        var scores = new Dictionary<string, string?>();
        foreach (var customerId in Family)
        {
            scores[customerId] = (await _host.Get<CustomerProfileStore>().GetAsync(customerId, None))!["attributes"]?["satisfaction"]?.ToString();
        }
        Assert.Equal(new Dictionary<string, string?> { ["F1"] = null, ["F2"] = "4", ["F3"] = "5", ["F4"] = null }, scores);
    }

    [Fact]
    public async Task ASenderWithoutThePlusMatchesTheNumber()
    {
        await FamilyAsync();

        var stop = await SmsAsync("8613800138000", "STOP"); // as ACS's own SMSReceived sample writes it
        var spaced = await SmsAsync("+86 138 0013 8000", "UNSTOP");

        Assert.Equal((InboundSmsResult.OptedOut, 4), (stop.Result, stop.CustomerIds.Count));
        Assert.Equal((InboundSmsResult.OptedIn, 4), (spaced.Result, spaced.CustomerIds.Count));
    }

    [Fact]
    public async Task EachInboundMessageIsCountedByItsOutcome()
    {
        var metrics = _host.Get<InboundSmsMetrics>();
        Assert.Equal(new long[] { 0, 0, 0 }, Outcomes(metrics));
        await FamilyAsync();

        Assert.Equal(InboundSmsResult.OptedOut, (await SmsAsync(Number, "STOP")).Result);
        Assert.Equal(InboundSmsResult.NoCustomer, (await SmsAsync("+8613900139000", "STOP")).Result);
        Assert.Equal(InboundSmsResult.NoCustomer, (await SmsAsync("+8613900139000", "hello")).Result);
        Assert.Equal(InboundSmsResult.NotUnderstood, (await SmsAsync(Number, "hello")).Result); // four could own it; none was asked
        Assert.Equal(InboundSmsResult.NotUnderstood, (await SmsAsync("BANK", "hello")).Result);

        Assert.Equal(new long[] { 1, 2, 2 }, Outcomes(metrics));
    }

    private static long[] Outcomes(InboundSmsMetrics metrics) =>
        [metrics.Count(InboundSmsMetrics.Matched), metrics.Count(InboundSmsMetrics.NoCustomer), metrics.Count(InboundSmsMetrics.NotUnderstood)];

    [Fact]
    public async Task APhoneChangeMovesTheCustomerToTheNewNumber()
    {
        await FamilyAsync();
        await UpsertAsync("F4", "+8613800138001");

        Assert.Equal(["F1", "F2", "F3"], (await SmsAsync(Number, "STOP")).CustomerIds.Order());
        Assert.Equal(["F4"], (await SmsAsync("+8613800138001", "STOP")).CustomerIds);
    }
}

/// <summary>
/// The address index survives a crash: a host stopped between the profile write and the index write leaves the customer
/// indexed once the event is applied again (the inbox retries it), though the phone no longer looks changed.
/// </summary>
public sealed class AddressIndexAfterACrash : IDisposable
{
    private const string Number = "+8613800138000";
    private readonly CrashOnAddressWrite _crash = new();
    private readonly RetentionFactory _host;

    public AddressIndexAfterACrash()
    {
        _host = new RetentionFactory(virtualTime: true, [], services: services => services.AddSingleton<HttpPipelinePolicy>(_crash));
        _host.CreateClient();
    }

    public void Dispose() => _host.Dispose();

    [Fact]
    public async Task ACrashBetweenTheProfileWriteAndTheIndexWriteLeavesTheCustomerIndexedAfterTheRetry()
    {
        var upsert = new CustomerEvent("u-1", "test", KnownEventTypes.CustomerUpserted, _host.Now, "C1",
            new JsonObject { ["customerId"] = "C1", ["phone"] = Number, ["consent"] = new JsonObject { ["sms"] = "opted-in" } });
        var ingestor = _host.Get<EventIngestor>();
        _crash.Armed = true;

        await Assert.ThrowsAsync<HostStoppedException>(() => ingestor.AcceptAsync(upsert, CancellationToken.None));
        Assert.Equal(Number, (await _host.Get<CustomerProfileStore>().GetAsync("C1", CancellationToken.None))!["phone"]!.GetValue<string>()); // the profile was written
        Assert.Empty(await _host.Get<CustomerProfileStore>().HoldersOfPhoneAsync(Number, CancellationToken.None)); // the index was not

        await ingestor.AcceptAsync(upsert, CancellationToken.None); // the retry: the same event, the phone already unchanged

        Assert.Equal("C1", Assert.Single(await _host.Get<CustomerProfileStore>().HoldersOfPhoneAsync(Number, CancellationToken.None)).CustomerId);
        var stop = await _host.Get<InboundSmsHandler>().HandleAsync("acs-1", "8613800138000", null, "STOP", _host.Now, CancellationToken.None);
        Assert.Equal(["C1"], stop.CustomerIds);
    }

    private sealed class HostStoppedException() : Exception("The host stopped before the address index was written.");

    /// <summary>Stops the first write to the address index once armed, as a host killed between the profile write and that one.</summary>
    private sealed class CrashOnAddressWrite : HttpPipelinePolicy
    {
        public volatile bool Armed;

        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            Crash(message);
            ProcessNext(message, pipeline);
        }

        public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            Crash(message);
            return ProcessNextAsync(message, pipeline);
        }

        private void Crash(HttpMessage message)
        {
            if (message.Request.Method != RequestMethod.Get && message.Request.Uri.Path.Contains("addresses(", StringComparison.Ordinal) && Armed)
            {
                Armed = false;
                throw new HostStoppedException();
            }
        }
    }
}
