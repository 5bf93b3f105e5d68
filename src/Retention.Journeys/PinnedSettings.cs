using System.Collections.Concurrent;
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
public sealed record PinnedSettings(
    string DefaultTimeZone,
    TimeSpan EventBufferWindow,
    int InputsPerGeneration,
    PinnedCalendars Calendars,
    StaffDirectory Staff)
{
    /// <summary>The next generation's: the instance's own time zone and buffer window, with what is in force now.</summary>
    public PinnedSettings Renewed(PinnedSettings current) => current with { DefaultTimeZone = DefaultTimeZone, EventBufferWindow = EventBufferWindow };
}

/// <summary>The business calendars as published (each calendar file's text), with the region map and the default.</summary>
public sealed record PinnedCalendars(IReadOnlyList<string> Documents, IReadOnlyDictionary<string, string> Regions, string? Default);

/// <summary>What a new instance or generation pins: the settings in force now. Each host supplies its own.</summary>
public interface ICurrentSettings
{
    PinnedSettings Current { get; }
}

/// <summary>
/// The interpreter a generation runs: the host's, with the generation's pinned settings in place of the host's own.
/// Built once per distinct pin and kept, since every episode of a generation replays it.
/// </summary>
public sealed class PinnedInterpreters(JourneyInterpreter host)
{
    private const int MaxCached = 64;

    private readonly ConcurrentDictionary<PinnedSettings, JourneyInterpreter> _built = new(new ByContent());

    public JourneyInterpreter For(PinnedSettings? pinned)
    {
        if (pinned is null)
        {
            return host; // a generation begun before settings were pinned
        }
        if (_built.TryGetValue(pinned, out var cached))
        {
            return cached;
        }
        var interpreter = new JourneyInterpreter(host.Settings with
        {
            DefaultTimeZone = TimeZoneInfo.FindSystemTimeZoneById(pinned.DefaultTimeZone),
            EventBufferWindow = pinned.EventBufferWindow,
            Calendars = ReadCalendars(pinned.Calendars.Documents),
            RegionCalendars = pinned.Calendars.Regions,
            DefaultCalendar = pinned.Calendars.Default,
            Staff = pinned.Staff,
        });
        if (_built.Count >= MaxCached)
        {
            _built.Clear();
        }
        _built[pinned] = interpreter;
        return interpreter;
    }

    private static Dictionary<string, BusinessCalendar> ReadCalendars(IReadOnlyList<string> documents)
    {
        var calendars = new Dictionary<string, BusinessCalendar>(StringComparer.Ordinal);
        foreach (var document in documents)
        {
            // Checked when it was published or configured; a calendar that no longer reads would fail the instance.
            var (calendar, errors) = CalendarReader.Read(document);
            if (calendar is null)
            {
                throw new InvalidOperationException($"A pinned business calendar does not read: {errors[0].Path} {errors[0].Message}");
            }
            calendars[calendar.Id] = calendar;
        }
        return calendars;
    }

    /// <summary>Pins compare by what they hold: records compare collections by reference.</summary>
    private sealed class ByContent : IEqualityComparer<PinnedSettings>
    {
        public bool Equals(PinnedSettings? x, PinnedSettings? y) => x is not null && y is not null && Key(x) == Key(y);

        public int GetHashCode(PinnedSettings obj) => StringComparer.Ordinal.GetHashCode(Key(obj));

        private static string Key(PinnedSettings p) => System.Text.Json.JsonSerializer.Serialize(p);
    }
}
