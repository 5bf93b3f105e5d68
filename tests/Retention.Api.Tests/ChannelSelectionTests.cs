using Microsoft.Extensions.DependencyInjection;
using Retention.Channels.Acs;
using Retention.Channels.Providers;
using Retention.Channels.Smtp;
using Retention.Core.Ports;
using Retention.Storage.DevOutbox;
using Retention.Testing;

namespace Retention.Api.Tests;

public class ChannelProviderSelection
{
    private const string Journey = """{ "id": "j", "trigger": { "type": "api" }, "start": "a", "steps": [ { "id": "a", "type": "exit" } ] }""";

    [Fact]
    public void UsesTheDevOutboxUnlessConfigured()
    {
        using var host = new RetentionFactory(virtualTime: true, [Journey]);
        Assert.IsType<DevOutboxProvider>(host.Get<ISmsProvider>());
        Assert.IsType<DevOutboxProvider>(host.Get<IEmailProvider>());
    }

    [Fact]
    public async Task UsesAcsForSmsAndSmtpForEmailWhenConfiguredAndHasNoDevOutbox()
    {
        using var host = new RetentionFactory(virtualTime: true, [Journey], new()
        {
            ["Retention:Channels:Sms:Provider"] = "acs",
            ["Retention:Channels:Sms:Acs:ConnectionString"] = "endpoint=https://contoso.communication.azure.com/;accesskey=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
            ["Retention:Channels:Sms:Acs:From"] = "+18005550100",
            ["Retention:Channels:Email:Provider"] = "smtp",
            ["Retention:Channels:Email:Smtp:Host"] = "smtp.example.com",
            ["Retention:Channels:Email:Smtp:FromAddress"] = "noreply@example.com",
        });
        Assert.IsType<AcsSmsProvider>(host.Get<ISmsProvider>());
        Assert.IsType<SmtpEmailProvider>(host.Get<IEmailProvider>());
        Assert.Null(host.Services.GetService<DevOutboxProvider>());
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await host.Admin().GetAsync(new Uri("/api/dev/outbox", UriKind.Relative))).StatusCode);
    }
}
