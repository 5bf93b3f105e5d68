using Retention.Api.Security;
using Retention.Application.Ingest;
using Retention.Core.Runtime;

namespace Retention.Api.Composition;

/// <summary>The <c>Retention</c> configuration section.</summary>
public sealed class RetentionOptions
{
    public const string Section = "Retention";

    /// <summary>The folder of journey definitions published at start; defaults to the shipped <c>config/journeys</c>.</summary>
    public string? JourneysPath { get; set; }

    /// <summary>For customers whose profile has no time zone.</summary>
    public string DefaultTimeZone { get; set; } = "UTC";

    /// <summary>How long an event that arrives before its wait is kept for it.</summary>
    public TimeSpan EventBufferWindow { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// Inputs an instance applies before it continues as new, which bounds the history replayed per input. Each
    /// generation records the value it began with, so a change applies from an instance's next generation.
    /// </summary>
    public int InputsPerGeneration { get; set; } = 40;

    /// <summary>The bound on <see cref="InputsPerGeneration"/>: beyond it a replay reads too long a history.</summary>
    public const int MaxInputsPerGeneration = 1000;

    /// <summary>Runs the Durable Task worker and the scheduler in this process; off for a replica that only serves HTTP.</summary>
    public bool RunWorker { get; set; } = true;

    public TimeSpan CatalogRefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a stopping host waits for its work to finish: the Durable Task worker completes the work items in flight
    /// and releases its partitions within it, so the next process takes over at once. Keep it below the platform's grace
    /// period (30 s on Kubernetes and Container Apps), which ends in a kill.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(25);

    /// <summary>
    /// How long an instance control (terminate, suspend, resume) waits for the instance to apply it, answering 200 with
    /// the instance as it now is; past it, 202 with the instance as it was (it applies the control shortly).
    /// </summary>
    public TimeSpan InstanceControlWait { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long after its due time a durable timer is set to fire; unset, the orchestrations' own default (1 s).</summary>
    public TimeSpan? TimerMargin { get; set; }

    /// <summary>Attempts of an effect (send, task, customer update, emit) before the instance fails; unset, the default (12).</summary>
    public int? EffectRetryAttempts { get; set; }

    public WebhookOptions Webhooks { get; set; } = new();

    public AdminOptions Admin { get; set; } = new();

    public EventGridOptions EventGrid { get; set; } = new();

    public CalendarOptions Calendars { get; set; } = new();

    public StaffOptions Staff { get; set; } = new();

    public string ResolveJourneysPath() =>
        JourneysPath is { Length: > 0 } path ? Path.GetFullPath(path) : Path.Combine(AppContext.BaseDirectory, "config", "journeys");
}

public sealed class CalendarOptions
{
    /// <summary>The folder of business calendar files; defaults to the shipped <c>config/calendars</c>.</summary>
    public string? Path { get; set; }

    /// <summary>The calendar for customers whose region has none of its own.</summary>
    public string Default { get; set; } = "cn-mainland";

    /// <summary>Customer region to calendar id.</summary>
    public Dictionary<string, string> Regions { get; set; } = [];

    public string ResolvePath() =>
        Path is { Length: > 0 } path ? System.IO.Path.GetFullPath(path) : System.IO.Path.Combine(AppContext.BaseDirectory, "config", "calendars");
}

/// <summary>Who holds the escalation roles (supervisor, manager…) that journey tasks name, by customer region.</summary>
public sealed class StaffOptions
{
    /// <summary>Role to staff id for regions not listed under <see cref="Regions"/>.</summary>
    public Dictionary<string, string> Default { get; set; } = [];

    /// <summary>Region to (role to staff id).</summary>
    public Dictionary<string, Dictionary<string, string>> Regions { get; set; } = [];

    public StaffDirectory ToDirectory() => new(
        Regions.ToDictionary(r => r.Key, r => (IReadOnlyDictionary<string, string>)r.Value, StringComparer.Ordinal), Default);
}

public sealed class AdminOptions
{
    public List<AdminKey> Keys { get; set; } = [];
}

public sealed class AdminKey
{
    public string Name { get; set; } = "";
    public string Key { get; set; } = "";
    public List<string> Roles { get; set; } = [];
}

public sealed class EventGridOptions
{
    /// <summary>The key Event Grid subscriptions send as <c>?key=</c>; the endpoint refuses everything while it is empty.</summary>
    public string Key { get; set; } = "";
}
