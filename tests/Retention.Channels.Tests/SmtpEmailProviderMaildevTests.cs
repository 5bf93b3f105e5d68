using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Retention.Channels.Providers;
using Retention.Core.Ports;

namespace Retention.Channels.Tests;

/// <summary>One maildev for the class: starting node costs seconds. Each test sends to its own address.</summary>
public sealed class MaildevFixture : IAsyncLifetime
{
    public MaildevProcess Maildev { get; private set; } = null!;

    public async Task InitializeAsync() => Maildev = await MaildevProcess.StartAsync();

    public async Task DisposeAsync() => await Maildev.DisposeAsync();
}

public sealed class SmtpEmailProviderMaildevTests(MaildevFixture fixture) : IClassFixture<MaildevFixture>
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly CapturedLogs _logs = new();

    [Fact]
    public async Task EmailMakesTheRoundTripThroughMaildev()
    {
        const string to = "li.lei@example.com";
        await using var services = SmtpEmailProviderTests.Services(fixture.Maildev.SmtpPort, _time, _logs);

        var result = await services.GetRequiredService<IEmailProvider>().SendAsync(SmtpEmailProviderTests.Email(to), CancellationToken.None);

        Assert.Equal(new ProviderAccepted("6f1c2d3e4b5a49788a9b0c1d2e3f4a5b@retention.example.com"), result);
        var email = Assert.Single(await fixture.Maildev.EmailsToAsync(to, 1));
        Assert.Equal("感谢您的购买 / Thank you", email["subject"]!.GetValue<string>());
        Assert.Equal("Thank you, Li Lei. 感谢您的购买。", email["text"]!.GetValue<string>().TrimEnd());
        Assert.Contains("<b>Li Lei</b>", email["html"]!.GetValue<string>(), StringComparison.Ordinal);
        var recipient = Assert.Single(email["to"]!.AsArray())!;
        Assert.Equal(to, recipient["address"]!.GetValue<string>());
        Assert.Equal("李雷", recipient["name"]!.GetValue<string>());
        Assert.Equal("care@retention.example.com", email["from"]![0]!["address"]!.GetValue<string>());
        Assert.Equal("<6f1c2d3e4b5a49788a9b0c1d2e3f4a5b@retention.example.com>", email["headers"]!["message-id"]!.GetValue<string>());
        Assert.All(_logs.Entries, e => Assert.DoesNotContain(to, e.Message, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task ARetriedSendCarriesTheSameMessageId()
    {
        const string to = "han.meimei@example.com";
        await using var services = SmtpEmailProviderTests.Services(fixture.Maildev.SmtpPort, _time, _logs);
        var provider = services.GetRequiredService<IEmailProvider>();
        var request = SmtpEmailProviderTests.Email(to, html: null) with { OperationId = Guid.Parse("0b9a8c7d-6e5f-4a3b-8c2d-1e0f9a8b7c6d") };

        await provider.SendAsync(request, CancellationToken.None);
        await provider.SendAsync(request, CancellationToken.None);

        var emails = await fixture.Maildev.EmailsToAsync(to, 2);
        Assert.Equal(2, emails.Count);
        Assert.Equal("<0b9a8c7d6e5f4a3b8c2d1e0f9a8b7c6d@retention.example.com>",
            Assert.Single(emails.Select(e => e["headers"]!["message-id"]!.GetValue<string>()).Distinct()));
        Assert.Equal("Thank you, Li Lei. 感谢您的购买。", emails[0]["text"]!.GetValue<string>().TrimEnd());
    }
}
