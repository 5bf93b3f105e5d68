using System.Text.Json;
using System.Text.Json.Serialization;
using Retention.Core.Events;
using Retention.Core.Runtime;

namespace Retention.Journeys;

/// <summary>
/// The names stored in Durable Task history: renaming one breaks every instance in flight, so they are pinned here
/// and in each class's <c>[DurableTask]</c> attribute.
/// </summary>
public static class JourneyTasks
{
    public const string Journey = "Journey";
    public const string MessageDelivery = "MessageDelivery";
    public const string JourneyMigration = "JourneyMigration";
    public const string ScheduledWork = "ScheduledWork";
    public const string SendMessage = "SendMessage";
    public const string CreateTask = "CreateTask";
    public const string UpdateCustomer = "UpdateCustomer";
    public const string EmitEvent = "EmitEvent";
    public const string RecordFinished = "RecordFinished";
    public const string ListInstances = "ListInstances";
    public const string RunScheduledWork = "RunScheduledWork";
    public const string ReadRecentEvents = "ReadRecentEvents";

    /// <summary>The one external event name a journey instance listens to; what it carries is a <see cref="JourneySignal"/>.</summary>
    public const string Signal = "signal";
}

/// <summary>
/// One generation of a journey instance: the definition of its pinned version (immutable, so carrying it keeps the
/// instance on its version without reading storage), and either the start or the state and history tail that
/// <c>ContinueAsNew</c> carried over.
/// </summary>
/// <param name="Generation">How many times the instance has continued as new before this generation.</param>
public sealed record JourneyRun(string Definition, int Version, StartInstance? Start, string? State, IReadOnlyList<HistoryEntry>? History, int Generation = 0)
{
    public static string Serialize(JourneyInstanceState state) => JsonSerializer.Serialize(state, CoreJsonContext.Default.JourneyInstanceState);

    public JourneyInstanceState? ReadState() => State is null ? null : JsonSerializer.Deserialize(State, CoreJsonContext.Default.JourneyInstanceState);
}

[JsonConverter(typeof(JsonStringEnumConverter<SignalKind>))]
public enum SignalKind { Event, Suspend, Resume, Terminate, Migrate, Nudge }

/// <summary>What reaches a running instance from outside: an event, an operator's control, or a migration onto another version.</summary>
public sealed record JourneySignal(SignalKind Kind, CustomerEvent? Event = null, string? Reason = null, string? Definition = null,
    int? Version = null, IReadOnlyDictionary<string, string>? Mapping = null)
{
    public static JourneySignal Of(CustomerEvent e) => new(SignalKind.Event, e);
}

/// <summary>
/// What an instance publishes of itself as its Durable Task custom status, for the instance API, the reports and
/// routing: its state without the bulky parts (profile copy, seen-event keys, buffered events) and its latest history.
/// </summary>
/// <param name="Generation">How many times the instance has continued as new (its history was cut short).</param>
public sealed record JourneyInstanceView(JourneyInstanceState State, IReadOnlyList<HistoryEntry> History, int Generation = 0)
{
    /// <summary>History entries an instance keeps in its view and carries across <c>ContinueAsNew</c>.</summary>
    public const int HistoryKept = 60;

    public static JourneyInstanceView Of(JourneyInstanceState state, IReadOnlyList<HistoryEntry> history, int generation)
    {
        var slim = JsonSerializer.Deserialize(JsonSerializer.SerializeToUtf8Bytes(state, CoreJsonContext.Default.JourneyInstanceState), CoreJsonContext.Default.JourneyInstanceState)!;
        slim.Customer = [];
        slim.SeenEvents = [];
        slim.Buffered = [.. state.Buffered.Select(b => b with { Event = b.Event with { Data = [] } })];
        // A copy: the engine serializes the custom status when the episode ends, by which time the orchestration's own
        // list may hold the entries of effects still running, ahead of the state published with it.
        return new JourneyInstanceView(slim, [.. history], generation);
    }
}

/// <summary>A staff or system run that the engine carries out once: a schedule's occurrence, a system job.</summary>
public sealed record ScheduledWork(string Kind, string Name, DateTimeOffset Occurrence, bool Manual = false)
{
    /// <summary>An occurrence of a schedule-triggered journey: <see cref="Name"/> is the journey.</summary>
    public const string JourneyKind = "journey";

    /// <summary>A system job's run: <see cref="Name"/> is the job.</summary>
    public const string JobKind = "job";
}

/// <summary>Publishing with "migrate" or "end": every unfinished instance of older versions gets the signal.</summary>
public sealed record JourneyMigrationRun(string JourneyId, int ToVersion, JourneySignal Signal);

public sealed record InstancePageRequest(string JourneyId, string? ContinuationToken);

/// <summary>A customer's events received since an instant (at most <paramref name="Take"/>).</summary>
public sealed record RecentEventsRequest(string CustomerId, DateTimeOffset Since, int Take);

/// <param name="Versions">Each instance's version, so the migration skips those already on the new one.</param>
public sealed record InstanceIdPage(IReadOnlyList<string> InstanceIds, IReadOnlyList<int> Versions, string? ContinuationToken);

public sealed record FinishedInstance(string CustomerId, string InstanceId, string JourneyId, InstanceStatus Status, DateTimeOffset StartedAt);
