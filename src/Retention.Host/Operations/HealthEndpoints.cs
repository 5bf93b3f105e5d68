using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Retention.Host.Composition;
using Retention.Storage;
using Retention.Storage.Work;

namespace Retention.Host.Operations;

/// <param name="Reason">Why the service is unhealthy, for an operator; null when healthy.</param>
public sealed record Health(string Status, bool Storage, bool Pollers, DateTimeOffset? LastPollAt, string? Reason = null);

public static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", CheckAsync).AllowAnonymous().WithTags("Operations")
            .WithSummary("200 when storage is reachable and the pollers are alive; otherwise 503 with the reason")
            .Produces<Health>(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    private static async Task<Results<Ok<Health>, JsonHttpResult<Health>>> CheckAsync(
        StorageAccount account, QueuePoller poller, WorkQueue queue, IOptions<RetentionOptions> options, TimeProvider time, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(3));
        var storage = await account.IsReachableAsync(timeout.Token);
        var stale = TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(15).Ticks, queue.Options.MaxPollingInterval.Ticks * 4));
        var pollers = !options.Value.RunPollers || (poller.LastPollAt is { } last && time.GetUtcNow() - last < stale);
        var reasons = new List<string>();
        if (!storage)
        {
            reasons.Add("storage is unreachable (the table service did not answer within 3 s)");
        }
        if (!pollers)
        {
            reasons.Add(poller.LastPollAt is { } at
                ? $"the work-queue poller has not completed a poll since {at:O}"
                : "the work-queue poller has not completed a poll yet");
        }
        var health = new Health(reasons.Count == 0 ? "healthy" : "unhealthy", storage, pollers, poller.LastPollAt, reasons.Count == 0 ? null : string.Join("; ", reasons));
        return reasons.Count == 0 ? TypedResults.Ok(health) : TypedResults.Json(health, statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
