using Microsoft.AspNetCore.Http.HttpResults;
using Retention.Core.Runtime;
using Retention.Host.Security;
using Retention.Journeys;

namespace Retention.Host.Admin;

public sealed record FailedInstance(string InstanceId, string JourneyId, int Version, string CustomerId, string? StepId, string? Reason, DateTimeOffset? At);

/// <summary>
/// Instances that failed (a step that cannot run, an effect that kept failing past its retries): kept with their reason,
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
        return app;
    }
}
