using Microsoft.AspNetCore.Hosting;
using Retention.Api.Security;
using Retention.Testing;

namespace Retention.Api.Tests;

/// <summary>Outside Development the host refuses the local default keys and secrets of API.md, and says why.</summary>
public sealed class StartupOutsideDevelopment
{
    [Fact]
    public async Task RefusesTheLocalDefaultKeysAndSecretsAndSaysWhy()
    {
        var refusal = Assert.IsType<Microsoft.Extensions.Options.OptionsValidationException>(await ProductionSettings.RefusalAsync(new()
        {
            ["Retention:Admin:Keys:0:Name"] = "local admin",
            ["Retention:Admin:Keys:0:Key"] = "dev-admin-key",
            ["Retention:Admin:Keys:0:Roles:0"] = "viewer",
            ["Retention:Webhooks:Sources:demo:Secrets:0"] = "dev-webhook-secret",
            ["Retention:EventGrid:Key"] = "dev-eventgrid-key",
        }, "Production"));
        Assert.Contains("Refusing to start in Production", refusal.Message, StringComparison.Ordinal);
        Assert.Contains("admin API key is the local default", refusal.Message, StringComparison.Ordinal);
        Assert.Contains("webhook secret is the local default", refusal.Message, StringComparison.Ordinal);
        Assert.Contains("Event Grid key is the local default", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StartsInProductionWithRealKeysAndSecrets()
    {
        // A real provider for SMS, and a deployment without email says so: the dev outbox is refused here.
        using var host = new RetentionFactory(virtualTime: true, [], ProductionSettings.With());
        using var production = host.WithWebHostBuilder(b => b.UseEnvironment("Production"));
        using var client = production.CreateClient();
        Assert.NotNull(client);
    }
}

/// <summary>A storage connection string the SDK cannot read stops the host with one message naming the setting, never the key.</summary>
public sealed class StartupWithABrokenStorageConnectionString
{
    [Fact]
    public async Task RefusesToStartAndNamesTheSettingAndTheFault()
    {
        const string Key = "not*base64*at*all";
        var refusal = Assert.IsType<Microsoft.Extensions.Options.OptionsValidationException>(await RetentionFactory.StartFailureAsync(new()
        {
            ["Retention:Storage:ConnectionString"] = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={Key};TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;",
        }));
        Assert.Contains("Retention:Storage:ConnectionString", refusal.Message, StringComparison.Ordinal);
        Assert.Contains("AccountKey is not base-64", refusal.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, refusal.Message, StringComparison.Ordinal);
    }
}

/// <summary>A setting the service would otherwise ignore or replace by a default stops the host with a message naming it.</summary>
public sealed class StartupWithAMalformedSetting
{
    /// <summary>The refusal the host starts with, in the Development environment the test host runs in.</summary>
    private static async Task<Microsoft.Extensions.Options.OptionsValidationException> RefusalAsync(Dictionary<string, string?> settings) =>
        Assert.IsType<Microsoft.Extensions.Options.OptionsValidationException>(await ProductionSettings.RefusalAsync(settings, "Development"));

    [Fact]
    public async Task RefusesAnImportUploadLimitOfNothing()
    {
        var refusal = await RefusalAsync(new() { ["Retention:Import:MaxUploadBytes"] = "0" });

        Assert.Contains("Retention:Import:MaxUploadBytes must be between 1 and", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RefusesQuietHoursThatAreNotATimeOfDay()
    {
        var refusal = await RefusalAsync(new() { ["Retention:Contact:QuietHours:marketing:Start"] = "9pm" });

        Assert.Contains("Retention:Contact:QuietHours:marketing:Start is '9pm'; it must be a time of day as HH:mm", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RefusesAWebhookSourceWithMoreThanTwoSecrets()
    {
        var refusal = await RefusalAsync(new()
        {
            ["Retention:Webhooks:Sources:crm:Secrets:0"] = "first-secret-of-the-crm-0123",
            ["Retention:Webhooks:Sources:crm:Secrets:1"] = "second-secret-of-the-crm-0123",
            ["Retention:Webhooks:Sources:crm:Secrets:2"] = "third-secret-of-the-crm-01234",
        });

        Assert.Contains("Retention:Webhooks:Sources:crm:Secrets has 3 secrets; a source has one or two active secrets", refusal.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("third-secret", refusal.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Retention:Webhooks:RateLimitPerSecond")]
    [InlineData("Retention:Webhooks:Sources:demo:RateLimitPerSecond")]
    public async Task RefusesAWebhookRateLimitThatIsNotPositive(string setting)
    {
        var refusal = await RefusalAsync(new() { [setting] = "0" });

        Assert.Contains($"{setting} must be a positive number of events per second", refusal.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("01:00:00")]
    public async Task RefusesAShutdownTimeoutThatIsNotABoundedWait(string timeout)
    {
        var refusal = await RefusalAsync(new() { ["Retention:ShutdownTimeout"] = timeout });

        Assert.Contains($"Retention:ShutdownTimeout is {timeout}; it must be more than zero and at most 00:05:00", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheShutdownTimeoutIsTheHostsOwn()
    {
        using var host = new RetentionFactory(virtualTime: true, [], new() { ["Retention:ShutdownTimeout"] = "00:00:12" });
        using var client = host.CreateClient();
        Assert.Equal(TimeSpan.FromSeconds(12), Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Microsoft.Extensions.Options.IOptions<Microsoft.Extensions.Hosting.HostOptions>>(host.Services).Value.ShutdownTimeout);
    }

    [Fact]
    public async Task RefusesAWebhookRateLimitThatIsNotANumber()
    {
        var refusal = Assert.IsType<InvalidOperationException>(await RetentionFactory.StartFailureAsync(new() { ["Retention:Webhooks:RateLimitPerSecond"] = "lots" }));

        Assert.Contains("Retention:Webhooks:RateLimitPerSecond", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RefusesADefaultTimeZoneThatIsNotKnown()
    {
        var refusal = await RefusalAsync(new() { ["Retention:DefaultTimeZone"] = "Mars/Olympus" });

        Assert.Contains("Retention:DefaultTimeZone is 'Mars/Olympus', which is not a known time zone", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RefusesASystemJobWhoseCronOrKindDoesNotRead()
    {
        var refusal = await RefusalAsync(new()
        {
            ["Retention:Jobs:nightly:Kind"] = "pyramid",
            ["Retention:Jobs:nightly:Cron"] = "every night",
            ["Retention:Jobs:sweep:Kind"] = "no-such-kind",
            ["Retention:Jobs:sweep:Cron"] = "0 3 * * *",
        });

        Assert.Contains("Retention:Jobs:nightly:Cron 'every night' is not a cron expression", refusal.Message, StringComparison.Ordinal);
        Assert.Contains("Retention:Jobs:sweep:Kind 'no-such-kind' is not a job kind", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RefusesAConfiguredCalendarThatHasNoFile()
    {
        var refusal = await RefusalAsync(new() { ["Retention:Calendars:Default"] = "atlantis" });

        Assert.Contains("Business calendar 'atlantis' is configured (Retention:Calendars)", refusal.Message, StringComparison.Ordinal);
    }
}

/// <summary>The task hub's own storage account, named by connectionName: a connection that is missing or unreadable stops the host naming the setting.</summary>
public sealed class StartupWithABrokenEngineConnection
{
    [Fact]
    public async Task RefusesAnUnreadableConnectionStringNamingTheSettingNotTheKey()
    {
        const string Key = "not*base64*at*all";
        var refusal = Assert.IsType<Microsoft.Extensions.Options.OptionsValidationException>(await RetentionFactory.StartFailureAsync(new()
        {
            ["extensions:durableTask:storageProvider:connectionName"] = "RetentionEngineStorage",
            ["RetentionEngineStorage"] = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={Key};TableEndpoint=http://127.0.0.1:10012/devstoreaccount1;",
        }));
        Assert.Contains("RetentionEngineStorage (the connection extensions:durableTask:storageProvider:connectionName names)", refusal.Message, StringComparison.Ordinal);
        Assert.Contains("AccountKey is not base-64", refusal.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RefusesAConnectionNameWithNoConnectionBehindIt()
    {
        var refusal = Assert.IsType<Microsoft.Extensions.Options.OptionsValidationException>(await RetentionFactory.StartFailureAsync(new()
        {
            ["extensions:durableTask:storageProvider:connectionName"] = "RetentionEngineStorage",
        }));
        Assert.Contains("extensions:durableTask:storageProvider:connectionName is 'RetentionEngineStorage', but no connection of that name is configured", refusal.Message, StringComparison.Ordinal);
    }
}
