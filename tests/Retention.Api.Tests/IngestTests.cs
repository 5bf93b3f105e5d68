using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Retention.Api.Ingest;
using Retention.Application.Ingest;
using Retention.Testing;

namespace Retention.Api.Tests;

public sealed class EventsEndpointPost : IDisposable
{
    private readonly RetentionFactory _host = new(virtualTime: true, [File.ReadAllText(Path.Combine(RepoPaths.ShippedJourneys, "post-sale-follow-up.json"))]);

    public void Dispose() => _host.Dispose();

    private static async Task<JsonObject> Problem(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    [Fact]
    public async Task AcceptsASignedEventAndAcknowledgesARepeatWithoutApplyingIt()
    {
        var client = _host.CreateClient();
        var sale = Webhooks.Sale("C1", "S1");
        var first = await (await client.PostAsync(sale, _host.Now)).Content.ReadFromJsonAsync<JsonObject>();
        _host.Clock.Advance(TimeSpan.FromSeconds(1)); // a retry is signed afresh; the same signature again is a replay
        var early = await client.PostAsync(sale, _host.Now);
        await _host.RunUntilIdleAsync();
        _host.Clock.Advance(TimeSpan.FromSeconds(1));
        var late = await client.PostAsync(sale, _host.Now);
        await _host.RunUntilIdleAsync();

        Assert.Equal((1, 0), (first!["accepted"]!.GetValue<int>(), first["duplicates"]!.GetValue<int>()));
        // A retry before the first delivery is applied is accepted again (its events wait side by side) and applied
        // once; one after it is a duplicate at once.
        Assert.Equal((1, 0), await Counts(early));
        Assert.Equal((0, 1), await Counts(late));
        var list = await _host.Admin().GetFromJsonAsync<JsonObject>("/api/instances?customerId=C1");
        Assert.Single(list!["items"]!.AsArray());
        var log = await _host.Admin().GetFromJsonAsync<JsonArray>("/api/customers/C1/timeline");
        Assert.Single(log!, i => i!["kind"]?.GetValue<string>() == "event" && i["summary"]?.GetValue<string>() == "sale.completed");
    }

    private static async Task<(int, int)> Counts(HttpResponseMessage response)
    {
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        return (body!["accepted"]!.GetValue<int>(), body["duplicates"]!.GetValue<int>());
    }

    [Fact]
    public async Task RejectsAMissingAWrongAndAnExpiredSignature()
    {
        var client = _host.CreateClient();
        var body = Encoding.UTF8.GetBytes(Webhooks.Sale("C1", "S1").ToJsonString());
        HttpRequestMessage Request(string? signature)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/events") { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(EventsEndpoints.SingleContentType);
            if (signature is not null)
            {
                request.Headers.Add(WebhookSignature.Header, signature);
            }
            return request;
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(Request(null))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(Request(WebhookSignature.Sign("wrong-secret", _host.Now.ToUnixTimeSeconds(), body)))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(Request(WebhookSignature.Sign(Webhooks.Secret, _host.Now.AddMinutes(-6).ToUnixTimeSeconds(), body)))).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await client.SendAsync(Request(WebhookSignature.Sign(Webhooks.Secret, _host.Now.AddMinutes(-4).ToUnixTimeSeconds(), body)))).StatusCode);
    }

    [Fact]
    public async Task RejectsABadBatchWholeWithEveryFieldPath()
    {
        var client = _host.CreateClient();
        var batch = new JsonArray(
            Webhooks.Customer("C2"),
            Webhooks.Sale("C2", "S2"),
            Webhooks.Event("customer.upserted", new JsonObject { ["customerId"] = "C3", ["phone"] = "555-0100" }),
            Webhooks.Event("transaction.posted", new JsonObject { ["customerId"] = "C3", ["transactionId"] = "T1" }));
        var response = await client.PostAsync(batch, _host.Now, batch: true);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await Problem(response);
        var paths = problem["errors"]!.AsArray().Select(e => e!["path"]!.GetValue<string>()).ToList();
        Assert.Equal(["/2/data/phone", "/3/data/amount"], paths);
        await _host.RunUntilIdleAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await _host.Admin().GetAsync("/api/customers/C2")).StatusCode);
    }

    [Fact]
    public async Task AcceptsAValidBatch()
    {
        var client = _host.CreateClient();
        var response = await client.PostAsync(new JsonArray(Webhooks.Customer("C4"), Webhooks.Sale("C4", "S4")), _host.Now, batch: true);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal((2, 0), await Counts(response));
    }

    [Fact]
    public async Task RejectsBrokenJsonAndAnOversizedBody()
    {
        var client = _host.CreateClient();
        var broken = Encoding.UTF8.GetBytes("{\"specversion\": \"1.0\", ");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/events") { Content = new ByteArrayContent(broken) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(EventsEndpoints.SingleContentType);
        request.Headers.Add(WebhookSignature.Header, WebhookSignature.Sign(Webhooks.Secret, _host.Now.ToUnixTimeSeconds(), broken));
        Assert.Equal(HttpStatusCode.BadRequest, (await client.SendAsync(request)).StatusCode);

        var huge = Webhooks.Event("customer.upserted", new JsonObject { ["customerId"] = "C5", ["name"] = new string('x', 1_100_000) });
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await client.PostAsync(huge, _host.Now)).StatusCode);
    }

    [Fact]
    public async Task KeepsTheNewerProfileWhenUpdatesArriveOutOfOrder()
    {
        var client = _host.CreateClient();
        var newer = Webhooks.Event("customer.upserted", new JsonObject { ["customerId"] = "C6", ["region"] = "north" }, time: _host.Now);
        var older = Webhooks.Event("customer.upserted", new JsonObject { ["customerId"] = "C6", ["region"] = "south" }, time: _host.Now.AddMinutes(-10));
        await client.PostAsync(newer, _host.Now);
        await client.PostAsync(older, _host.Now);
        await _host.RunUntilIdleAsync();
        var profile = await _host.Admin().GetFromJsonAsync<JsonObject>("/api/customers/C6");
        Assert.Equal("north", profile!["region"]!.GetValue<string>());
    }
}
