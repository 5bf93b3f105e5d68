using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Retention.Api.Security;
using Retention.Testing;

namespace Retention.Api.Tests;

/// <summary>
/// Bearer tokens (as Microsoft Entra ID issues them) for the admin roles, signed here with a local RSA key configured
/// as <c>Retention:Admin:Jwt:SigningKeyPem</c>; the API keys keep working beside them.
/// </summary>
public sealed class JwtAdmin : IDisposable
{
    private const string Issuer = "https://login.example.test/tenant-1/v2.0";
    private const string Audience = "api://retention";

    private readonly RSA _key = RSA.Create(2048);
    private readonly RetentionFactory _host;

    public JwtAdmin()
    {
        _host = new RetentionFactory(virtualTime: false, [], new Dictionary<string, string?>
        {
            ["Retention:Admin:Jwt:Issuer"] = Issuer,
            ["Retention:Admin:Jwt:Audience"] = Audience,
            ["Retention:Admin:Jwt:SigningKeyPem"] = _key.ExportSubjectPublicKeyInfoPem(),
            ["Retention:Admin:Jwt:Roles:Retention.Viewer"] = "viewer",
            ["Retention:Admin:Jwt:Roles:Retention.Operator"] = "operator",
        });
    }

    public void Dispose()
    {
        _host.Dispose();
        _key.Dispose();
    }

    private string Token(string[] roles, string audience = Audience, DateTime? expires = null, RSA? signedWith = null)
    {
        var claims = new Dictionary<string, object> { ["oid"] = "0f5e7a8c-1111-4b2a-9c3d-2a1b3c4d5e6f", ["roles"] = roles };
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = audience,
            Claims = claims,
            NotBefore = (expires ?? DateTime.UtcNow.AddMinutes(30)).AddHours(-1),
            Expires = expires ?? DateTime.UtcNow.AddMinutes(30),
            IssuedAt = (expires ?? DateTime.UtcNow.AddMinutes(30)).AddHours(-1),
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(signedWith ?? _key), SecurityAlgorithms.RsaSha256),
        });
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? token)
    {
        using var request = new HttpRequestMessage(method, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        return await _host.CreateClient().SendAsync(request);
    }

    [Fact]
    public async Task AValidTokenWithTheRolePasses()
    {
        var viewer = Token(["Retention.Viewer"]);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Get, "/api/instances?customerId=C1", viewer)).StatusCode);
        // An operator call reaches the endpoint (the instance does not exist) and is audited under the token's object id.
        var operatorToken = Token(["Retention.Operator", "Retention.Viewer"]);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Post, "/api/instances/nope/terminate", operatorToken)).StatusCode);
        var audit = await (await SendAsync(HttpMethod.Get, "/api/audit", operatorToken)).Content.ReadAsStringAsync();
        Assert.Contains("jwt:0f5e7a8c-1111-4b2a-9c3d-2a1b3c4d5e6f", audit, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AValidTokenWithoutTheRoleIsForbidden()
    {
        var viewer = Token(["Retention.Viewer"]);
        var response = await SendAsync(HttpMethod.Post, "/api/instances/nope/terminate", viewer);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(HttpMethod.Get, "/api/instances?customerId=C1", Token([]))).StatusCode);
        // A raw role name is not a role when a mapping is configured: only mapped values grant anything.
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(HttpMethod.Get, "/api/instances?customerId=C1", Token(["viewer", "operator"]))).StatusCode);
    }

    [Fact]
    public async Task AWrongAudienceAnExpiredTokenOrAForeignKeyIsUnauthorized()
    {
        using var stranger = RSA.Create(2048);
        foreach (var (why, token) in new[]
        {
            ("wrong audience", Token(["Retention.Viewer"], audience: "api://someone-else")),
            ("expired", Token(["Retention.Viewer"], expires: DateTime.UtcNow.AddMinutes(-10))),
            ("signed by another key", Token(["Retention.Viewer"], signedWith: stranger)),
            ("not a token", "abc.def.ghi"),
        })
        {
            var response = await SendAsync(HttpMethod.Get, "/api/instances?customerId=C1", token);
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{why}: {response.StatusCode}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task ApiKeysStillWorkBesideTokens()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(HttpMethod.Get, "/api/instances?customerId=C1", token: null)).StatusCode);
        using var admin = _host.Admin();
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/instances?customerId=C1")).StatusCode);
    }

    [Fact]
    public void TokenRolesMapOnlyToAdminRoles()
    {
        var mapped = new Api.Security.JwtAdminOptions { Roles = { ["Retention.Operator"] = "operator", ["Retention.Root"] = "root" } };
        Assert.Equal(["operator"], Api.Security.AdminAuthentication.MapRoles(mapped, ["Retention.Operator", "Retention.Root", "operator"]));
        Assert.Equal(["viewer", "publisher"], Api.Security.AdminAuthentication.MapRoles(new Api.Security.JwtAdminOptions(), ["Viewer", "publisher", "admin"]));
    }
}
