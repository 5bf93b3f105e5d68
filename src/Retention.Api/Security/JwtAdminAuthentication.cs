using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Retention.Api.Security;

/// <summary>
/// <c>Retention:Admin:Jwt</c>: optional bearer tokens (Microsoft Entra ID or any OpenID Connect issuer) for the same
/// admin roles as the API keys. Off unless <see cref="Audience"/> is set.
/// </summary>
public sealed class JwtAdminOptions
{
    public const string Section = "Retention:Admin:Jwt";

    /// <summary>The issuer's base address, e.g. <c>https://login.microsoftonline.com/&lt;tenant&gt;/v2.0</c>: signing keys and the issuer come from its OpenID metadata.</summary>
    public string? Authority { get; set; }

    /// <summary>The expected <c>iss</c>; defaults to the authority's. Required when keys are configured here instead of an authority.</summary>
    public string? Issuer { get; set; }

    /// <summary>The expected <c>aud</c>: the application ID URI or client id of the Retention app registration.</summary>
    public string? Audience { get; set; }

    /// <summary>The claim holding the caller's roles: <c>roles</c> for Entra ID app roles.</summary>
    public string RoleClaim { get; set; } = "roles";

    /// <summary>
    /// Token role value → admin role (viewer, editor, publisher, operator), e.g. <c>"Retention.Operator": "operator"</c>.
    /// A token value not listed grants nothing; with no map at all, values equal to an admin role's name grant it.
    /// </summary>
    public Dictionary<string, string> Roles { get; set; } = new(StringComparer.Ordinal);

    /// <summary>An RSA public key (PEM) that signs tokens, for issuers without OpenID metadata (and for tests).</summary>
    public string? SigningKeyPem { get; set; }

    public bool Enabled => !string.IsNullOrWhiteSpace(Audience);
}

/// <summary>
/// The admin authentication: a policy scheme that sends <c>Authorization: Bearer …</c> to the JWT scheme when it is
/// configured, and everything else to the API-key scheme. Both yield the same role claims, so the same policies apply.
/// </summary>
public static class AdminAuthentication
{
    public const string SchemeName = "Admin";

    public static AuthenticationBuilder AddAdminAuthentication(this IServiceCollection services)
    {
        services.AddOptions<JwtAdminOptions>().BindConfiguration(JwtAdminOptions.Section);
        services.AddSingleton<IConfigureOptions<JwtBearerOptions>, ConfigureJwtBearer>();
        return services.AddAuthentication(SchemeName)
            .AddPolicyScheme(SchemeName, "API key or bearer token", o => o.ForwardDefaultSelector = context =>
                context.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
                && context.RequestServices.GetRequiredService<IOptions<JwtAdminOptions>>().Value.Enabled
                    ? JwtBearerDefaults.AuthenticationScheme
                    : ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null)
            .AddJwtBearer();
    }

    /// <summary>The admin roles a validated token's role claims grant.</summary>
    public static IEnumerable<string> MapRoles(JwtAdminOptions options, IEnumerable<string> tokenRoles) =>
        tokenRoles.Select(value => options.Roles.Count == 0
                ? Security.Roles.All.FirstOrDefault(r => r.Equals(value, StringComparison.OrdinalIgnoreCase))
                : options.Roles.GetValueOrDefault(value))
            .OfType<string>()
            .Where(Security.Roles.All.Contains)
            .Distinct(StringComparer.Ordinal);

    /// <summary>Binds the bearer scheme to <see cref="JwtAdminOptions"/>, read when the scheme is first used.</summary>
    private sealed class ConfigureJwtBearer(IOptions<JwtAdminOptions> admin) : IConfigureNamedOptions<JwtBearerOptions>
    {
        public void Configure(JwtBearerOptions options) => Configure(JwtBearerDefaults.AuthenticationScheme, options);

        public void Configure(string? name, JwtBearerOptions options)
        {
            if (name != JwtBearerDefaults.AuthenticationScheme)
            {
                return;
            }
            var jwt = admin.Value;
            options.MapInboundClaims = false; // role claims are mapped below, from the configured claim only
            options.Authority = string.IsNullOrWhiteSpace(jwt.Authority) ? null : jwt.Authority;
            options.TokenValidationParameters = new TokenValidationParameters
            {
                ValidateIssuer = true,
                ValidIssuer = jwt.Issuer,
                ValidateAudience = true,
                ValidAudience = jwt.Audience,
                ValidateLifetime = true,
                ValidateIssuerSigningKey = true,
                RequireSignedTokens = true,
                RequireExpirationTime = true,
                ClockSkew = TimeSpan.FromMinutes(2),
                IssuerSigningKey = jwt.SigningKeyPem is { Length: > 0 } pem ? RsaKey(pem) : null,
            };
            options.Events = new JwtBearerEvents
            {
                OnTokenValidated = context =>
                {
                    var principal = context.Principal!;
                    var roles = MapRoles(jwt, principal.FindAll(jwt.RoleClaim).Select(c => c.Value)).ToList();
                    // Ids only in the audit trail and logs: the object id (or subject), never a name or an email.
                    var who = principal.FindFirst("oid")?.Value ?? principal.FindFirst("sub")?.Value ?? principal.FindFirst("azp")?.Value ?? "unknown";
                    var identity = new ClaimsIdentity(
                        roles.Select(r => new Claim(ClaimTypes.Role, r)).Append(new Claim(ClaimTypes.Name, $"jwt:{who}")),
                        JwtBearerDefaults.AuthenticationScheme);
                    context.Principal = new ClaimsPrincipal(identity);
                    return Task.CompletedTask;
                },
                OnChallenge = async context =>
                {
                    context.HandleResponse();
                    context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                    context.Response.Headers.WWWAuthenticate = "Bearer";
                    await Results.Problem(statusCode: 401, title: "Unauthorized",
                        detail: "The bearer token is missing, expired, not signed by the configured issuer, or meant for another audience.").ExecuteAsync(context.HttpContext);
                },
                OnForbidden = async context =>
                {
                    context.Response.StatusCode = StatusCodes.Status403Forbidden;
                    await Results.Problem(statusCode: 403, title: "Forbidden", detail: "This token does not carry the role this endpoint requires.").ExecuteAsync(context.HttpContext);
                },
            };
        }

        private static RsaSecurityKey RsaKey(string pem)
        {
            var rsa = RSA.Create(); // held by the key for the life of the process
            rsa.ImportFromPem(pem);
            return new RsaSecurityKey(rsa);
        }
    }
}
