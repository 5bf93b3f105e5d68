using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Retention.Api.Composition;

namespace Retention.Api.Security;

/// <summary>The admin roles. Each endpoint requires one; a key holds any set of them.</summary>
public static class Roles
{
    public const string Viewer = "viewer";
    public const string Editor = "editor";
    public const string Publisher = "publisher";
    public const string Operator = "operator";

    public static readonly string[] All = [Viewer, Editor, Publisher, Operator];

    /// <summary>The policy (not a role of its own) for loading customers in bulk: an editor's or an operator's work.</summary>
    public const string Importer = "importer";
}

/// <summary>Authenticates admin calls by the <c>X-Api-Key</c> header against the configured keys.</summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IOptionsMonitor<RetentionOptions> retention) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string Header = "X-Api-Key";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(Header, out var values) || values.Count != 1 || string.IsNullOrEmpty(values[0]))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }
        var presented = Encoding.UTF8.GetBytes(values[0]!);
        foreach (var key in retention.CurrentValue.Admin.Keys)
        {
            if (key.Key.Length > 0 && CryptographicOperations.FixedTimeEquals(presented, Encoding.UTF8.GetBytes(key.Key)))
            {
                var claims = key.Roles.Select(r => new Claim(ClaimTypes.Role, r)).Append(new Claim(ClaimTypes.Name, key.Name));
                var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
                return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
            }
        }
        return Task.FromResult(AuthenticateResult.Fail("unknown API key"));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        await Results.Problem(statusCode: 401, title: "Unauthorized", detail: $"Send a valid admin key in the {Header} header.").ExecuteAsync(Context);
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        await Results.Problem(statusCode: 403, title: "Forbidden", detail: "This API key does not have the role this endpoint requires.").ExecuteAsync(Context);
    }
}
