using Microsoft.AspNetCore.Http.HttpResults;
using Retention.Api.Composition;
using Retention.Api.Operations;
using Retention.Api.Security;
using Retention.Core.Runtime;
using Retention.Journeys;
using Retention.Storage.Ingest;

namespace Retention.Api.Admin;

/// <param name="Backlog">Accepted events not yet applied, counted now (up to 100,000 requests).</param>
/// <param name="Poisoned">Events set aside after failing repeatedly (up to 200).</param>
public sealed record IngestStatus(IngestBacklogHealth Backlog, IReadOnlyList<PoisonedEvent> Poisoned);

public sealed record FailedInstance(string InstanceId, string JourneyId, int Version, string CustomerId, string? StepId, string? Reason, DateTimeOffset? At);

/// <summary>
/// What an operator watches: instances that failed (a step that cannot run, an effect that kept failing past its retries): kept with their reason,
/// never retried forever, for an operator to read, fix and restart.
/// </summary>
public static class OperationsEndpoints
{
    public static IEndpointRouteBuilder MapOperationsEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/operations").WithTags("Operations");
        group.MapGet("/failed", async (IJourneyInstances instances, CancellationToken ct) =>
        {
            var page = await instances.QueryAsync(null, InstanceStatus.Failed, 200, null, ct);
            return TypedResults.Ok(page.Items.Select(i => i.State)
                .Select(s => new FailedInstance(s.InstanceId, s.JourneyId, s.Version, s.CustomerId, s.CurrentStepId, s.Outcome, s.EndedAt)).ToList());
        }).RequireAuthorization(Roles.Viewer).WithSummary("Failed instances with their reasons (up to 200)");
        group.MapGet("/ingest", async (IngestInbox inbox, TimeProvider time, CancellationToken ct) =>
        {
            var backlog = await inbox.MeasureAsync(100_000, ct);
            var poisoned = await inbox.ListPoisonedAsync(200, ct);
            return TypedResults.Ok(new IngestStatus(IngestBacklogHealth.Of(backlog, time.GetUtcNow()), poisoned));
        }).RequireAuthorization(Roles.Viewer)
            .WithSummary("Accepted webhook events not yet applied, and those set aside after failing repeatedly (ids, types and errors; never their data)");
        group.MapPost("/ingest/poisoned/{id}/retry", async Task<Results<Accepted, ProblemHttpResult>> (string id, IngestInbox inbox, CancellationToken ct) =>
            await inbox.RetryPoisonedAsync(id, ct) ? TypedResults.Accepted((string?)null) : Problems.NotFound($"No event set aside as {id}."))
            .RequireAuthorization(Roles.Operator)
            .WithSummary("Puts an event set aside back at the end of the inbox, to be applied again (after its cause is fixed)");
        return app;
    }
}
