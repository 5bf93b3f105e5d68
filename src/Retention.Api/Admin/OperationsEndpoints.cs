using Microsoft.AspNetCore.Http.HttpResults;
using Retention.Api.Composition;
using Retention.Api.Operations;
using Retention.Api.Security;
using Retention.Core.Runtime;
using Retention.Journeys;
using Retention.Storage.Ingest;

namespace Retention.Api.Admin;

/// <param name="Backlog">Accepted events not yet applied, counted now from one page of the inbox (up to 1,000 requests; capped past that).</param>
/// <param name="Poisoned">One page of the events set aside after failing repeatedly, oldest first.</param>
/// <param name="ContinuationToken">The token for the next page of <paramref name="Poisoned"/>; null on the last.</param>
public sealed record IngestStatus(IngestBacklogHealth Backlog, IReadOnlyList<PoisonedEvent> Poisoned, string? ContinuationToken);

public sealed record FailedInstance(string InstanceId, string JourneyId, int Version, string CustomerId, string? StepId, string? Reason, DateTimeOffset? At);

/// <summary>
/// What an operator watches: instances that failed (a step that cannot run, an effect that kept failing past its retries): kept with their reason,
/// never retried forever, for an operator to read, fix and restart.
/// </summary>
public static class OperationsEndpoints
{
    public const int PageSize = 200;

    public static IEndpointRouteBuilder MapOperationsEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/operations").WithTags("Operations");
        group.MapGet("/failed", async Task<Results<Ok<ListPage<FailedInstance>>, ProblemHttpResult>> (
            [PageSize(PageSize)] int? pageSize, string? continuationToken, IJourneyInstances instances, CancellationToken ct) =>
        {
            if (Paging.Read(pageSize, PageSize, continuationToken, out var size, out var storageToken) is { } problem)
            {
                return problem;
            }
            var page = await instances.QueryAsync(null, InstanceStatus.Failed, size, storageToken, ct);
            return TypedResults.Ok(Paging.Answer(page.Items.Select(i => i.State)
                .Select(s => new FailedInstance(s.InstanceId, s.JourneyId, s.Version, s.CustomerId, s.CurrentStepId, s.Outcome, s.EndedAt)).ToList(), page.ContinuationToken));
        }).RequireAuthorization(Roles.Viewer).WithSummary("Failed instances with their reasons, a page at a time");
        group.MapGet("/ingest", async Task<Results<Ok<IngestStatus>, ProblemHttpResult>> (
            [PageSize(PageSize)] int? pageSize, string? continuationToken, IngestInbox inbox, TimeProvider time, CancellationToken ct) =>
        {
            if (Paging.Read(pageSize, PageSize, continuationToken, out var size, out var storageToken) is { } problem)
            {
                return problem;
            }
            var backlog = await inbox.MeasureAsync(Paging.MaxPageSize, ct);
            var poisoned = await inbox.ListPoisonedAsync(size, storageToken, ct);
            var answer = Paging.Answer(poisoned.Items, poisoned.ContinuationToken);
            return TypedResults.Ok(new IngestStatus(IngestBacklogHealth.Of(backlog, time.GetUtcNow()), answer.Items, answer.ContinuationToken));
        }).RequireAuthorization(Roles.Viewer)
            .WithSummary("Accepted webhook events not yet applied, and a page of those set aside after failing repeatedly (ids, types and errors; never their data)");
        group.MapPost("/ingest/poisoned/{id}/retry", async Task<Results<Accepted, ProblemHttpResult>> (string id, IngestInbox inbox, CancellationToken ct) =>
            await inbox.RetryPoisonedAsync(id, ct) ? TypedResults.Accepted((string?)null) : Problems.NotFound($"No event set aside as {id}."))
            .RequireAuthorization(Roles.Operator)
            .WithSummary("Puts an event set aside back at the end of the inbox, to be applied again (after its cause is fixed)");
        return app;
    }
}
