using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Retention.Application.Ingest;
using Retention.Host;
using Retention.Journeys;
using Retention.Storage;
using Retention.Storage.Ingest;
using Retention.Testing.Durable;

namespace Retention.Testing;

/// <summary>
/// The real host in memory, on Azurite, with its own table and queue prefix so tests do not see each other.
/// With <see cref="VirtualTime"/> the clock is a <see cref="FakeTimeProvider"/> and the orchestrations run on the
/// in-memory <see cref="VirtualDurableEngine"/>, which the test drives; otherwise on the real Durable Task engine.
/// </summary>
public sealed class RetentionFactory : WebApplicationFactory<Program>
{
    public static readonly DateTimeOffset Epoch = new(2026, 3, 2, 0, 0, 0, TimeSpan.Zero); // a Monday

    private readonly JourneyFolder _journeys;
    private readonly Dictionary<string, string?> _settings;
    private readonly Action<IServiceCollection>? _services;

    /// <param name="services">Replaces services after the host's own, for an edge a test makes fail or slow.</param>
    public RetentionFactory(bool virtualTime, string[] journeys, Dictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        _services = services;
        VirtualTime = virtualTime;
        Clock = new FakeTimeProvider(Epoch);
        _journeys = new JourneyFolder(journeys);
        Prefix = "t" + Guid.NewGuid().ToString("N")[..10];
        _settings = new Dictionary<string, string?>
        {
            ["Retention:Storage:Prefix"] = Prefix,
            ["Retention:Storage:ConnectionString"] = TestStorage.ConnectionString,
            ["Retention:JourneysPath"] = _journeys.Path,
            ["Retention:RunWorker"] = virtualTime ? "false" : "true",
            ["Retention:DefaultTimeZone"] = "Asia/Shanghai",
        };
        if (virtualTime)
        {
            // The in-memory engine's timers are exact: no margin against early firing, so steps run at their due times.
            _settings["Retention:TimerMargin"] = "00:00:00";
            // Nothing runs an instance during a request under virtual time: a control answers 202 at once.
            _settings["Retention:InstanceControlWait"] = "00:00:00";
        }
        else
        {
            // Seconds-long end-to-end waits: poll idle queues every second, and fewer partitions to create per test hub.
            _settings["extensions:durableTask:storageProvider:partitionCount"] = "2";
            _settings["extensions:durableTask:storageProvider:maxQueuePollingInterval"] = "00:00:01";
        }
        foreach (var (key, value) in settings ?? [])
        {
            _settings[key] = value;
        }
    }

    public bool VirtualTime { get; }

    /// <summary>How many activities the in-memory engine runs at once (<see cref="VirtualDurableEngine.ActivityConcurrency"/>).</summary>
    public int ActivityConcurrency { get; init; } = 1;

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

    /// <summary>The in-memory engine of a virtual-time host.</summary>
    public VirtualDurableEngine Engine => VirtualTime ? Get<VirtualDurableEngine>() : throw new InvalidOperationException("Only a virtual-time host has the in-memory engine.");

    /// <summary>Runs every orchestration and activity that can move until only timers not yet due are left.</summary>
    public Task RunUntilIdleAsync() => Engine.RunUntilIdleAsync();

    /// <summary>Moves virtual time on, stopping at each timer on the way, so every step runs at its due time.</summary>
    public Task AdvanceAsync(TimeSpan by) => Engine.AdvanceToAsync(Clock.GetUtcNow() + by);

    /// <summary>
    /// What the host throws when it builds and starts with these settings over the tests' defaults, in
    /// <paramref name="environment"/>; null when it starts. Built as <c>Program</c> builds it rather than through the
    /// factory: when an app's start throws, the factory's deferred host can lose the race to report the exception and
    /// throw its own disposed service provider instead.
    /// </summary>
    public static async Task<Exception?> StartFailureAsync(Dictionary<string, string?> settings, string environment = "Development")
    {
        using var defaults = new RetentionFactory(virtualTime: true, [], settings);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = environment, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(defaults._settings);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        try
        {
            builder.AddRetention();
            await using var app = builder.Build();
            app.MapRetention();
            await app.StartAsync();
            await app.StopAsync();
            return null;
        }
        catch (Exception refusal)
        {
            return refusal;
        }
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
            builder.ConfigureServices(services =>
            {
                services.AddSingleton<TimeProvider>(Clock);
                // Accepted webhook events are applied as the engine pumps, as the drain service applies them in a real host.
                services.AddSingleton(sp => new VirtualDurableEngine(sp, Clock)
                {
                    ActivityConcurrency = ActivityConcurrency,
                    IdleWork = async () => (await sp.GetRequiredService<IngestDrain>().DrainAsync(TimeSpan.FromDays(1), CancellationToken.None)).Progressed,
                });
                services.AddSingleton<IJourneyInstances>(sp => sp.GetRequiredService<VirtualDurableEngine>());
            });
        }
        if (_services is not null)
        {
            builder.ConfigureServices(_services);
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
