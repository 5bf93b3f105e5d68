using System.Text.Json;
using Retention.Core.Definitions;

namespace Retention.Core.Runtime;

/// <summary>Moves an instance onto another version of its journey, each current step to the step the mapping names.</summary>
public sealed record MigrateInstance(JourneyDefinition To, IReadOnlyDictionary<string, string> Mapping) : JourneyInput;

/// <summary>
/// The pure part of migrating in-flight instances on publish: (state, from, to, mapping, now) → (state', commands).
/// A wait mapped to the same kind of wait keeps its deadline and its timer token, so the timer already queued fires
/// it once on the new version; any other mapping re-enters the mapped step, which takes a new token and makes the old
/// timer's firing stale. Send keys carry the step's occurrence count across versions, so nothing already sent is
/// sent again.
/// </summary>
public static class JourneyMigration
{
    /// <summary>Every step some instance is at must map to a step of <paramref name="to"/>: one error per fault, at <c>/mapping/{stepId}</c>.</summary>
    public static IReadOnlyList<DefinitionError> Check(IEnumerable<string> currentSteps, JourneyDefinition to, IReadOnlyDictionary<string, string> mapping)
    {
        var errors = new List<DefinitionError>();
        foreach (var step in currentSteps.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            if (!mapping.ContainsKey(step))
            {
                errors.Add(new DefinitionError(JsonPointer.Append("/mapping", step), $"instances are at step '{step}'; map it to a step of the new version"));
            }
        }
        foreach (var (from, target) in mapping.OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            if (to.FindStep(target) is null)
            {
                errors.Add(new DefinitionError(JsonPointer.Append("/mapping", from), $"maps to '{target}', which is not a step of the new version"));
            }
        }
        return errors;
    }

    public static InterpretResult Migrate(JourneyInterpreter interpreter, JourneyDefinition from, JourneyInstanceState current, MigrateInstance migrate, DateTimeOffset now)
    {
        var to = migrate.To;
        if (current.JourneyId != to.Id)
        {
            throw new InvalidOperationException($"Instance {current.InstanceId} is in journey {current.JourneyId}, not {to.Id}.");
        }
        if (current.Status.IsFinished())
        {
            return Ignored(current, "the instance has finished");
        }
        if (current.Version == to.Version)
        {
            return Ignored(current, $"already on version {to.Version}");
        }
        var note = $"from version {current.Version} to {to.Version}";
        if (current.Holdout || current.CurrentStepId is null)
        {
            // A holdout runs no steps: only the version moves; its goal window's timer stays as it is.
            return Moved(current, to.Version, null, null, note, now);
        }
        var stepId = current.CurrentStepId;
        if (!migrate.Mapping.TryGetValue(stepId, out var target) || to.FindStep(target) is not { } targetStep)
        {
            return Ignored(current, $"step {stepId} is not mapped to a step of version {to.Version}");
        }
        var timer = current.Timer;
        var sameWait = (from.FindStep(stepId), targetStep) switch
        {
            (WaitStep, WaitStep) => timer?.Purpose == TimerPurpose.Wait,
            (WaitForEventStep, WaitForEventStep next) => (timer?.Purpose == TimerPurpose.EventTimeout) == (next.Timeout is not null),
            _ => false,
        };
        if (sameWait)
        {
            var kept = timer is null ? "" : $", keeping the deadline {timer.DueAt:O}";
            return Moved(current, to.Version, target, timer is null ? null : timer with { StepId = target }, $"{note}: step {stepId} → {target}{kept}", now);
        }
        if (current.Status == InstanceStatus.Suspended)
        {
            // Re-entering would run steps while suspended; it stays on its version and can be migrated after a resume.
            return Ignored(current, $"suspended at step {stepId}, which must be re-entered on the new version");
        }
        var moved = Clone(current);
        moved.Version = to.Version;
        return interpreter.Reenter(to, moved, target, $"{note}: step {stepId} → {target}, re-entered", now);
    }

    private static InterpretResult Moved(JourneyInstanceState current, int version, string? stepId, PendingTimer? timer, string note, DateTimeOffset now)
    {
        var state = Clone(current);
        state.Version = version;
        if (stepId is not null)
        {
            state.CurrentStepId = stepId;
            state.Timer = timer;
        }
        state.UpdatedAt = now;
        state.HistoryCount++;
        return new InterpretResult(state, [], [new HistoryEntry(now, HistoryKinds.Migrated, state.CurrentStepId, note)], true);
    }

    private static InterpretResult Ignored(JourneyInstanceState state, string reason) => new(state, [], [], false, reason);

    private static JourneyInstanceState Clone(JourneyInstanceState state) =>
        JsonSerializer.Deserialize(JsonSerializer.SerializeToUtf8Bytes(state, CoreJsonContext.Default.JourneyInstanceState), CoreJsonContext.Default.JourneyInstanceState)!;
}
