using Retention.Core.Calendars;
using Retention.Storage.Reference;

namespace Retention.Api.Composition;

/// <summary>
/// The business calendars in force: the latest published version (<see cref="ReferenceDataStore"/>), read once per
/// version, for what reads calendars outside a journey's replay (the complaints board, reports, validation). Instances
/// replay with the version they pinned.
/// </summary>
public sealed class BusinessCalendars(ReferenceDataStore store)
{
    private volatile Parsed? _parsed;

    public CalendarSet Current
    {
        get
        {
            var latest = store.Latest(ReferenceKinds.Calendars) ?? throw new InvalidOperationException("No business calendars are published yet.");
            if (_parsed is { } parsed && parsed.Version == latest.Version)
            {
                return parsed.Set;
            }
            var set = CalendarSet.Read(latest.Document).Set
                ?? throw new InvalidOperationException($"Business calendars version {latest.Version} does not read.");
            _parsed = new Parsed(latest.Version, set);
            return set;
        }
    }

    public IReadOnlyDictionary<string, BusinessCalendar> ById => Current.ById;

    /// <summary>
    /// The first version, from configuration: the calendar files of <c>Retention:Calendars:Path</c> with the region map
    /// and the default. Read when the host starts (<see cref="RetentionOptionsValidation"/> reports what is wrong, naming
    /// the file or the setting) and published only once.
    /// </summary>
    /// <returns>The document, or null with the errors when a file does not read or a configured calendar is missing.</returns>
    public static (string? Document, IReadOnlyList<string> Errors) ReadConfigured(CalendarOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var folder = options.ResolvePath();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var documents = new List<string>();
        var errors = new List<string>();
        foreach (var file in Directory.Exists(folder) ? Directory.EnumerateFiles(folder, "*.json").Order(StringComparer.Ordinal).ToList() : [])
        {
            var text = File.ReadAllText(file);
            var (calendar, fileErrors) = CalendarReader.Read(text);
            if (calendar is null)
            {
                errors.Add($"Calendar file {file} is invalid: " + string.Join("; ", fileErrors.Select(e => $"{e.Path} {e.Message}")));
                continue;
            }
            ids.Add(calendar.Id);
            documents.Add(text);
        }
        foreach (var id in options.Regions.Values.Append(options.Default).Where(id => !ids.Contains(id)).Distinct(StringComparer.Ordinal))
        {
            errors.Add($"Business calendar '{id}' is configured (Retention:Calendars) but not in {folder}.");
        }
        return errors.Count > 0 ? (null, errors) : (CalendarSet.Document(documents, options.Regions, options.Default), []);
    }

    private sealed record Parsed(int Version, CalendarSet Set);
}

/// <summary>The ids of the calendars in force, as the definition reader checks them: always those of the latest version.</summary>
public sealed class PublishedCalendarIdSet(BusinessCalendars calendars) : IReadOnlySet<string>
{
    private IReadOnlySet<string> Ids => calendars.ById.Keys.ToHashSet(StringComparer.Ordinal);

    public int Count => calendars.ById.Count;

    public bool Contains(string item) => calendars.ById.ContainsKey(item);

    public IEnumerator<string> GetEnumerator() => calendars.ById.Keys.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    public bool IsProperSubsetOf(IEnumerable<string> other) => Ids.IsProperSubsetOf(other);

    public bool IsProperSupersetOf(IEnumerable<string> other) => Ids.IsProperSupersetOf(other);

    public bool IsSubsetOf(IEnumerable<string> other) => Ids.IsSubsetOf(other);

    public bool IsSupersetOf(IEnumerable<string> other) => Ids.IsSupersetOf(other);

    public bool Overlaps(IEnumerable<string> other) => Ids.Overlaps(other);

    public bool SetEquals(IEnumerable<string> other) => Ids.SetEquals(other);
}
