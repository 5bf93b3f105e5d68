using System.Text.Json;
using System.Text.Json.Serialization;
using Retention.Core.Events;
using Retention.Core.Ports;
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
    public const string SignalMigrationPage = "SignalMigrationPage";
    public const string ReadDefinition = "ReadDefinition";
    public const string RunScheduledWork = "RunScheduledWork";
    public const string ReadRecentEvents = "ReadRecentEvents";
    public const string CountFacts = "CountFacts";

    /// <summary>The one external event name a journey instance listens to; what it carries is a <see cref="JourneySignal"/>.</summary>
    public const string Signal = "signal";
}

/// <summary>
/// One generation of a journey instance: its pinned version, and either the start or the state and history tail that
/// <c>ContinueAsNew</c> carried over. The version is named by <paramref name="JourneyId"/> and <paramref name="Version"/>,
/// and the worker reads its definition from the catalog once and keeps it (<see cref="JourneyDefinitions"/>): a
/// published version never changes, so every replay runs the same definition, and a start no longer carries ~10 KB of it.
/// </summary>
/// <param name="Definition">
/// The version's definition itself, in generations of instances started before instances named their version (they
/// keep carrying it); null in those that name it.
/// </param>
/// <param name="Generation">How many times the instance has continued as new before this generation.</param>
/// <param name="Pinned">The settings this generation replays with; null in a generation begun before they were pinned.</param>
/// <param name="JourneyId">The journey whose published <paramref name="Version"/> this generation runs; null in generations begun before it was named.</param>
/// <param name="Counted">
/// In a start: the report facts the router recorded for the instance before starting it (what its start gives when it
/// runs no effect), so the instance counts only what differs; null when nothing was recorded for it.
/// </param>
public sealed record JourneyRun(string? Definition, int Version, StartInstance? Start, string? State, IReadOnlyList<HistoryEntry>? History, int Generation = 0,
    PinnedSettings? Pinned = null, string? JourneyId = null, CountedFacts? Counted = null)
{
    public static string Serialize(JourneyInstanceState state) => JsonSerializer.Serialize(state, CoreJsonContext.Default.JourneyInstanceState);

    /// <summary>
    /// The report facts a start gives when it runs no effect and does not finish, for the router to record before the
    /// instance exists (<see cref="Counted"/>); null when they ride on its first effect or on its finish.
    /// </summary>
    public static CountedFacts? CountedStart(JourneyInterpreter interpreter, Core.Definitions.JourneyDefinition journey, StartInstance start, DateTimeOffset now)
    {
        var result = interpreter.Interpret(journey, null, start, now);
        return result.State.Status.IsFinished() || result.Commands.Any(c => c is not ScheduleTimer)
            ? null
            : Core.Reporting.JourneyFacts.CountedOf(result.State, now, interpreter.Settings.Calendars);
    }

    public JourneyInstanceState? ReadState() => State is null ? null : JsonSerializer.Deserialize(State, CoreJsonContext.Default.JourneyInstanceState);
}

[JsonConverter(typeof(JsonStringEnumConverter<SignalKind>))]
public enum SignalKind { Event, Suspend, Resume, Terminate, Migrate, Nudge }

/// <summary>What reaches a running instance from outside: an event, an operator's control, or a migration onto another version.</summary>
/// <param name="Definition">
/// The version's definition, in a migration signal raised before signals named only the version; a migration signal
/// now names the version, and the instance reads its definition (<see cref="JourneyTasks.ReadDefinition"/>).
/// </param>
/// <param name="Migration">The migration (<see cref="Core.Reporting.MigrationProgress.IdOf"/>) a migrate or terminate signal belongs to, whose progress the instance reports.</param>
public sealed record JourneySignal(SignalKind Kind, CustomerEvent? Event = null, string? Reason = null, string? Definition = null,
    int? Version = null, IReadOnlyDictionary<string, string>? Mapping = null, string? Migration = null)
{
    public static JourneySignal Of(CustomerEvent e) => new(SignalKind.Event, e);
}

