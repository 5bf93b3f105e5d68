using System.Globalization;
using Retention.Core.Ports;

namespace Retention.Core.Reporting;

/// <summary>
/// A migration's progress (publishing with "migrate" or "end"), kept in the report counters under the migration's own
/// key: each instance signalled (by the page that signals it), and then moved, ended or failed to move (by the
/// instance, once it has applied the signal). Each is one fact of its own subject, so a repeat counts once.
/// </summary>
public static class MigrationProgress
{
    public const string Signalled = "signalled";
    public const string Moved = "moved";
    public const string Ended = "ended";
    public const string Failed = "failed";

    /// <summary>Every page of instances has been signalled.</summary>
    public const string Paged = "paged";

    /// <summary>The public id of the migration to <paramref name="version"/>: <c>journey.v3</c>.</summary>
    public static string IdOf(string journeyId, int version) => string.Create(CultureInfo.InvariantCulture, $"{journeyId}.v{version}");

    public static (string JourneyId, int Version)? Read(string id)
    {
        var cut = id.LastIndexOf(".v", StringComparison.Ordinal);
        return cut > 0 && int.TryParse(id.AsSpan(cut + 2), NumberStyles.None, CultureInfo.InvariantCulture, out var version) && version > 0
            ? (id[..cut], version) : null;
    }

    /// <summary>The counters' journey key of a migration, apart from every journey's own.</summary>
    public static string CounterKey(string migrationId) => "migration:" + migrationId;

    /// <summary>A page's signal to one instance.</summary>
    public static CountedFacts Signal(string migrationId, string instanceId) => Of(migrationId, "signal|" + instanceId, Signalled);

    /// <summary>What became of one instance: <see cref="Moved"/>, <see cref="Ended"/> or <see cref="Failed"/>.</summary>
    public static CountedFacts Result(string migrationId, string instanceId, string result) => Of(migrationId, "result|" + instanceId, result);

    public static CountedFacts AllPaged(string migrationId) => Of(migrationId, "pages", Paged);

    private static CountedFacts Of(string migrationId, string subject, string fact) => new(CounterKey(migrationId), 0, DateOnly.MinValue, subject, [fact]);
}
