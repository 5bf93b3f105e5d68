using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Retention.Storage;
using Retention.Storage.Engine;
using Retention.Storage.Work;

namespace Retention.Testing;

/// <summary>
/// The real host in memory, on Azurite, with its own table and queue prefix so tests do not see each other.
/// With <see cref="VirtualTime"/> the clock is a <see cref="FakeTimeProvider"/> and the test drives the queue itself.
/// </summary>
public sealed class RetentionFactory : WebApplicationFactory<Program>
{
    public static readonly DateTimeOffset Epoch = new(2026, 3, 2, 0, 0, 0, TimeSpan.Zero); // a Monday

    private readonly JourneyFolder _journeys;
    private readonly Dictionary<string, string?> _settings;

    public RetentionFactory(bool virtualTime, string[] journeys, Dictionary<string, string?>? settings = null)
    {
        VirtualTime = virtualTime;
        Clock = new FakeTimeProvider(Epoch);
        _journeys = new JourneyFolder(journeys);
        Prefix = "t" + Guid.NewGuid().ToString("N")[..10];
        _settings = new Dictionary<string, string?>
        {
            ["Retention:Storage:Prefix"] = Prefix,
            ["Retention:Storage:ConnectionString"] = TestStorage.ConnectionString,
            ["Retention:JourneysPath"] = _journeys.Path,
            ["Retention:RunPollers"] = virtualTime ? "false" : "true",
            ["Retention:DefaultTimeZone"] = "Asia/Shanghai",
        };
        if (virtualTime)
        {
            // Azurite hides messages in real time, so under virtual time every timer is visible at once and hops until due.
            _settings["extensions:queues:MaxTimerHop"] = "00:00:00";
            _settings["extensions:queues:TimerHoldLimit"] = "00:00:00";
            _settings["extensions:queues:VisibilityTimeout"] = "00:00:00";
        }
        foreach (var (key, value) in settings ?? [])
        {
            _settings[key] = value;
        }
    }

    public bool VirtualTime { get; }
    public FakeTimeProvider Clock { get; }
    public string Prefix { get; }

    public DateTimeOffset Now => VirtualTime ? Clock.GetUtcNow() : DateTimeOffset.UtcNow;

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    public HttpClient Admin()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", "dev-admin-key");
        return client;
    }

    /// <summary>Processes queued work until nothing is left but timers that are not yet due.</summary>
    public async Task RunUntilIdleAsync(int maxRounds = 200)
    {
        var poller = Get<QueuePoller>();
        for (var round = 0; round < maxRounds; round++)
        {
            var outcomes = await poller.DrainOnceAsync(CancellationToken.None);
            if (outcomes.All(o => o == WorkOutcome.Hopped))
            {
                return;
            }
        }
        throw new InvalidOperationException($"The queue was still busy after {maxRounds} rounds.");
    }

    /// <summary>Moves virtual time on, then runs whatever fell due.</summary>
    public async Task AdvanceAsync(TimeSpan by)
    {
        Clock.Advance(by);
        await RunUntilIdleAsync();
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
        if (VirtualTime)
        {
            builder.ConfigureServices(services => services.AddSingleton<TimeProvider>(Clock));
        }
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        _journeys.Dispose();
    }
}

public static class TestStorage
{
    /// <summary>The Azurite the test command started, or another account given by RETENTION_TEST_STORAGE.</summary>
    public static string ConnectionString { get; } =
        Environment.GetEnvironmentVariable("RETENTION_TEST_STORAGE") is { Length: > 0 } configured ? configured : StorageOptions.DevelopmentConnectionString;
}
