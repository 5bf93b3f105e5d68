using System.Net;
using System.Text;
using Retention.Api.Ingest;
using Retention.Application.Ingest;
using Retention.Testing;

namespace Retention.Functions.Tests;

/// <summary>
/// The catch-all HTTP function answers as the standalone host does: the same request goes to both, and both give the
/// status the contract names.
/// </summary>
public sealed class HttpFunctionRun(FunctionsApp app) : IClassFixture<FunctionsApp>, IDisposable
{
    private readonly RetentionFactory _standalone = new(virtualTime: true, [FunctionsApp.ThanksJourney]);

    public void Dispose() => _standalone.Dispose();

    [Fact]
    public async Task ASignedWebhookIsAcceptedAsByTheStandaloneHost()
    {
        var body = Webhooks.Customer("FH1");
        var function = await app.PostEventAsync(body);
        var standalone = await _standalone.CreateClient().PostAsync(Webhooks.Customer("FH1"), _standalone.Now);

        Assert.Equal(StatusCodes(HttpStatusCode.Accepted), function.Status);
        Assert.Equal((int)standalone.StatusCode, function.Status);
        Assert.Contains("\"accepted\":1", function.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABadSignatureIsRefusedAsByTheStandaloneHost()
    {
        var function = await app.PostEventAsync(Webhooks.Customer("FH2"), secret: "not-the-secret");
        using var request = Webhooks.Request(Webhooks.Customer("FH2"), _standalone.Now, secret: "not-the-secret");
        var standalone = await _standalone.CreateClient().SendAsync(request);

        Assert.Equal(StatusCodes(HttpStatusCode.Unauthorized), function.Status);
        Assert.Equal((int)standalone.StatusCode, function.Status);
    }

    [Fact]
    public async Task ABodyChangedAfterSigningIsRefused()
    {
        var signed = Encoding.UTF8.GetBytes(Webhooks.Customer("FH3").ToJsonString());
        var signature = WebhookSignature.Sign(Webhooks.Secret, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), signed);
        var altered = Encoding.UTF8.GetBytes(Webhooks.Customer("FH3", name: "Someone Else").ToJsonString());

        var function = await app.SendAsync("POST", "/api/events", altered, EventsEndpoints.SingleContentType,
            new Dictionary<string, string> { [WebhookSignature.Header] = signature });

        Assert.Equal(StatusCodes(HttpStatusCode.Unauthorized), function.Status);
    }

    [Fact]
    public async Task AnAdminCallWithoutAKeyIsRefusedAsByTheStandaloneHost()
    {
        var function = await app.SendAsync("GET", "/api/journeys");
        var standalone = await _standalone.CreateClient().GetAsync(new Uri("/api/journeys", UriKind.Relative));

        Assert.Equal(StatusCodes(HttpStatusCode.Unauthorized), function.Status);
        Assert.Equal((int)standalone.StatusCode, function.Status);
    }

    [Fact]
    public async Task AnAdminCallWithAKeyListsTheJourneys()
    {
        var function = await app.SendAsync("GET", "/api/journeys", headers: new Dictionary<string, string> { ["X-Api-Key"] = "dev-admin-key" });

        Assert.Equal(StatusCodes(HttpStatusCode.OK), function.Status);
        Assert.Contains("fn-thanks", function.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HealthMetricsOpenApiAndTheWorkspaceAreServed()
    {
        Assert.Equal(200, (await app.SendAsync("GET", "/healthz")).Status);
        Assert.Equal(200, (await app.SendAsync("GET", "/metrics")).Status);
        var openApi = await app.SendAsync("GET", "/openapi/v1.json");
        Assert.Equal(200, openApi.Status);
        Assert.Contains("/api/events", openApi.Body, StringComparison.Ordinal);
        var workspace = await app.SendAsync("GET", "/workspace/index.html");
        Assert.Equal(200, workspace.Status);
        Assert.Contains("<html", workspace.Body, StringComparison.OrdinalIgnoreCase);
        var standalone = await _standalone.CreateClient().GetAsync(new Uri("/workspace/index.html", UriKind.Relative));
        Assert.Equal((int)standalone.StatusCode, workspace.Status);
        Assert.Equal(await standalone.Content.ReadAsStringAsync(), workspace.Body);
    }

    [Fact]
    public async Task AnUnknownPathIsAProblem()
    {
        var function = await app.SendAsync("GET", "/api/no-such-thing", headers: new Dictionary<string, string> { ["X-Api-Key"] = "dev-admin-key" });
        var anonymous = await app.SendAsync("GET", "/api/no-such-thing");

        Assert.Equal(404, function.Status);
        Assert.Equal(401, anonymous.Status); // closed by default: without a key, not even whether the path exists
    }

    private static int StatusCodes(HttpStatusCode code) => (int)code;
}
