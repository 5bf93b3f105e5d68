using System.Text.Json.Nodes;

namespace Retention.Core.Ports;

/// <summary>The latest completed occurrence of a schedule and what it reported.</summary>
public sealed record ScheduleResult(DateTimeOffset Occurrence, bool Manual, DateTimeOffset CompletedAt, JsonObject Figures);

/// <summary>Which occurrence of each schedule has run: an occurrence is claimed once however many hosts tick.</summary>
public interface IScheduleLedger
{
    /// <returns>true when this caller won the occurrence and must run it.</returns>
    Task<bool> TryClaimAsync(string schedule, DateTimeOffset occurrence, CancellationToken cancellationToken);

    Task<DateTimeOffset?> LastRunAsync(string schedule, CancellationToken cancellationToken);

    Task<IReadOnlyList<DateTimeOffset>> RunsAsync(string schedule, CancellationToken cancellationToken);

    Task RecordManualRunAsync(string schedule, DateTimeOffset at, CancellationToken cancellationToken);

    Task RecordResultAsync(string schedule, DateTimeOffset occurrence, bool manual, DateTimeOffset completedAt, JsonObject figures, CancellationToken cancellationToken);

    Task<ScheduleResult?> LastResultAsync(string schedule, CancellationToken cancellationToken);
}
