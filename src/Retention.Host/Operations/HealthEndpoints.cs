using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Retention.Host.Composition;
using Retention.Storage;
using Retention.Storage.Work;

namespace Retention.Host.Operations;

public sealed record Health(string Status, bool Storage, bool Pollers, DateTimeOffset? LastPollAt);

public static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", CheckAsync).AllowAnonymous().WithTags("Operations").WithSummary("200 when storage is reachable and the pollers are alive");
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
        var health = new Health(storage && pollers ? "healthy" : "unhealthy", storage, pollers, poller.LastPollAt);
        return storage && pollers ? TypedResults.Ok(health) : TypedResults.Json(health, statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