/// <summary>
/// What an instance publishes of itself as its Durable Task custom status, for the instance API, the reports and
/// routing: its state without the bulky parts (profile copy, seen-event keys, buffered events) and its latest history.
/// </summary>
/// <param name="Generation">How many times the instance has continued as new (its history was cut short).</param>
/// <param name="Failure">Why the instance failed, published by the orchestrator as it fails.</param>
public sealed record JourneyInstanceView(JourneyInstanceState State, IReadOnlyList<HistoryEntry> History, int Generation = 0, JourneyFailure? Failure = null)
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

/// <summary>
/// Publishing with "migrate" or "end": every unfinished instance of older versions gets the signal, a page per
/// generation of the migration orchestration.
/// </summary>
/// <param name="ContinuationToken">Where the next page of the journey's instances starts; null for the first.</param>
/// <param name="Signalled">Instances signalled by the generations before this one.</param>
public sealed record JourneyMigrationRun(string JourneyId, int ToVersion, JourneySignal Signal, string? ContinuationToken = null, int Signalled = 0)
{
    public string Id => Core.Reporting.MigrationProgress.IdOf(JourneyId, ToVersion);

    public static string InstanceIdOf(string journeyId, int toVersion) => $"migration:{journeyId}:{toVersion}";
}

/// <param name="ContinuationToken">Where the next page starts; null after the last.</param>
public sealed record MigrationPage(int Signalled, string? ContinuationToken);

/// <summary>A published version to read: a migration's target, which the signal names without its definition.</summary>
public sealed record DefinitionRequest(string JourneyId, int Version);

/// <summary>A customer's events received since an instant (at most <paramref name="Take"/>).</summary>
public sealed record RecentEventsRequest(string CustomerId, DateTimeOffset Since, int Take);


public sealed record FinishedInstance(string CustomerId, string InstanceId, string JourneyId, InstanceStatus Status, DateTimeOffset StartedAt);

/// <summary>
/// Why an instance failed, in words: the step it was at (the effect's step when an effect failed for good), the input
/// it was applying, the activity that failed if any, and the exception's type and message. The message may carry
/// personal data (a provider's answer, a rendered value), so it is shown to admins and never logged.
/// </summary>
/// <param name="Input">What the instance was applying, by kind and id only (<see cref="JourneyFailures.Describe"/>).</param>
public sealed record JourneyFailure(DateTimeOffset At, string? StepId, string Input, string? Activity, string ExceptionType, string Message)
{
    /// <summary>The one-line reason the instance's outcome gives.</summary>
    public string Summary => $"{(Activity is null ? "" : Activity + " ")}failed at step {StepId ?? "(none)"} on {Input}: {ExceptionType}: {Message}";
}

/// <summary>How a failure and a restart read: one rule for the orchestrator and every engine.</summary>
public static class JourneyFailures
{
    /// <summary>An input by kind and id: event types and ids, timer tokens; never event data, which may be personal.</summary>
    public static string Describe(JourneyInput? input) => input switch
    {
        StartInstance start => $"start by {start.Trigger.Type} ({start.Trigger.Id})",
        EventReceived received => $"event {received.Event.Type} ({received.Event.Id})",
        TimerFired timer => $"timer {timer.Token}",
        SuspendInstance => "suspend",
        ResumeInstance => "resume",
        TerminateInstance => "terminate",
        MigrateInstance migrate => $"migration to version {migrate.To.Version}",
        null => "no input (between inputs)",
        _ => input.GetType().Name,
    };

    /// <summary>
    /// The input a failed instance restarts with: its last generation's own input (its start, or the state and history
    /// that <c>ContinueAsNew</c> carried), with the restart in its history.
    /// </summary>
    public static JourneyRun Restart(JourneyRun failedGeneration, HistoryEntry restarted) =>
        failedGeneration with { History = [.. failedGeneration.History ?? [], restarted], Counted = null }; // the failure recorded its own facts

    /// <summary>
    /// The signals a failed generation received, to raise again on its restart: the generation starts over, so those
    /// it applied are applied again (effects are keyed, so none is repeated) and those it had not taken yet are kept.
    /// The instance's own nudges are dropped: the restarted generation nudges itself when it needs to.
    /// </summary>
    public static IReadOnlyList<JourneySignal> SignalsToRaiseAgain(IEnumerable<JourneySignal?> received) =>
        [.. received.OfType<JourneySignal>().Where(s => s.Kind != SignalKind.Nudge)];
}
