using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Retention.Channels.Acs;
using Retention.Channels.Providers;
using Retention.Channels.Smtp;
using Retention.Core.Ports;

namespace Retention.Channels.Tests;

public class ChannelProvidersRegistrationTests
{
    private const string ConnectionString = "endpoint=https://contoso.communication.azure.com/;accesskey=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    private static ServiceProvider Build(Dictionary<string, string?> settings) => ProviderServices.Build(settings, TimeProvider.System);

    [Theory]
    [InlineData(null)]
    [InlineData("dev")]
    [InlineData("Dev")]
    public void DevOrNothingRegistersNoProvider(string? provider)
    {
        using var services = Build(new() { ["Retention:Channels:Sms:Provider"] = provider, ["Retention:Channels:Email:Provider"] = provider });

        Assert.Null(services.GetService<ISmsProvider>());
        Assert.Null(services.GetService<IEmailProvider>());
    }

    [Fact]
    public void AcsRegistersTheAcsProviders()
    {
        using var services = Build(new()
        {
            ["Retention:Channels:Sms:Provider"] = "acs",
            ["Retention:Channels:Sms:Acs:ConnectionString"] = ConnectionString,
            ["Retention:Channels:Sms:Acs:From"] = "+18005550100",
            ["Retention:Channels:Email:Provider"] = "ACS",
            ["Retention:Channels:Email:Acs:ConnectionString"] = ConnectionString,
            ["Retention:Channels:Email:Acs:SenderAddress"] = "DoNotReply@contoso.com",
        });

        Assert.IsType<AcsSmsProvider>(services.GetRequiredService<ISmsProvider>());
        Assert.Same(services.GetRequiredService<AcsEmailProvider>(), services.GetRequiredService<IEmailProvider>());
    }

    [Fact]
    public void SmtpRegistersTheSmtpProviderWithItsOptions()
    {
        using var services = Build(new()
        {
            ["Retention:Channels:Email:Provider"] = "smtp",
            ["Retention:Channels:Email:Smtp:Host"] = "smtp.azurecomm.net",
            ["Retention:Channels:Email:Smtp:Username"] = "acs-smtp-user",
            ["Retention:Channels:Email:Smtp:Password"] = "secret",
            ["Retention:Channels:Email:Smtp:FromAddress"] = "DoNotReply@contoso.com",
        });

        Assert.IsType<SmtpEmailProvider>(services.GetRequiredService<IEmailProvider>());
        var options = services.GetRequiredService<IOptions<SmtpEmailOptions>>().Value;
        Assert.Equal(587, options.Port);
        Assert.Equal(SmtpSecurity.StartTls, options.Security);
    }

    [Fact]
    public void NoneRegistersTheProviderThatIsNeverCalledAndNamesTheSettingAsTheReason()
    {
        using var services = Build(new() { ["Retention:Channels:Sms:Provider"] = "None", ["Retention:Channels:Email:Provider"] = "none" });

        Assert.IsType<NoChannelProvider>(services.GetService<ISmsProvider>());
        Assert.IsType<NoChannelProvider>(services.GetService<IEmailProvider>());
        var selection = services.GetRequiredService<ChannelSelection>();
        Assert.Equal("no SMS provider: Retention:Channels:Sms:Provider is none", selection.SuppressionReason(Core.Definitions.MessageChannel.Sms));
        Assert.Equal("no email provider: Retention:Channels:Email:Provider is none", selection.SuppressionReason(Core.Definitions.MessageChannel.Email));
        Assert.Empty(selection.DevSettings());
        Assert.False(selection.UsesDevOutbox);
    }

    [Fact]
    public void TheDevSettingsAreTheChannelsOnTheDevOutboxUnsetIncluded()
    {
        using var services = Build(new() { ["Retention:Channels:Email:Provider"] = "none" });

        var selection = services.GetRequiredService<ChannelSelection>();
        Assert.Equal(["Retention:Channels:Sms:Provider"], selection.DevSettings());
        Assert.Null(selection.SuppressionReason(Core.Definitions.MessageChannel.Sms));
    }

    [Fact]
    public void AnUnknownProviderFailsAtRegistrationNamingTheKey()
    {
        var exception = Assert.Throws<InvalidOperationException>(() => Build(new() { ["Retention:Channels:Sms:Provider"] = "twilio" }));

        Assert.Contains("Retention:Channels:Sms:Provider", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingAcsSettingsFailNamingEachMissingKey()
    {
        using var services = Build(new() { ["Retention:Channels:Sms:Provider"] = "acs" });

        var exception = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<ISmsProvider>());

        Assert.Contains("Retention:Channels:Sms:Acs:ConnectionString is missing.", exception.Failures);
        Assert.Contains("Retention:Channels:Sms:Acs:From is missing.", exception.Failures);
    }

    [Fact]
    public void MissingSettingsFailWhenTheHostStarts()
    {
        using var services = Build(new() { ["Retention:Channels:Email:Provider"] = "acs" });

        // What the host runs at start for ValidateOnStart, before any message is sent.
        var exception = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("Retention:Channels:Email:Acs:SenderAddress is missing.", exception.Failures);
    }

    [Fact]
    public void ABadConnectionStringFailsWithoutEchoingTheKey()
    {
        using var services = Build(new()
        {
            ["Retention:Channels:Email:Provider"] = "acs",
            ["Retention:Channels:Email:Acs:ConnectionString"] = "endpoint=http://contoso.communication.azure.com/;accesskey=c2VjcmV0LWtleS12YWx1ZQ==",
            ["Retention:Channels:Email:Acs:SenderAddress"] = "DoNotReply@contoso.com",
        });

        var exception = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IEmailProvider>());

        Assert.Contains("Retention:Channels:Email:Acs:ConnectionString is not valid", exception.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("c2VjcmV0LWtleS12YWx1ZQ==", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingSmtpSettingsFailNamingEachMissingKey()
    {
        using var services = Build(new() { ["Retention:Channels:Email:Provider"] = "smtp", ["Retention:Channels:Email:Smtp:Username"] = "user" });

        var exception = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IEmailProvider>());

        Assert.Contains("Retention:Channels:Email:Smtp:Host is missing.", exception.Failures);
        Assert.Contains("Retention:Channels:Email:Smtp:FromAddress is missing.", exception.Failures);
        Assert.Contains("Retention:Channels:Email:Smtp:Password is missing (Retention:Channels:Email:Smtp:Username is set).", exception.Failures);
    }

    [Fact]
    public void CredentialsOverAnUnencryptedConnectionAreRefusedExceptOnLoopback()
    {
        Dictionary<string, string?> Smtp(string host) => new()
        {
            ["Retention:Channels:Email:Provider"] = "smtp",
            ["Retention:Channels:Email:Smtp:Host"] = host,
            ["Retention:Channels:Email:Smtp:Security"] = "None",
            ["Retention:Channels:Email:Smtp:Username"] = "user",
            ["Retention:Channels:Email:Smtp:Password"] = "secret",
            ["Retention:Channels:Email:Smtp:FromAddress"] = "care@contoso.com",
        };
        using var remote = Build(Smtp("smtp.contoso.com"));
        using var loopback = Build(Smtp("127.0.0.1"));

        var exception = Assert.Throws<OptionsValidationException>(() => remote.GetRequiredService<IEmailProvider>());

        Assert.Contains("Retention:Channels:Email:Smtp:Security", exception.Message, StringComparison.Ordinal);
        Assert.IsType<SmtpEmailProvider>(loopback.GetRequiredService<IEmailProvider>());
    }
}
