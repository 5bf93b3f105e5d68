using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.FileProviders;
using Retention.Api.Admin;
using Retention.Api.Security;

namespace Retention.Api.Web;

/// <param name="Name">The key's name, as the audit log records it.</param>
public sealed record AdminSession(string Name, IReadOnlyList<string> Roles);

/// <summary>
/// The administrators' workspace: static ES modules, styles and dictionaries under <c>/workspace</c> (copied next to
/// the binary from Web/wwwroot/workspace), the session endpoint it signs in with, and the read-only reports it charts.
/// Every asset comes from the host; the content security policy forbids anything else. Not under <c>/admin</c>: the
/// Functions host keeps that path for its own admin API, so the workspace would be unreachable there.
/// </summary>
public static class AdminUiEndpoints
{
    public const string Path = "/workspace";

    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

    public static string Folder => System.IO.Path.Combine(AppContext.BaseDirectory, "Web", "wwwroot", "workspace");

    /// <summary>The workspace's static files (middleware, after authentication; the endpoints are <see cref="MapAdminWorkspace"/>).</summary>
    public static IApplicationBuilder UseAdminWorkspaceFiles(this IApplicationBuilder app)
    {
        var files = new PhysicalFileProvider(Folder);
        // "/workspace" without the slash would resolve the modules' relative URLs against "/".
        app.Use((context, next) =>
        {
            if (context.Request.Path.Value == Path)
            {
                context.Response.Redirect(Path + "/");
                return Task.CompletedTask;
            }
            return next(context);
        });
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files, RequestPath = Path });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            RequestPath = Path,
            OnPrepareResponse = context =>
            {
                var headers = context.Context.Response.Headers;
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                headers.XContentTypeOptions = "nosniff";
                headers.CacheControl = "no-cache"; // revalidated by ETag, so a new build is seen at once
            },
        });
        return app;
    }

    public static IEndpointRouteBuilder MapAdminWorkspace(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/session", Session).RequireAuthorization(Roles.Viewer).WithTags("Admin workspace")
            .WithSummary("The signed-in key's name and roles, so the workspace offers only the actions they allow");
        return app;
    }

    private static Ok<AdminSession> Session(ClaimsPrincipal user) =>
        TypedResults.Ok(new AdminSession(user.Identity?.Name ?? "", user.FindAll(ClaimTypes.Role).Select(c => c.Value).Distinct().Order(StringComparer.Ordinal).ToList()));
}
