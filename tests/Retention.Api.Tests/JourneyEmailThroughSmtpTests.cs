using System.Net;
using Retention.Testing;

namespace Retention.Api.Tests;

/// <summary>A journey's email leaves through SMTP (MailKit) to maildev, the real local SMTP sink, and is read back from it.</summary>
public sealed class JourneyEmailThroughSmtp
{
    private const string Welcome = """
        { "id": "welcome-email", "trigger": { "type": "event", "event": "sale.completed" }, "start": "send", "steps": [
            { "id": "send", "type": "send", "channel": "email", "template": "welcome", "category": "service" } ],
          "templates": { "welcome": { "email": { "en": { "subject": "Welcome, {{ customer.name }}",
            "text": "Your {{ trigger.data.product }} is ready.", "html": "<p>Your <b>{{ trigger.data.product }}</b> is ready.</p>" } } } } }
        """;

    [Fact]
    public async Task ArrivesInMaildevWithTheRenderedContent()
    {
        await using var maildev = await MaildevProcess.StartAsync();
        using var host = new RetentionFactory(virtualTime: true, [Welcome], new()
        {
            ["Retention:Channels:Email:Provider"] = "smtp",
            ["Retention:Channels:Email:Smtp:Host"] = "127.0.0.1",
            ["Retention:Channels:Email:Smtp:Port"] = maildev.SmtpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Retention:Channels:Email:Smtp:Security"] = "None", // maildev speaks plain SMTP on loopback
            ["Retention:Channels:Email:Smtp:FromAddress"] = "care@retention.example",
            ["Retention:Channels:Email:Smtp:FromDisplayName"] = "Client Care",
        });
        var client = host.CreateClient();
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync(Webhooks.Customer("M1", name: "Li Na"), host.Now)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync(Webhooks.Sale("M1", "S1", "Wealth Fund"), host.Now)).StatusCode);
        await host.RunUntilIdleAsync();

        var email = Assert.Single(await maildev.EmailsToAsync("m1@example.com", 1));
        Assert.Equal("Welcome, Li Na", email["subject"]!.GetValue<string>());
        Assert.Contains("Your Wealth Fund is ready.", email["text"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("<b>Wealth Fund</b>", email["html"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("care@retention.example", email["from"]![0]!["address"]!.GetValue<string>());
    }
}
