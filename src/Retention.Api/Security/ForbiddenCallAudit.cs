using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Retention.Api.Admin;
using Retention.Core.Ports;

namespace Retention.Api.Security;

/// <summary>
/// A call refused for its role (403) is recorded in the audit log, reads included, with the caller's name: who tried
/// what. A call without credentials (401) is not attributable and is not recorded.
/// </summary>
public sealed class ForbiddenCallAudit(IAuditLog audit, ILogger<ForbiddenCallAudit> logger) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(authorizeResult);
        if (authorizeResult.Forbidden && context.User.Identity is { IsAuthenticated: true, Name: { } actor })
        {
            var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? context.Request.Path.Value ?? "";
            try
            {
                await audit.RecordAsync(actor, context.Request.Method, route, context.Request.Path, AdminAuditMiddleware.RouteTarget(context),
                    StatusCodes.Status403Forbidden, null, null, CancellationToken.None);
            }
            catch (Azure.RequestFailedException e)
            {
                logger.AuditNotRecorded(context.Request.Method, route, e.Status);
            }
        }
        await _default.HandleAsync(next, context, policy, authorizeResult);
    }
}
