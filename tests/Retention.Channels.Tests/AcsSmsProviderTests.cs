using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Retention.Channels.Acs;
using Retention.Channels.Providers;
using Retention.Core.Ports;

namespace Retention.Channels.Tests;

public sealed class AcsSmsProviderTests : IAsyncLifetime
{
    private static readonly byte[] Key = Enumerable.Range(100, 32).Select(i => (byte)i).ToArray();
    private static readonly DateTimeOffset Start = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Start);
    private readonly CapturedLogs _logs = new();
    private FakeAcsServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeAcsServer.StartAsync(Key);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private ServiceProvider Services(string? connectionString = null, string timeout = "00:00:30") => ProviderServices.Build(new Dictionary<string, string?>
    {
        ["Retention:Channels:Sms:Provider"] = "acs",
        ["Retention:Channels:Sms:Acs:ConnectionString"] = connectionString ?? _server.ConnectionString,
        ["Retention:Channels:Sms:Acs:From"] = "+18005550100",
        ["Retention:Channels:Sms:Acs:RequestTimeout"] = timeout,
    }, _time, _logs);

    private static SmsRequest Sms(string to, string body = "您好，感谢您的购买 / Thanks for your purchase") =>
        new($"post-sale:C001:S1/thank-you/0", to, body, Guid.Parse("fda6d242-46aa-4247-8bf6-619a1206f9c3"),
            new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero).AddHours(-1), "post-sale/post-sale:C001:S1/thank-you");

    [Fact]
    public async Task AcceptedRecipientReturnsTheMessageIdAndSendsTheDocumentedBody()
    {
        await using var services = Services();
        var provider = services.GetRequiredService<ISmsProvider>();

        var result = await provider.SendAsync(Sms(FakeAcsServer.SmsAccepted), CancellationToken.None);

        Assert.Equal(new ProviderAccepted("Outgoing_1_noam"), result);
        var request = Assert.Single(_server.Requests);
        Assert.True(request.SignatureValid);
        Assert.Equal("/sms?api-version=2021-03-07", request.Target);
        Assert.Equal("Mon, 01 Jan 2024 00:00:00 GMT", request.Headers["x-ms-date"]);
        var body = request.Json;
        Assert.Equal("+18005550100", body["from"]!.GetValue<string>());
        Assert.Equal("您好，感谢您的购买 / Thanks for your purchase", body["message"]!.GetValue<string>());
        var recipient = body["smsRecipients"]![0]!;
        Assert.Equal(FakeAcsServer.SmsAccepted, recipient["to"]!.GetValue<string>());
        Assert.Equal("fda6d242-46aa-4247-8bf6-619a1206f9c3", recipient["repeatabilityRequestId"]!.GetValue<string>());
        Assert.Equal("Sun, 31 Dec 2023 23:00:00 GMT", recipient["repeatabilityFirstSent"]!.GetValue<string>());
        Assert.True(body["smsSendOptions"]!["enableDeliveryReport"]!.GetValue<bool>());
        Assert.Equal("post-sale/post-sale:C001:S1/thank-you", body["smsSendOptions"]!["tag"]!.GetValue<string>());
    }

    [Fact]
    public async Task PartialFailureWithRecipient400IsRejectedWithoutThePhoneNumber()
    {
        await using var services = Services();

        var result = await services.GetRequiredService<ISmsProvider>().SendAsync(Sms(FakeAcsServer.SmsRecipientInvalid), CancellationToken.None);

        var rejected = Assert.IsType<ProviderRejected>(result);
        Assert.Contains("400", rejected.Reason, StringComparison.Ordinal);
        Assert.Contains("Invalid To phone number", rejected.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(FakeAcsServer.SmsRecipientInvalid, rejected.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RecipientThrottledInsideA202IsUnavailable()
    {
        await using var services = Services();

        var result = await services.GetRequiredService<ISmsProvider>().SendAsync(Sms(FakeAcsServer.SmsRecipientThrottled), CancellationToken.None);

        Assert.IsType<ProviderUnavailable>(result);
    }

    [Fact]
    public async Task Http429IsUnavailableWithTheRetryAfterSeconds()
    {
        await using var services = Services();

        var result = await services.GetRequiredService<ISmsProvider>().SendAsync(Sms(FakeAcsServer.SmsThrottled), CancellationToken.None);

        var unavailable = Assert.IsType<ProviderUnavailable>(result);
        Assert.Equal(TimeSpan.FromSeconds(7), unavailable.RetryAfter);
        Assert.Single(_server.Requests); // one attempt: the caller defers, the provider does not retry
    }

    [Fact]
    public async Task RetryAfterAsAnHttpDateIsMeasuredFromTheInjectedClock()
    {
        await using var services = Services();

        var result = await services.GetRequiredService<ISmsProvider>().SendAsync(Sms(FakeAcsServer.SmsUnavailableUntil), CancellationToken.None);

        // The fake clock stands at 00:00:00 and the server asks for 00:00:30.
        Assert.Equal(TimeSpan.FromSeconds(30), Assert.IsType<ProviderUnavailable>(result).RetryAfter);
    }

    [Fact]
    public async Task Http500IsUnavailable()
    {
        await using var services = Services();

        var result = await services.GetRequiredService<ISmsProvider>().SendAsync(Sms(FakeAcsServer.SmsServerError), CancellationToken.None);

        var unavailable = Assert.IsType<ProviderUnavailable>(result);
        Assert.Null(unavailable.RetryAfter);
        Assert.Contains("500", unavailable.Reason, StringComparison.Ordinal);
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task RepeatabilityFieldsAreReusedAcrossACrashAndTheServerSendsOnce()
    {
        var request = Sms(FakeAcsServer.SmsAccepted);

        // First process: the send reaches ACS, then the process dies before it records the outcome.
        await using (var beforeCrash = Services())
        {
            Assert.IsType<ProviderAccepted>(await beforeCrash.GetRequiredService<ISmsProvider>().SendAsync(request, CancellationToken.None));
        }
        _time.Advance(TimeSpan.FromMinutes(3));

        // Second process: the replayed outbox sends the same committed request again.
        await using var afterRestart = Services();
        var retried = await afterRestart.GetRequiredService<ISmsProvider>().SendAsync(request, CancellationToken.None);

        Assert.Equal(new ProviderAccepted("Outgoing_1_noam"), retried);
        Assert.Equal(1, _server.SmsSends);
        var attempts = _server.Requests.ToArray();
        Assert.Equal(2, attempts.Length);
        Assert.All(attempts, a => Assert.True(a.SignatureValid));
        var recipients = attempts.Select(a => a.Json["smsRecipients"]![0]!).ToArray();
        Assert.Equal(recipients[0]["repeatabilityRequestId"]!.GetValue<string>(), recipients[1]["repeatabilityRequestId"]!.GetValue<string>());
        Assert.Equal(recipients[0]["repeatabilityFirstSent"]!.GetValue<string>(), recipients[1]["repeatabilityFirstSent"]!.GetValue<string>());
        // Only the signature's date moves with the clock.
        Assert.Equal("Mon, 01 Jan 2024 00:03:00 GMT", attempts[1].Headers["x-ms-date"]);
    }

    [Fact]
    public async Task AWrongKeyIsRefusedByTheSignatureCheck()
    {
        var wrongKey = Convert.ToBase64String(new byte[32]);
        await using var services = Services($"endpoint={_server.Endpoint};accesskey={wrongKey}");

        var result = await services.GetRequiredService<ISmsProvider>().SendAsync(Sms(FakeAcsServer.SmsAccepted), CancellationToken.None);

        Assert.Contains("401", Assert.IsType<ProviderRejected>(result).Reason, StringComparison.Ordinal);
        Assert.False(Assert.Single(_server.Requests).SignatureValid);
        Assert.Contains(_logs.Entries, e => e.EventName == nameof(Logs.ProviderCredentialsRefused));
    }

    [Fact]
    public async Task ATimeoutIsUnavailable()
    {
        await using var services = Services(timeout: "00:00:00.300");

        var result = await services.GetRequiredService<ISmsProvider>().SendAsync(Sms(FakeAcsServer.SmsSlow), CancellationToken.None);

        Assert.Contains("did not answer", Assert.IsType<ProviderUnavailable>(result).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnreachableEndpointIsUnavailable()
    {
        var closedPort = FreePorts.Take();
        await using var services = Services($"endpoint=http://127.0.0.1:{closedPort}/;accesskey={Convert.ToBase64String(Key)}");

        var result = await services.GetRequiredService<ISmsProvider>().SendAsync(Sms(FakeAcsServer.SmsAccepted), CancellationToken.None);

        Assert.Contains("could not be reached", Assert.IsType<ProviderUnavailable>(result).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMessageOverTheLimitIsRejectedWithoutARequest()
    {
        await using var services = Services();

        var result = await services.GetRequiredService<ISmsProvider>().SendAsync(
            Sms(FakeAcsServer.SmsAccepted, new string('a', AcsSmsProvider.MaxMessageLength + 1)), CancellationToken.None);

        Assert.IsType<ProviderRejected>(result);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task LogsCarrySendKeysAndStatusCodesButNoNumbersOrText()
    {
        await using var services = Services();
        var provider = services.GetRequiredService<ISmsProvider>();
        string[] recipients = [FakeAcsServer.SmsAccepted, FakeAcsServer.SmsRecipientInvalid, FakeAcsServer.SmsThrottled, FakeAcsServer.SmsServerError];
        foreach (var to in recipients)
        {
            await provider.SendAsync(Sms(to) with { RepeatabilityId = Guid.NewGuid() }, CancellationToken.None);
        }

        var lines = _logs.Entries.Select(e => e.Message).ToArray();
        Assert.Contains(_logs.Entries, e => e.EventName == nameof(Logs.SendAccepted) && e.Message.Contains("post-sale:C001:S1/thank-you/0", StringComparison.Ordinal));
        Assert.Contains(_logs.Entries, e => e.EventName == nameof(Logs.SendRejected) && e.Message.Contains("400", StringComparison.Ordinal));
        Assert.Contains(_logs.Entries, e => e.EventName == nameof(Logs.SendUnavailable) && e.Message.Contains("429", StringComparison.Ordinal));
        foreach (var line in lines)
        {
            Assert.DoesNotContain("+1555", line, StringComparison.Ordinal);
            Assert.DoesNotContain("感谢", line, StringComparison.Ordinal);
        }
    }
}
