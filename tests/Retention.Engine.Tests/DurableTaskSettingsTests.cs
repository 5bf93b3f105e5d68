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
