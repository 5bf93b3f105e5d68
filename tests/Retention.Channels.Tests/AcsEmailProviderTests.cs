using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Retention.Channels.Acs;
using Retention.Channels.Providers;
using Retention.Core.Ports;

namespace Retention.Channels.Tests;

public sealed class AcsEmailProviderTests : IAsyncLifetime
{
    private static readonly byte[] Key = Enumerable.Range(7, 32).Select(i => (byte)i).ToArray();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly CapturedLogs _logs = new();
    private FakeAcsServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeAcsServer.StartAsync(Key);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private ServiceProvider Services() => ProviderServices.Build(new Dictionary<string, string?>
    {
        ["Retention:Channels:Email:Provider"] = "acs",
        ["Retention:Channels:Email:Acs:ConnectionString"] = _server.ConnectionString,
        ["Retention:Channels:Email:Acs:SenderAddress"] = "DoNotReply@retention.example.com",
    }, _time, _logs);

    private static EmailRequest Email(string to, string? html = "<p>感谢您的购买</p>") =>
        new("post-sale:C001:S1/thank-you/0", to, "李雷", "感谢您的购买", "感谢您的购买", html, Guid.Parse("2b3f8d8e-5a4c-4a57-9d7e-0f3c1b2a9e11"));

    [Fact]
    public async Task AcceptedSendReturnsTheOperationIdAndSendsTheDocumentedBody()
    {
        await using var services = Services();

        var result = await services.GetRequiredService<IEmailProvider>().SendAsync(Email(FakeAcsServer.EmailAccepted), CancellationToken.None);

        Assert.Equal(new ProviderAccepted("2b3f8d8e-5a4c-4a57-9d7e-0f3c1b2a9e11"), result);
        var request = Assert.Single(_server.Requests);
        Assert.True(request.SignatureValid);
        Assert.Equal("/emails:send?api-version=2023-03-31", request.Target);
        Assert.Equal("2b3f8d8e-5a4c-4a57-9d7e-0f3c1b2a9e11", request.Headers["Operation-Id"]);
        var body = request.Json;
        Assert.Equal("DoNotReply@retention.example.com", body["senderAddress"]!.GetValue<string>());
        Assert.Equal(FakeAcsServer.EmailAccepted, body["recipients"]!["to"]![0]!["address"]!.GetValue<string>());
        Assert.Equal("李雷", body["recipients"]!["to"]![0]!["displayName"]!.GetValue<string>());
        Assert.Equal("感谢您的购买", body["content"]!["subject"]!.GetValue<string>());
        Assert.Equal("感谢您的购买", body["content"]!["plainText"]!.GetValue<string>());
        Assert.Equal("<p>感谢您的购买</p>", body["content"]!["html"]!.GetValue<string>());
        Assert.Equal("post-sale:C001:S1/thank-you/0", body["headers"]!["ClientCorrelationId"]!.GetValue<string>());
        Assert.True(body["userEngagementTrackingDisabled"]!.GetValue<bool>());
    }

    [Fact]
    public async Task ATextOnlyEmailLeavesHtmlOut()
    {
        await using var services = Services();

        await services.GetRequiredService<IEmailProvider>().SendAsync(Email(FakeAcsServer.EmailAccepted, html: null), CancellationToken.None);

        Assert.False(Assert.Single(_server.Requests).Json["content"]!.AsObject().ContainsKey("html"));
    }

    [Fact]
    public async Task OperationIdIsTheSameOnEveryRetryAndTheServerQueuesOnce()
    {
        var request = Email(FakeAcsServer.EmailAccepted);
        await using (var beforeCrash = Services())
        {
            await beforeCrash.GetRequiredService<IEmailProvider>().SendAsync(request, CancellationToken.None);
        }
        _time.Advance(TimeSpan.FromMinutes(1));
        await using var afterRestart = Services();

        var retried = await afterRestart.GetRequiredService<IEmailProvider>().SendAsync(request, CancellationToken.None);

        Assert.IsType<ProviderAccepted>(retried);
        Assert.Equal(1, _server.EmailSends);
        var operationIds = _server.Requests.Select(r => r.Headers["Operation-Id"]).Distinct().ToArray();
        Assert.Equal("2b3f8d8e-5a4c-4a57-9d7e-0f3c1b2a9e11", Assert.Single(operationIds));
        Assert.All(_server.Requests, r => Assert.True(r.SignatureValid));
    }

    [Fact]
    public async Task Http429IsUnavailableWithTheRetryAfterSeconds()
    {
        await using var services = Services();

        var result = await services.GetRequiredService<IEmailProvider>().SendAsync(Email(FakeAcsServer.EmailThrottled), CancellationToken.None);

        Assert.Equal(TimeSpan.FromSeconds(7), Assert.IsType<ProviderUnavailable>(result).RetryAfter);
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task Http503IsUnavailable()
    {
        await using var services = Services();

        var result = await services.GetRequiredService<IEmailProvider>().SendAsync(Email(FakeAcsServer.EmailServerError), CancellationToken.None);

        Assert.IsType<ProviderUnavailable>(result);
    }

    [Fact]
    public async Task Http400IsRejectedWithTheServiceErrorButWithoutTheAddress()
    {
        await using var services = Services();

        var result = await services.GetRequiredService<IEmailProvider>().SendAsync(Email(FakeAcsServer.EmailInvalid), CancellationToken.None);

        var rejected = Assert.IsType<ProviderRejected>(result);
        Assert.Contains("InvalidRecipient", rejected.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(FakeAcsServer.EmailInvalid, rejected.Reason, StringComparison.Ordinal);
        Assert.All(_logs.Entries, e => Assert.DoesNotContain("@example.com", e.Message, StringComparison.Ordinal));
    }
}
