using Retention.Core.Calendars;
using Retention.Core.Runtime;

namespace Retention.Journeys;

/// <summary>
/// Everything a generation's replay depends on besides its definition, state and inputs, carried in its own input
/// (<see cref="JourneyRun.Pinned"/>) so that a deployment changing a setting, a calendar or the staff directory cannot
/// change what a replay computes. The time zone and the event buffer window are the instance's from its start; the
/// rest are those in force when the generation began, so a wait set in it keeps the due time it was given.
/// </summary>
/// <param name="DefaultTimeZone">For customers with no (or an unknown) time zone: an IANA id.</param>
/// <param name="InputsPerGeneration">Inputs this generation applies before it continues as new.</param>
/// <param name="Calendars">The business calendars' version in force (<see cref="CalendarSet"/>'s document).</param>
/// <param name="Staff">The staff directory's version in force (<see cref="StaffDirectory"/>'s document).</param>
/// <param name="CountsFacts">
/// The generation records its report facts as it goes (<see cref="JourneyTasks.CountFacts"/>). False in a generation
/// begun before it did, whose replays must not schedule the activity; the backfill counts those instances.
/// </param>
/// <param name="CountsWithEffects">
/// The generation's report facts ride on an activity the same input already runs (<see cref="WithFacts{TCommand}"/>: its
/// first effect, else the finishing <see cref="JourneyTasks.RecordFinished"/>), and <see cref="JourneyTasks.CountFacts"/>
/// runs only for an input that runs none, so counting adds no activity and no episode of its own where it need not.
/// False in a generation begun before it did, whose replays schedule <see cref="JourneyTasks.CountFacts"/> as they did.
/// </param>
/// <param name="FinishesWithEffects">
/// With <paramref name="CountsWithEffects"/>: the input that finishes the instance has the first effect it runs also mark
/// the instance finished (<see cref="WithFacts{TCommand}.Finished"/>), and <see cref="JourneyTasks.RecordFinished"/> runs
/// only when that input runs no effect. False in a generation begun before it did, whose replays schedule
/// <see cref="JourneyTasks.RecordFinished"/> as they did.
/// </param>
public sealed record PinnedSettings(
    string DefaultTimeZone,
    TimeSpan EventBufferWindow,
    int InputsPerGeneration,
    PinnedVersion Calendars,
    PinnedVersion Staff,
    bool CountsFacts = false,
    bool CountsWithEffects = false,
    bool FinishesWithEffects = false)
{
    /// <summary>The next generation's: the instance's own time zone and buffer window, with what is in force now.</summary>
    public PinnedSettings Renewed(PinnedSettings current) => current with { DefaultTimeZone = DefaultTimeZone, EventBufferWindow = EventBufferWindow };
}

/// <summary>A published version of versioned data (calendars, staff), with its document, so a replay needs no storage.</summary>
public sealed record PinnedVersion(int Version, string Document);

/// <summary>What a new instance or generation pins: the settings in force now. Each host supplies its own.</summary>
public interface ICurrentSettings
{
    PinnedSettings Current { get; }
}

/// <summary>
/// The interpreter a generation runs: the host's, with the generation's pinned settings in place of the host's own.
/// Built once per distinct pin and kept, since every episode of a generation replays it.
/// </summary>
/// <param name="baseline">The host's own settings, for what is not pinned (safety limits).</param>
public sealed class PinnedInterpreters(InterpreterSettings baseline, ICurrentSettings current)
{
    private const int MaxCached = 64;

    private readonly BoundedCache<PinnedSettings, JourneyInterpreter> _built = new(MaxCached);

    /// <summary>The interpreter in force now: for a simulation, or a generation begun before settings were pinned.</summary>
    public JourneyInterpreter Current => For(current.Current);

    public JourneyInterpreter For(PinnedSettings? pinned)
    {
        if (pinned is null)
        {
            return Current;
        }
        if (_built.TryGetValue(pinned, out var cached))
        {
            return cached;
        }
        // Checked when they were published: a version that no longer reads would fail the instance, visibly.
        var calendars = CalendarSet.Read(pinned.Calendars.Document) is { Set: { } set } ? set
            : throw new InvalidOperationException($"Business calendars version {pinned.Calendars.Version} does not read.");
        var staff = StaffDirectory.Read(pinned.Staff.Document) is { Directory: { } directory } ? directory
            : throw new InvalidOperationException($"Staff directory version {pinned.Staff.Version} does not read.");
        var interpreter = new JourneyInterpreter(baseline with
        {
            DefaultTimeZone = TimeZoneInfo.FindSystemTimeZoneById(pinned.DefaultTimeZone),
            EventBufferWindow = pinned.EventBufferWindow,
            Calendars = calendars.ById,
            RegionCalendars = calendars.Regions,
            DefaultCalendar = calendars.Default,
            Staff = staff,
        });
        return _built.Set(pinned, interpreter);
    }
}
