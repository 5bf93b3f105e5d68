using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Retention.Api.Composition;
using Retention.Core.Ports;
using Retention.Api.Security;
using Retention.Journeys;
using Retention.Storage.Routing;

namespace Retention.Api.Admin;

/// <summary><c>GET /api/audit</c>: the admin changes, newest first, a page at a time.</summary>
public static class AuditEndpoints
{
    public const int PageSize = 50;

    public static IEndpointRouteBuilder MapAuditEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/audit", ReadAsync).RequireAuthorization(Roles.Viewer).WithTags("Audit")
            .WithSummary("Admin changes, newest first: who, what, when, and before/after where known")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        return app;
    }

    private static async Task<Results<Ok<ListPage<AuditEntry>>, ProblemHttpResult>> ReadAsync(IAuditLog audit, [PageSize(PageSize)] int? pageSize, string? continuationToken,
        CancellationToken cancellationToken)
    {
        if (Paging.Read(pageSize, PageSize, continuationToken, out var size, out var storageToken) is { } problem)
        {
            return problem;
        }
        var page = await audit.ReadAsync(size, storageToken, cancellationToken);
        return TypedResults.Ok(Paging.Answer(page.Items, page.ContinuationToken));
    }
}

/// <summary>
/// Records every admin change: each authenticated call to an <c>/api</c> endpoint that is not a GET and needs more than
/// the viewer role (validation and previews are reads), with the instance's status before and after for instance control.
/// </summary>
public sealed class AdminAuditMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context, IAuditLog audit, IJourneyInstances instances, ILogger<AdminAuditMiddleware> logger)
    {
        var endpoint = context.GetEndpoint() as RouteEndpoint;
        var route = endpoint?.RoutePattern.RawText;
        if (route is null || !route.StartsWith("/api/", StringComparison.Ordinal) || HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method)
            || HttpMethods.IsOptions(context.Request.Method)
            || endpoint!.Metadata.GetOrderedMetadata<IAuthorizeData>() is not { Count: > 0 } authorization || authorization.All(a => a.Policy == Roles.Viewer))
        {
            await next(context);
            return;
        }
        var instanceId = context.Request.RouteValues["instanceId"] as string;
        var targetId = RouteTarget(context);
        var before = instanceId is null ? null : await InstanceStatusAsync(instances, instanceId, context.RequestAborted);
        await next(context);
        if (context.User.Identity is not { IsAuthenticated: true, Name: { } actor })
        {
            return; // refused before it was attributable to a key: nothing changed
        }
        var after = instanceId is null ? null : await InstanceStatusAsync(instances, instanceId, CancellationToken.None);
        targetId ??= AuditDetails.TargetOf(context); // named by the endpoint when the route does not: an import, a queue
        var (reportedBefore, reportedAfter) = AuditDetails.Of(context);
        // What the endpoint reports wins: an instance control is applied by the instance after the answer.
        before = reportedBefore ?? before;
        after = reportedAfter ?? after;
        try
        {
            await audit.RecordAsync(actor, context.Request.Method, route, context.Request.Path, targetId, context.Response.StatusCode, before, after, CancellationToken.None);
        }
        catch (Azure.RequestFailedException e)
        {
            logger.AuditNotRecorded(context.Request.Method, route, e.Status);
        }
    }

    /// <summary>What the call is to, as its route names it: an instance, a journey or task (<c>id</c>), a job (<c>name</c>).</summary>
    public static string? RouteTarget(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var values = context.Request.RouteValues;
        return values["instanceId"] as string ?? values["id"] as string ?? values["name"] as string;
    }

    private static async Task<string?> InstanceStatusAsync(IJourneyInstances instances, string instanceId, CancellationToken cancellationToken) =>
        await instances.GetAsync(instanceId, cancellationToken) is { } stored ? $"{{\"status\":\"{stored.State.Status}\"}}" : null;
}
