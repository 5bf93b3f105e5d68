using System.Collections.Frozen;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Retention.Api.Operations;
using Retention.Api.Web;

namespace Retention.Api.Security;

/// <summary>When an operational endpoint answers without credentials.</summary>
public enum AnonymousWhen
{
    /// <summary>Only in the Development environment (the default).</summary>
    Development,

    /// <summary>In every environment: for a scraper or a gateway that cannot send a key.</summary>
    Always,

    /// <summary>Never: a viewer role is needed even in Development.</summary>
    Never,
}

/// <summary><c>Retention:Anonymous</c>: which operational endpoints answer without credentials. Checked at start.</summary>
public sealed class AnonymousAccessOptions
{
    public const string Section = "Retention:Anonymous";

    /// <summary><c>/metrics</c>, the Prometheus scrape.</summary>
    public AnonymousWhen Metrics { get; set; } = AnonymousWhen.Development;

    /// <summary><c>/openapi/v1.json</c> and the API reference page that renders it (<c>/api/reference</c>).</summary>
    public AnonymousWhen OpenApi { get; set; } = AnonymousWhen.Development;

    public IReadOnlyList<string> Errors()
    {
        var errors = new List<string>();
        foreach (var (name, value) in new[] { (nameof(Metrics), Metrics), (nameof(OpenApi), OpenApi) })
        {
            if (!Enum.IsDefined(value))
            {
                errors.Add($"{Section}:{name} is '{value}'; it must be Development, Always or Never");
            }
        }
        return errors;
    }
}

/// <summary>What an endpoint on the anonymous list checks instead of an admin role.</summary>
public enum OwnCredential
{
    /// <summary>Nothing: the endpoint holds nothing to protect.</summary>
    None,

    /// <summary>The HMAC signature of the body in <c>X-Retention-Signature</c>, with the secret of the event's source.</summary>
    WebhookSignature,

    /// <summary>The Event Grid subscription's key in the query string (<c>?key=</c>).</summary>
    EventGridKey,
}

/// <param name="Why">Why the endpoint may answer without an admin role.</param>
/// <param name="Credential">What it checks instead, declared in the OpenAPI document.</param>
public sealed record AnonymousRoute(string Why, OwnCredential Credential = OwnCredential.None);

/// <summary>
/// Closed by default: the fallback authorization policy makes every request need an admin role, endpoint or not,
/// unless it is on the one list here. Each entry has its own credential or holds nothing to protect.
/// </summary>
public static class AnonymousAccess
{
    /// <summary>Endpoints (route patterns) that answer without an admin role, and why each may.</summary>
    public static readonly FrozenDictionary<string, AnonymousRoute> Routes = new Dictionary<string, AnonymousRoute>(StringComparer.Ordinal)
    {
        ["/api/events"] = new("signed webhooks: the HMAC signature is the credential", OwnCredential.WebhookSignature),
        ["/api/events/eventgrid"] = new("Event Grid: its key (?key=) is the credential, on the handshake too", OwnCredential.EventGridKey),
        ["/healthz"] = new("the platform's probes: gauges only, no customer data"),
        ["/api/dev/outbox"] = new("the dev outbox: mapped only in Development"),
        ["/api/dev/inbound-sms"] = new("the dev outbox: mapped only in Development"),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>The Prometheus scrape, anonymous as <see cref="AnonymousAccessOptions.Metrics"/> says.</summary>
    public const string MetricsRoute = "/metrics";

    /// <summary>The OpenAPI document, anonymous as <see cref="AnonymousAccessOptions.OpenApi"/> says.</summary>
    public const string OpenApiRoute = "/openapi/{documentName}.json";

    /// <summary>
    /// Whether <paramref name="http"/> may be served without an admin role: a listed endpoint, the workspace's static
    /// shell (files under <see cref="AdminUiEndpoints.Path"/>, which hold no data: it signs in with a key), or an
    /// operational endpoint its setting opens.
    /// </summary>
    public static bool Allows(HttpContext http, AnonymousAccessOptions options, IHostEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        if (http.GetEndpoint() is RouteEndpoint endpoint)
        {
            var route = endpoint.RoutePattern.RawText;
            return route is not null && (Routes.ContainsKey(route)
                || (route == MetricsRoute && Open(options.Metrics, environment))
                || (route == OpenApiRoute && Open(options.OpenApi, environment)));
        }
        var path = http.Request.Path;
        return path.StartsWithSegments(AdminUiEndpoints.Path, StringComparison.Ordinal)
            || (path.StartsWithSegments(ApiReference.Path, StringComparison.Ordinal) && Open(options.OpenApi, environment));
    }

    private static bool Open(AnonymousWhen when, IHostEnvironment environment) =>
        when == AnonymousWhen.Always || (when == AnonymousWhen.Development && environment.IsDevelopment());
}

/// <summary>The fallback policy's one requirement: an admin role, or a request on <see cref="AnonymousAccess"/>'s list.</summary>
public sealed class AdminRoleOrListedAnonymous : IAuthorizationRequirement
{
    public static AuthorizationPolicy Policy { get; } = new AuthorizationPolicyBuilder().AddRequirements(new AdminRoleOrListedAnonymous()).Build();
}

public sealed class AdminRoleOrListedAnonymousHandler(IOptions<AnonymousAccessOptions> options, IHostEnvironment environment)
    : AuthorizationHandler<AdminRoleOrListedAnonymous>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, AdminRoleOrListedAnonymous requirement)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (Roles.All.Any(context.User.IsInRole) || (context.Resource is HttpContext http && AnonymousAccess.Allows(http, options.Value, environment)))
        {
            context.Succeed(requirement);
        }
        return Task.CompletedTask;
    }
}
