using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Retention.Engine.Tests;

/// <summary>The engine's settings (<c>extensions.durableTask</c>) are checked when the host starts, each error naming its key.</summary>
public sealed class DurableTaskSettingsTests
{
    [Fact]
    public void NoDurableTimerIsLongerThanAQueueMessageCanBeHidden()
    {
        var production = new DurableTaskSettings();
        Assert.True(production.MaximumTimerInterval < TimeSpan.FromDays(7));
        Assert.Empty(production.Errors());
        var error = Assert.Single(new DurableTaskSettings { MaximumTimerInterval = TimeSpan.FromDays(10) }.Errors());
        Assert.Contains("extensions:durableTask:maximumTimerInterval", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TheEngineRefusesBadSettingsAtStartNamingEach()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["extensions:durableTask:maximumTimerInterval"] = "10.00:00:00",
            ["extensions:durableTask:storageProvider:partitionCount"] = "17",
        }).Build();
        using var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddDurableTaskEngine().BuildServiceProvider();

        var refusal = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<DurableTaskSettings>>().Value);

        Assert.Contains(refusal.Failures, f => f.Contains("extensions:durableTask:maximumTimerInterval", StringComparison.Ordinal));
        Assert.Contains(refusal.Failures, f => f.Contains("extensions:durableTask:storageProvider:partitionCount", StringComparison.Ordinal));
    }
}

/// <summary>The task hub's account: the connection <c>connectionName</c> names, looked up as the Functions host looks it up.</summary>
public sealed class EngineStorageConnection
{
    private const string Connection = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:10012/devstoreaccount1;";

    private static EngineStorage Resolve(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var durable = configuration.GetSection(DurableTaskSettings.Section).Get<DurableTaskSettings>() ?? new DurableTaskSettings();
        Assert.Empty(EngineStorage.Errors(durable, configuration));
        return EngineStorage.For(durable, new Retention.Storage.StorageOptions { ConnectionString = "UseDevelopmentStorage=true" }, configuration);
    }

    [Fact]
    public void WithoutAConnectionNameTheTaskHubSharesTheServiceAccount()
    {
        var storage = Resolve([]);
        Assert.Null(storage.ConnectionName);
        Assert.Equal("UseDevelopmentStorage=true", storage.Account.ConnectionString);
    }

    [Theory]
    [InlineData("RetentionEngineStorage")]
    [InlineData("ConnectionStrings:RetentionEngineStorage")]
    [InlineData("AzureWebJobsRetentionEngineStorage")]
    public void TheNamedConnectionIsFoundWhereTheFunctionsHostLooks(string key)
    {
        var storage = Resolve(new() { [EngineStorage.ConnectionNameSetting] = "RetentionEngineStorage", [key] = Connection });
        Assert.Equal("RetentionEngineStorage", storage.ConnectionName);
        Assert.Equal(Connection, storage.Account.ConnectionString);
    }

    [Fact]
    public void AnAccountNameReachesTheAccountWithManagedIdentity()
    {
        var storage = Resolve(new() { [EngineStorage.ConnectionNameSetting] = "RetentionEngineStorage", ["RetentionEngineStorage:accountName"] = "stengine" });
        Assert.True(storage.Account.UsesIdentity);
        Assert.Equal(new Uri("https://stengine.queue.core.windows.net/"), storage.Account.IdentityEndpoints().Queue);
    }
}
