using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Retention.Api.Ingest;
using Retention.Application.Ingest;
using Retention.Testing;

namespace Retention.Api.Tests;

/// <summary>
/// <c>POST /api/events</c> and the CloudEvents HTTP binding: binary mode (ce-* headers, the data as the body) is accepted
/// and signed as structured mode is; anything else is the endpoint's own 415 problem, counted.
/// </summary>
[Collection(MetricsReadAlone.Name)]
public sealed partial class EventsEndpointContentTypes : IDisposable
{
    private readonly RetentionFactory _host = new(virtualTime: true, [File.ReadAllText(Path.Combine(RepoPaths.ShippedJourneys, "post-sale-follow-up.json"))]);

    public void Dispose() => _host.Dispose();

    private static async Task<JsonObject> ProblemOf(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    private static List<string> Paths(JsonObject problem) => [.. problem["errors"]!.AsArray().Select(e => e!["path"]!.GetValue<string>())];

    /// <summary>What an instance did, without what differs by customer: its journey, status, current step and history kinds.</summary>
    private async Task<string> RunOfAsync(string customerId)
    {
        var admin = _host.Admin();
        var item = Assert.Single((await admin.GetFromJsonAsync<JsonObject>($"/api/instances?customerId={customerId}"))!["items"]!.AsArray())!;
        var instance = (await admin.GetFromJsonAsync<JsonObject>($"/api/instances/{item["instanceId"]!.GetValue<string>()}"))!;
        var history = string.Join(",", instance["history"]!.AsArray().Select(h => h!["kind"]!.GetValue<string>()));
        return $"{instance["journeyId"]} {instance["status"]} {instance["currentStep"]} [{history}]";
    }

    [Fact]
    public async Task StartsAJourneyFromABinaryModeEventAsFromItsStructuredEquivalent()
    {
        var client = _host.CreateClient();
        foreach (var customerId in new[] { "BIN1", "STR1" })
        {
            Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync(Webhooks.Customer(customerId), _host.Now)).StatusCode);
        }
        var binarySale = Webhooks.Sale("BIN1", "S1");
        binarySale["time"] = _host.Now.ToString("O", CultureInfo.InvariantCulture);
        binarySale["subject"] = "sale/S1";
        binarySale["traceparent"] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"; // an extension attribute
        using var binary = Webhooks.BinaryRequest(binarySale, _host.Now, contentType: "application/json; charset=utf-8");
        var binaryAnswer = await client.SendAsync(binary);
        var structuredAnswer = await client.PostAsync(Webhooks.Sale("STR1", "S1"), _host.Now);

        Assert.Equal(HttpStatusCode.Accepted, binaryAnswer.StatusCode);
        Assert.Equal("{\"accepted\":1,\"duplicates\":0}", await binaryAnswer.Content.ReadAsStringAsync());
        Assert.Equal("{\"accepted\":1,\"duplicates\":0}", await structuredAnswer.Content.ReadAsStringAsync());
        await _host.RunUntilIdleAsync();
        await _host.AdvanceAsync(TimeSpan.FromDays(2)); // the thank-you goes out the next day
        Assert.Equal(await RunOfAsync("STR1"), await RunOfAsync("BIN1"));
        Assert.Contains("send", await RunOfAsync("BIN1"), StringComparison.Ordinal);

