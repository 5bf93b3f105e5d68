using Retention.Core.Calendars;
using Retention.Core.Conditions;
using Retention.Core.Runtime;

namespace Retention.Core.Reporting;

/// <summary>
/// What an instance counts for in the reports, as a set of facts that is a function of its state: entered, held out,
/// converted, each step reached, the step it is at while unfinished, its outcome once finished, and each SLA clock started, met or breached. The counters
/// hold, per instance, exactly the facts of its latest state, so counting the same state twice (a retried activity, a
/// replay, a backfill) changes nothing, and a fact the state loses (a clock met and then reopened) is taken back.
/// </summary>
public static class JourneyFacts
{
    public const string Entered = "entered";
    public const string Holdout = "holdout";
    public const string Converted = "converted";

    /// <summary>Converted while held out: the holdout's conversions, for the lift.</summary>
    public const string HoldoutConverted = "holdout-converted";

    public const string StepPrefix = "step:";

    /// <summary>Where an unfinished instance is now: what a migration must map.</summary>
    public const string AtPrefix = "at:";
    public const string OutcomePrefix = "outcome:";
    public const string SlaPrefix = "sla:";
    public const string MessagePrefix = "message:";

    /// <summary>Every fact, as one prefix of a counter read (<see cref="Ports.IFactCounters.ReadAsync"/>).</summary>
    public static readonly IReadOnlyList<string> All = [""];

    public const string SlaStarted = "started";
    public const string SlaMet = "met";
    public const string SlaBreached = "breached";

    /// <summary>The severity of an instance not started by an event with one.</summary>
    public const string UnknownSeverity = "unknown";

    public static string Step(string stepId) => StepPrefix + stepId;

    public static string At(string stepId) => AtPrefix + stepId;

    /// <summary>
    /// <c>outcome:completed:responded</c>: the status, with the outcome an exit or a goal named (a set the definition
    /// bounds); a terminated or failed instance's reason is free text, so only its status counts.
    /// </summary>
    public static string Outcome(InstanceStatus status, string? outcome) =>
        OutcomePrefix + status.ToString().ToLowerInvariant()
        + (status is InstanceStatus.Completed or InstanceStatus.Exited && !string.IsNullOrEmpty(outcome) ? ":" + outcome : "");

    /// <summary>The status and outcome of an outcome fact; null for another fact.</summary>
    public static (string Status, string? Outcome)? ReadOutcome(string fact)
    {
        if (!fact.StartsWith(OutcomePrefix, StringComparison.Ordinal))
        {
            return null;
        }
        var parts = fact[OutcomePrefix.Length..].Split(':', 2);
        return (parts[0], parts.Length == 2 ? parts[1] : null);
    }

    /// <summary><c>sla:critical:met:resolution</c>: per clock, so an instance running two clocks counts each.</summary>
    public static string Sla(string severity, string measure, string clock) => $"{SlaPrefix}{severity}:{measure}:{clock}";

    /// <summary>The severity and measure of an SLA fact; null for another fact.</summary>
    public static (string Severity, string Measure)? ReadSla(string fact)
    {
        if (!fact.StartsWith(SlaPrefix, StringComparison.Ordinal))
        {
            return null;
        }
        var parts = fact[SlaPrefix.Length..].Split(':', 3);
        return parts.Length == 3 ? (parts[0], parts[1]) : null;
    }

    /// <summary>The instance's record for the counters: its facts (<see cref="Of"/>) under its journey, version and start day.</summary>
    public static Ports.CountedFacts CountedOf(JourneyInstanceState state, DateTimeOffset now, IReadOnlyDictionary<string, BusinessCalendar> calendars) =>
        new(state.JourneyId, state.Version, DateOnly.FromDateTime(state.StartedAt.UtcDateTime), state.InstanceId, Of(state, now, calendars));

    /// <param name="now">
    /// The instance's time (the orchestration's, or the backfill's): a running clock past its target is breached. A
    /// finished instance's clocks are read as they stood when it ended, so its facts no longer change with time.
    /// </param>
    public static IReadOnlyList<string> Of(JourneyInstanceState state, DateTimeOffset now, IReadOnlyDictionary<string, BusinessCalendar> calendars)
    {
        if (state.Status == InstanceStatus.Pending)
        {
            return [];
        }
        var facts = new List<string> { Entered };
        if (state.Holdout)
        {
            facts.Add(Holdout);
        }
        if (state.Converted)
        {
            facts.Add(state.Holdout ? HoldoutConverted : Converted);
        }
        facts.AddRange(state.Occurrences.Keys.Order(StringComparer.Ordinal).Select(Step));
        if (state.Status.IsFinished())
        {
            facts.Add(Outcome(state.Status, state.Outcome));
        }
        else if (!state.Holdout && state.CurrentStepId is { } current)
        {
            facts.Add(At(current));
        }
        var severity = SeverityOf(state);
        var at = state.Status.IsFinished() && state.EndedAt is { } ended ? ended : now;
        foreach (var (name, clock) in state.Clocks.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            facts.Add(Sla(severity, SlaStarted, name));
            if (clock.ElapsedAt(at, calendars) >= clock.Clock.Target)
            {
                facts.Add(Sla(severity, SlaBreached, name));
            }
            else if (clock.Stopped)
            {
                facts.Add(Sla(severity, SlaMet, name));
            }
        }
        return facts;
    }

    /// <summary>The severity its trigger carried (a complaint's), for the SLA report's rows.</summary>
    public static string SeverityOf(JourneyInstanceState state) =>
        Condition.AsTextOrNull(state.Trigger["data"]?["severity"]) is { Length: > 0 } severity ? severity : UnknownSeverity;

    /// <summary>A message's one fact: its channel, status and reason group.</summary>
    public static string Message(string channel, string status, string? reason) =>
        $"{MessagePrefix}{channel}:{status}:{ReasonGroup(reason)}";

    /// <summary>The channel, status and reason group of a message fact; null for another fact.</summary>
    public static (string Channel, string Status, string? Reason)? ReadMessage(string fact)
    {
        if (!fact.StartsWith(MessagePrefix, StringComparison.Ordinal))
        {
            return null;
        }
        var parts = fact[MessagePrefix.Length..].Split(':', 3);
        return parts.Length == 3 ? (parts[0], parts[1], parts[2].Length == 0 ? null : parts[2]) : null;
    }

    /// <summary>Reasons carry times and counts ("quiet hours until 08:00…"); the part before them groups alike reasons.</summary>
    public static string? ReasonGroup(string? reason)
    {
        if (string.IsNullOrWhiteSpace(reason))
        {
            return null;
        }
        var cut = reason.IndexOfAny([':', '(', ';']);
        var head = (cut > 0 ? reason[..cut] : reason).Trim();
        var until = head.IndexOf(" until ", StringComparison.Ordinal);
        head = until > 0 ? head[..until] : head;
        return head.Length > 80 ? head[..80] : head;
    }
}
