using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Retention.Channels.Providers;
using Retention.Channels.Smtp;
using Retention.Core.Ports;

namespace Retention.Channels.Tests;

public sealed class SmtpEmailProviderTests
{
    private const string Recipient = "li.lei@example.com";
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly CapturedLogs _logs = new();

    internal static ServiceProvider Services(int port, TimeProvider time, CapturedLogs logs, string timeout = "00:00:30",
        string? username = null, string? password = null) => ProviderServices.Build(new Dictionary<string, string?>
    {
        ["Retention:Channels:Email:Smtp:Username"] = username,
        ["Retention:Channels:Email:Smtp:Password"] = password,
        ["Retention:Channels:Email:Provider"] = "smtp",
        ["Retention:Channels:Email:Smtp:Host"] = "127.0.0.1",
        ["Retention:Channels:Email:Smtp:Port"] = $"{port}",
        // Local sinks (maildev, the scripted server) speak plain SMTP on loopback; real servers use StartTls.
        ["Retention:Channels:Email:Smtp:Security"] = "None",
        ["Retention:Channels:Email:Smtp:FromAddress"] = "care@retention.example.com",
        ["Retention:Channels:Email:Smtp:FromDisplayName"] = "Retention Care",
        ["Retention:Channels:Email:Smtp:Timeout"] = timeout,
    }, time, logs);

    private ServiceProvider Services(int port, string timeout = "00:00:30") => Services(port, _time, _logs, timeout);

    internal static EmailRequest Email(string to = Recipient, string? html = "<p>Thank you, <b>Li Lei</b>.</p>") =>
        new("post-sale:C001:S1/thank-you/0", to, "李雷", "感谢您的购买 / Thank you", "Thank you, Li Lei. 感谢您的购买。", html,
            Guid.Parse("6f1c2d3e-4b5a-4978-8a9b-0c1d2e3f4a5b"));

    [Fact]
    public async Task ConfiguredCredentialsAreUsedToAuthenticate()
    {
        await using var server = new ScriptedSmtpServer(credentials: "acs-smtp-user:s3cret");
        await using var services = Services(server.Port, _time, _logs, username: "acs-smtp-user", password: "s3cret");

        var result = await services.GetRequiredService<IEmailProvider>().SendAsync(Email(), CancellationToken.None);

        Assert.IsType<ProviderAccepted>(result);
        Assert.Equal("acs-smtp-user", Assert.Single(server.Authenticated));
        Assert.Equal(1, server.Accepted);
    }

    [Fact]
    public async Task RefusedCredentialsAreUnavailableAndLoggedAsAnError()
    {
        await using var server = new ScriptedSmtpServer(credentials: "acs-smtp-user:s3cret");
        await using var services = Services(server.Port, _time, _logs, username: "acs-smtp-user", password: "wrong");

        var result = await services.GetRequiredService<IEmailProvider>().SendAsync(Email(), CancellationToken.None);

        Assert.IsType<ProviderUnavailable>(result);
        Assert.Equal(0, server.Accepted);
        Assert.Contains(_logs.Entries, e => e.EventName == nameof(Logs.ProviderCredentialsRefused));
        Assert.All(_logs.Entries, e => Assert.DoesNotContain("wrong", e.Message, StringComparison.Ordinal));
    }

    [Fact]
    public async Task APermanentRecipientRefusalIsRejectedWithoutTheAddress()
    {
        await using var server = new ScriptedSmtpServer(rcptReply: $"550 5.1.1 <{Recipient}>: Recipient address rejected");
        await using var services = Services(server.Port);

        var result = await services.GetRequiredService<IEmailProvider>().SendAsync(Email(), CancellationToken.None);

        var rejected = Assert.IsType<ProviderRejected>(result);
        Assert.Contains("550", rejected.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(Recipient, rejected.Reason, StringComparison.OrdinalIgnoreCase);
        Assert.All(_logs.Entries, e => Assert.DoesNotContain(Recipient, e.Message, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task ATransientRecipientRefusalIsUnavailable()
    {
        await using var server = new ScriptedSmtpServer(rcptReply: "451 4.3.0 Mailbox temporarily unavailable");
        await using var services = Services(server.Port);

        var result = await services.GetRequiredService<IEmailProvider>().SendAsync(Email(), CancellationToken.None);

        Assert.Contains("451", Assert.IsType<ProviderUnavailable>(result).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APermanentRefusalOfTheMessageIsRejected()
    {
        await using var server = new ScriptedSmtpServer(dataReply: "554 5.7.1 Message rejected as spam");
        await using var services = Services(server.Port);

        var result = await services.GetRequiredService<IEmailProvider>().SendAsync(Email(), CancellationToken.None);

        Assert.Contains("554", Assert.IsType<ProviderRejected>(result).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APermanentRefusalOfOurSenderIsUnavailableBecauseItIsConfiguration()
    {
        await using var server = new ScriptedSmtpServer(mailReply: "553 5.7.1 Sender address not allowed");
        await using var services = Services(server.Port);

        var result = await services.GetRequiredService<IEmailProvider>().SendAsync(Email(), CancellationToken.None);

        Assert.IsType<ProviderUnavailable>(result);
        Assert.Contains(_logs.Entries, e => e.EventName == nameof(Logs.ProviderCredentialsRefused));
    }

    [Fact]
    public async Task AServerThatNeverGreetsTimesOutAsUnavailable()
    {
        await using var server = new ScriptedSmtpServer(greet: false);
        await using var services = Services(server.Port, timeout: "00:00:00.300");

        var result = await services.GetRequiredService<IEmailProvider>().SendAsync(Email(), CancellationToken.None);

        Assert.IsType<ProviderUnavailable>(result);
    }

    [Fact]
    public async Task AClosedPortIsUnavailable()
    {
        await using var services = Services(FreePorts.Take());

        var result = await services.GetRequiredService<IEmailProvider>().SendAsync(Email(), CancellationToken.None);

        Assert.IsType<ProviderUnavailable>(result);
        Assert.Contains(_logs.Entries, e => e.EventName == nameof(Logs.ProviderUnreachable));
    }

    [Fact]
    public async Task AnInvalidAddressIsRejectedWithoutConnecting()
    {
        await using var services = Services(FreePorts.Take());

        var result = await services.GetRequiredService<IEmailProvider>().SendAsync(Email(to: "not an address"), CancellationToken.None);

        Assert.IsType<ProviderRejected>(result);
    }

    [Fact]
    public void MessageIdIsDerivedFromTheOperationIdAndTheSenderDomain() =>
        Assert.Equal("00000000000000000000000000000001@example.com",
            SmtpEmailProvider.MessageIdFor(Guid.Parse("00000000-0000-0000-0000-000000000001"), "care@example.com"));
}
