using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Retention.Core.Definitions;
using Retention.Core.Events;
using Retention.Core.Ports;
using Retention.Core.Runtime;
using Retention.Testing.Durable;

namespace Retention.Journeys.Tests;

/// <summary>
/// The journeys' orchestrations and activities on the virtual engine, with every port in memory and time at
/// <see cref="T0"/> until a test advances it.
/// </summary>
internal sealed class JourneyWorld : IDisposable
{
    public static readonly DateTimeOffset T0 = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);

    private readonly ServiceProvider _provider;
    private int _events;

    public JourneyWorld(int inputsPerGeneration = 40, OffThreadContinuations offThread = OffThreadContinuations.Fail)
    {
        Clock = new FakeTimeProvider(T0);
        Settings = new SettingsInForce(inputsPerGeneration);
        Sender = new FakeMessageSender(Clock);
        var services = new ServiceCollection();
        services.AddSingleton<IMessageSender>(Sender);
        services.AddSingleton<ITaskSink>(Tasks);
        services.AddSingleton<ICustomerProfiles>(Profiles);
        services.AddSingleton<ICustomerEventSink>(Emitted);
        services.AddSingleton<IInstanceIndex>(Index);
        services.AddSingleton<IScheduledWorkRunner>(Work);
        services.AddSingleton<IRecentCustomerEvents>(Recent);
        services.AddSingleton<IFactCounters>(Counters);
        services.AddSingleton<IPublishedDefinitions>(Counters);
        services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        services.AddSingleton<TimeProvider>(Clock);
        services.AddSingleton<ICurrentSettings>(Settings);
        services.AddJourneyOrchestrations();
        // Registered after AddJourneyOrchestrations, so it is the one resolved.
        services.AddSingleton(sp => new JourneyOrchestrationOptions { Metrics = sp.GetRequiredService<JourneyMetrics>(), TimerMargin = TimeSpan.Zero });
        services.AddSingleton(InterpreterSettings.Default);
        services.AddSingleton(sp => new VirtualDurableEngine(sp, Clock) { OffThreadContinuations = offThread });
        services.AddSingleton<IJourneyInstances>(sp => sp.GetRequiredService<VirtualDurableEngine>());
        _provider = services.BuildServiceProvider();
        Engine = _provider.GetRequiredService<VirtualDurableEngine>();
    }

    public FakeTimeProvider Clock { get; }

    /// <summary>What instances pin, as a host's configuration: a test changes it to stand for a deployment.</summary>
    public SettingsInForce Settings { get; }
    public VirtualDurableEngine Engine { get; }
    public FakeMessageSender Sender { get; }
    public FakeTaskSink Tasks { get; } = new();
    public FakeCustomerProfiles Profiles { get; } = new();
    public FakeCustomerEventSink Emitted { get; } = new();
    public FakeInstanceIndex Index { get; } = new();
    public FakeScheduledWorkRunner Work { get; } = new();
    public FakeRecentEvents Recent { get; } = new();
    public FakeFactCounters Counters { get; } = new();

    public const string Templates = """{ "hello": { "sms": { "en": "Hello" } }, "later": { "sms": { "en": "Later" } }, "bye": { "sms": { "en": "Bye" } } }""";

    /// <summary>A journey triggered by a sale, its steps given as JSON array items.</summary>
    public static string Journey(string steps, string start = "a") => $$"""
        { "id": "test-journey", "name": "Test", "trigger": { "type": "event", "event": "sale.completed" },
          "start": "{{start}}", "steps": [ {{steps}} ], "templates": {{Templates}} }
        """;

    /// <summary>A day's wait, a send, then three days for an answer: a send and an exit either way.</summary>
    public static readonly string WaitSendAwait = Journey("""
        { "id": "a", "type": "wait", "duration": "P1D", "next": "b" },
        { "id": "b", "type": "send", "channel": "sms", "template": "hello", "category": "service", "next": "c" },
        { "id": "c", "type": "waitForEvent", "event": "sms.received", "timeout": "P3D", "onEvent": "replied", "onTimeout": "late" },
        { "id": "late", "type": "send", "channel": "sms", "template": "later", "category": "service", "next": "timed-out" },
        { "id": "timed-out", "type": "exit", "outcome": "no-reply" },
        { "id": "replied", "type": "exit", "outcome": "replied" }
        """);

    public static JourneyDefinition Read(string json, int version)
    {
        var read = new JourneyDefinitionReader().Read(json);
        Assert.True(read.IsValid, string.Join("\n", read.Errors.Select(e => $"{e.Path} {e.Message}")));
        return read.Definition! with { Version = version };
    }

    public static JsonObject Customer(string id) => new()
    {
        ["customerId"] = id, ["name"] = "Ann", ["phone"] = "+8613800138000", ["timeZone"] = "UTC",
        ["attributes"] = new JsonObject(), ["tags"] = new JsonArray(),
    };

    public CustomerEvent Event(string type, string customerId = "C1", JsonObject? data = null) =>
        new($"e{++_events}", "test", type, Clock.GetUtcNow(), customerId, data ?? []);

    /// <summary>
    /// Starts an instance of the journey for a customer's sale without running it: naming its published version, as the
    /// router does, when <paramref name="namesVersion"/>; else carrying the definition, as instances started before did.
    /// </summary>
    /// <param name="counted">
    /// The facts recorded for it before it starts, as the router records those of a start that runs no effect
    /// (<see cref="JourneyRun.Counted"/>): given, or with <paramref name="countStart"/> the start's own.
    /// </param>
    public async Task<string> EnterAsync(string json, string customerId = "C1", int version = 1, bool namesVersion = false,
        bool countStart = false, Func<string, CountedFacts>? counted = null)
    {
        var trigger = Event(KnownEventTypes.SaleCompleted, customerId, new JsonObject { ["customerId"] = customerId, ["saleId"] = "S-" + customerId });
        var journey = Read(json, version);
        var enter = Assert.IsType<Enter>(EntryPolicy.Decide(journey, trigger, null, Clock.GetUtcNow()));
        var start = new StartInstance(enter.InstanceId, enter.EntryKey, trigger, Customer(customerId), []);
        var recorded = counted?.Invoke(enter.InstanceId)
            ?? (countStart ? JourneyRun.CountedStart(_provider.GetRequiredService<PinnedInterpreters>().For(Settings.Current), journey, start, Clock.GetUtcNow()) : null);
        if (recorded is not null)
        {
            Assert.True(await Counters.RecordIfAsync(recorded, [], CancellationToken.None));
        }
        Assert.True(await Engine.StartAsync(JourneyTasks.Journey, enter.InstanceId, namesVersion
            ? new JourneyRun(null, version, start, null, null, Pinned: Settings.Current, JourneyId: journey.Id, Counted: recorded)
            : new JourneyRun(json, version, start, null, null, Pinned: Settings.Current, Counted: recorded), CancellationToken.None));
        return enter.InstanceId;
    }

    /// <summary>Starts an instance and runs it until it waits.</summary>
    public async Task<string> StartAsync(string json, string customerId = "C1", int version = 1, bool namesVersion = false)
    {
        var id = await EnterAsync(json, customerId, version, namesVersion);
        await Engine.RunUntilIdleAsync();
        return id;
    }

    public Task RaiseAsync(string instanceId, string type, JsonObject? data = null) =>
        Engine.SignalAsync(instanceId, JourneySignal.Of(Event(type, CustomerOf(instanceId), data)), CancellationToken.None);

    public Task SignalAsync(string instanceId, SignalKind kind, string reason) =>
        Engine.SignalAsync(instanceId, new JourneySignal(kind, Reason: reason), CancellationToken.None);

    private static string CustomerOf(string instanceId) => instanceId.Split(':')[1];

    public async Task<JourneyInstanceInfo> InfoAsync(string instanceId) =>
        await Engine.GetAsync(instanceId, CancellationToken.None) ?? throw new InvalidOperationException($"No instance {instanceId}.");

    public async Task<JourneyInstanceState> StateAsync(string instanceId) => (await InfoAsync(instanceId)).State;

    /// <summary>The engine's failure, if any, so a failed assertion says why the instance stopped.</summary>
    public string Why(string instanceId) => Engine.Inspect(instanceId) is { } i ? $"{i.Status} {i.FailureMessage}" : "no instance";

    public static string Stamp(DateTimeOffset at) => at.ToString("O", CultureInfo.InvariantCulture);

    public void Dispose() => _provider.Dispose();
}

/// <summary>The settings a test's "host" has in force; replacing <see cref="Current"/> stands for a deployment that changed them.</summary>
internal sealed class SettingsInForce(int inputsPerGeneration) : ICurrentSettings
{
    private const string Calendars = """
        { "calendars": [ { "id": "mon-fri", "timeZone": "UTC", "workingHours": { "monday": ["09:00-17:00"], "tuesday": ["09:00-17:00"],
          "wednesday": ["09:00-17:00"], "thursday": ["09:00-17:00"], "friday": ["09:00-17:00"] } } ], "default": "mon-fri" }
        """;

    public PinnedSettings Current { get; set; } = new("UTC", TimeSpan.FromDays(1), inputsPerGeneration,
        new PinnedVersion(1, Calendars), new PinnedVersion(1, StaffDirectory.Empty.ToDocument()));
}
