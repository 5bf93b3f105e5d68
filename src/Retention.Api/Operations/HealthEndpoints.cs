using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Retention.Api.Composition;
using Retention.Application.Ingest;
using Retention.Core.Ports;
using Retention.Journeys;
using Retention.Storage;
using Retention.Storage.Ingest;

namespace Retention.Api.Operations;

/// <param name="Reason">Why the service is unhealthy, for an operator; null when healthy.</param>
/// <param name="Worker">The Durable Task worker runs and has taken its partitions (or this replica serves only HTTP).</param>
/// <param name="Ingest">Accepted events not yet applied, as the drain last measured them plus those this replica accepted since.</param>
/// <param name="Partitions">The task hub's partitions (control queues) this replica's worker owns now; null without a worker or when storage did not answer.</param>
public sealed record Health(string Status, bool Storage, bool Worker, string? TaskHub, IngestBacklogHealth? Ingest, string? Reason = null, int? Partitions = null);

/// <param name="Capped">The count stopped at its cap: at least this many wait.</param>
public sealed record IngestBacklogHealth(int Events, int Requests, double OldestAgeSeconds, bool Capped)
{
    public static IngestBacklogHealth Of(InboxBacklog backlog, DateTimeOffset now) =>
        new(backlog.Events, backlog.Requests, Math.Round(backlog.Age(now).TotalSeconds, 1), backlog.Capped);
}

public static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", CheckAsync).WithTags("Operations")
            .WithSummary("200 when storage is reachable and the journey worker runs; otherwise 503 with the reason")
            .Produces<Health>(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    /// <summary>
    /// Anonymous and probed often, so its cost is fixed: one request that storage answers (no query), the worker's
    /// state, and the backlog gauge the drain keeps (<see cref="IngestMetrics.Backlog"/>) rather than a count of the inbox.
    /// </summary>
    private static async Task<Results<Ok<Health>, JsonHttpResult<Health>>> CheckAsync(
        StorageAccount account, IngestMetrics ingest, TimeProvider time, IServiceProvider services, IOptions<RetentionOptions> options, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(3));
        var storage = await account.IsReachableAsync(timeout.Token);
        var engine = options.Value.RunWorker ? services.GetService<IJourneyWorker>() : null;
        var partitions = engine is null ? null : await engine.ObservePartitionsAsync(timeout.Token);
        var worker = engine?.State ?? WorkerState.Running;
        var reasons = new List<string>();
        if (!storage)
        {
            reasons.Add("storage is unreachable (the table service did not answer within 3 s)");
        }
        if (worker == WorkerState.Stopped)
        {
            reasons.Add("the Durable Task worker is not running (not yet started, or stopping)");
        }
        else if (worker == WorkerState.Starting)
        {
            reasons.Add("the Durable Task worker is starting: it does not own its partitions yet, so new work would wait");
        }
        var health = new Health(reasons.Count == 0 ? "healthy" : "unhealthy", storage, worker == WorkerState.Running,
            services.GetService<IJourneyWorker>()?.TaskHubName,
            IngestBacklogHealth.Of(ingest.Backlog, time.GetUtcNow()),
            reasons.Count == 0 ? null : string.Join("; ", reasons), partitions);
        return reasons.Count == 0 ? TypedResults.Ok(health) : TypedResults.Json(health, statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
