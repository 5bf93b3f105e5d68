using Microsoft.AspNetCore.Http.HttpResults;
using Retention.Api.Composition;
using Retention.Api.Security;
using Retention.Application.Reporting;
using Retention.Core.Definitions;

namespace Retention.Api.Admin;

/// <summary>
/// Read-only reports for the admin workspace, from the report counters kept as instances and messages move
/// (<see cref="JourneyReports"/>): exact whatever the number of instances, with no cap.
/// </summary>
public static class ReportsEndpoints
{
    public static IEndpointRouteBuilder MapReportsEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/reports").WithTags("Reports");
        group.MapGet("/journeys/{id}/funnel", FunnelAsync).RequireAuthorization(Roles.Viewer).WithSummary("Instances that reached each step, in step order");
        group.MapGet("/journeys/{id}/lift", LiftAsync).RequireAuthorization(Roles.Viewer).WithSummary("Conversion against the holdout, with a 95% interval");
        group.MapGet("/sla", SlaAsync).RequireAuthorization(Roles.Viewer).WithSummary("SLA clocks by severity: started, within target, breached");
        group.MapGet("/messages", MessagesAsync).RequireAuthorization(Roles.Viewer).WithSummary("Messages by channel, status and reason over the last days, of one journey (?journeyId=) or all");
        return app;
    }

    private static async Task<Results<Ok<FunnelReport>, ProblemHttpResult>> FunnelAsync(string id, JourneyReports reports, CancellationToken cancellationToken) =>
        reports.Exists(id) ? TypedResults.Ok(await reports.FunnelAsync(id, cancellationToken)) : Problems.NotFound($"No journey {id}.");

    private static async Task<Results<Ok<LiftReport>, ProblemHttpResult>> LiftAsync(string id, JourneyReports reports, CancellationToken cancellationToken) =>
        reports.Exists(id) ? TypedResults.Ok(await reports.LiftAsync(id, cancellationToken)) : Problems.NotFound($"No journey {id}.");

    private static async Task<Ok<IReadOnlyList<SlaRow>>> SlaAsync(JourneyReports reports, CancellationToken cancellationToken) =>
        TypedResults.Ok(await reports.SlaAsync(cancellationToken));

    private static async Task<Results<Ok<IReadOnlyList<MessageCountRow>>, ProblemHttpResult>> MessagesAsync(int? days, string? journeyId, JourneyReports reports,
        CancellationToken cancellationToken)
    {
        var window = days ?? 30;
        if (window is < 1 or > 366)
        {
            return Problems.Validation([new DefinitionError("/days", "must be from 1 to 366")]);
        }
        return TypedResults.Ok(await reports.MessagesAsync(window, journeyId, cancellationToken));
    }
}