        // ce-id and ce-source are the idempotency key, as id and source are in structured mode.
        _host.Clock.Advance(TimeSpan.FromSeconds(1));
        using var again = Webhooks.BinaryRequest(binarySale, _host.Now);
        Assert.Equal("{\"accepted\":0,\"duplicates\":1}", await (await client.SendAsync(again)).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task RefusesABinaryModeEventSignedWithAnotherSecretOrOverAnotherBody()
    {
        var client = _host.CreateClient();
        using var wrongSecret = Webhooks.BinaryRequest(Webhooks.Sale("BIN2", "S1"), _host.Now, secret: "not-the-secret");
        await ProblemOf(await client.SendAsync(wrongSecret), HttpStatusCode.Unauthorized);

        // The signature covers the body (the data), so a signature taken over the structured envelope does not match it.
        var sale = Webhooks.Sale("BIN2", "S2");
        using var overEnvelope = Webhooks.BinaryRequest(sale, _host.Now);
        overEnvelope.Headers.Remove(WebhookSignature.Header);
        overEnvelope.Headers.Add(WebhookSignature.Header, WebhookSignature.Sign(Webhooks.Secret, _host.Now.ToUnixTimeSeconds(), Encoding.UTF8.GetBytes(sale.ToJsonString())));
        await ProblemOf(await client.SendAsync(overEnvelope), HttpStatusCode.Unauthorized);

        await _host.RunUntilIdleAsync();
        Assert.Empty((await _host.Admin().GetFromJsonAsync<JsonObject>("/api/instances?customerId=BIN2"))!["items"]!.AsArray());
    }

    [Fact]
    public async Task NamesAMissingCeIdHeaderAndABadDataFieldWhereTheProducerPutThem()
    {
        var client = _host.CreateClient();
        using var withoutId = Webhooks.BinaryRequest(Webhooks.Sale("BIN3", "S1"), _host.Now);
        withoutId.Headers.Remove("ce-id");
        var problem = await ProblemOf(await client.SendAsync(withoutId), HttpStatusCode.BadRequest);
        Assert.Equal(["/headers/ce-id"], Paths(problem));
        Assert.Contains("ce-id", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);

        // In binary mode the body is the data: its faults are pointers into the body, the attributes' at their headers.
        var customer = Webhooks.Customer("BIN3", phone: "12345");
        customer["time"] = "yesterday";
        using var badPhone = Webhooks.BinaryRequest(customer, _host.Now);
        Assert.Equal(["/headers/ce-time", "/phone"], Paths(await ProblemOf(await client.SendAsync(badPhone), HttpStatusCode.BadRequest)));

        // application/json without any ce-* header is binary mode without its attributes, whatever the body holds.
        var structuredAsJson = Encoding.UTF8.GetBytes(Webhooks.Sale("BIN3", "S1").ToJsonString());
        using var plainJson = new HttpRequestMessage(HttpMethod.Post, "/api/events") { Content = new ByteArrayContent(structuredAsJson) };
        plainJson.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        plainJson.Headers.Add(WebhookSignature.Header, WebhookSignature.Sign(Webhooks.Secret, _host.Now.ToUnixTimeSeconds(), structuredAsJson));
        var plain = await ProblemOf(await client.SendAsync(plainJson), HttpStatusCode.BadRequest);
        Assert.Equal(["/headers/ce-specversion", "/headers/ce-id", "/headers/ce-source", "/headers/ce-type"], Paths(plain));
        // A structured event sent as application/json is told how to send it; one with some ce-* headers is not.
        Assert.All(plain["errors"]!.AsArray(), e => Assert.Contains(EventsEndpoints.SingleContentType, e!["message"]!.GetValue<string>(), StringComparison.Ordinal));

        await _host.RunUntilIdleAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await _host.Admin().GetAsync("/api/customers/BIN3")).StatusCode);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/xml")]
    [InlineData(null)]
    public async Task RefusesAnyOtherContentTypeWithItsOwnProblemNamingTheAcceptedOnesAndCountsIt(string? contentType)
    {
        var client = _host.CreateClient();
        var before = await UnsupportedMediaTypeCountAsync(client);
        var body = Encoding.UTF8.GetBytes(Webhooks.Sale("BIN4", "S1").ToJsonString());
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/events") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = contentType is null ? null : new MediaTypeHeaderValue(contentType);
        request.Headers.Add(WebhookSignature.Header, WebhookSignature.Sign(Webhooks.Secret, _host.Now.ToUnixTimeSeconds(), body));

        var problem = await ProblemOf(await client.SendAsync(request), HttpStatusCode.UnsupportedMediaType);

        Assert.Equal("Unsupported media type", problem["title"]!.GetValue<string>());
        var detail = problem["detail"]!.GetValue<string>();
        foreach (var accepted in new[] { EventsEndpoints.SingleContentType, EventsEndpoints.BatchContentType, "binary mode", "application/json" })
        {
            Assert.Contains(accepted, detail, StringComparison.Ordinal);
        }
        Assert.Equal(before + 1, await UnsupportedMediaTypeCountAsync(client));
    }

    [Fact]
    public async Task RefusesBinaryModeDataThatIsNotJsonWith415()
    {
        using var request = Webhooks.BinaryRequest(Webhooks.Sale("BIN5", "S1"), _host.Now, contentType: "text/plain");
        var problem = await ProblemOf(await _host.CreateClient().SendAsync(request), HttpStatusCode.UnsupportedMediaType);
        Assert.Contains("application/json", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    private static async Task<double> UnsupportedMediaTypeCountAsync(HttpClient client)
    {
        var match = UnsupportedMediaTypeSeries().Match(await client.GetStringAsync("/metrics"));
        Assert.True(match.Success, "retention_events_rejected_total{reason=\"unsupported_media_type\"} is not exported");
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex("""^retention_events_rejected_total\{[^}]*reason="unsupported_media_type"[^}]*\} (\S+)""", RegexOptions.Multiline)]
    private static partial Regex UnsupportedMediaTypeSeries();
}
