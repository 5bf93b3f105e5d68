using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Retention.Core.Ports;
using Retention.Testing;

namespace Retention.Api.Tests;

/// <summary>Replay protection, per-source rate limits, phone validation and the ingest metrics of <c>POST /api/events</c>.</summary>
[Collection(MetricsReadAlone.Name)]
public sealed class EventsEndpointHardening : IDisposable
{
    private readonly RetentionFactory _host = new(virtualTime: true, [], new()
    {
        ["Retention:Webhooks:Sources:slow:Secrets:0"] = "slow-source-secret",
        ["Retention:Webhooks:Sources:slow:RateLimitPerSecond"] = "2",
    });

    public void Dispose() => _host.Dispose();

    private static async Task<JsonObject> ProblemOf(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    [Fact]
    public async Task AcknowledgesAnIdenticalRedeliveryAndAFreshlySignedRetryAsDuplicates()
    {
        var client = _host.CreateClient();
        var sale = Webhooks.Sale("R1", "S1");
        using var original = Webhooks.Request(sale, _host.Now);
        var signature = original.Headers.GetValues("X-Retention-Signature").Single();
        Assert.Equal(HttpStatusCode.Accepted, (await client.SendAsync(original)).StatusCode);

        using var replay = Webhooks.Request(sale, _host.Now);
        Assert.Equal(signature, replay.Headers.GetValues("X-Retention-Signature").Single());
        var replayed = await client.SendAsync(replay);
        Assert.Equal(HttpStatusCode.Accepted, replayed.StatusCode);
        var counts = (await replayed.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal((0, 1), (counts["accepted"]!.GetValue<int>(), counts["duplicates"]!.GetValue<int>()));

        await _host.RunUntilIdleAsync(); // applied behind the answer
        _host.Clock.Advance(TimeSpan.FromSeconds(1));
        var retried = await client.PostAsync(sale, _host.Now);
        Assert.Equal(HttpStatusCode.Accepted, retried.StatusCode);
        Assert.Equal(1, (await retried.Content.ReadFromJsonAsync<JsonObject>())!["duplicates"]!.GetValue<int>());
    }

    [Fact]
    public async Task RefusesASignatureReusedOverAnotherBodyAndAcknowledgesARedeliveryOnAnotherReplica()
    {
        using var other = new RetentionFactory(virtualTime: true, [], new() { ["Retention:Storage:Prefix"] = _host.Prefix });
        other.Clock.SetUtcNow(_host.Now);
        var sale = Webhooks.Sale("R2", "S1");
        using var first = Webhooks.Request(sale, _host.Now);
        Assert.Equal(HttpStatusCode.Accepted, (await _host.CreateClient().SendAsync(first)).StatusCode);
        using var replay = Webhooks.Request(sale, _host.Now);
        var redelivered = await other.CreateClient().SendAsync(replay);
        Assert.Equal(HttpStatusCode.Accepted, redelivered.StatusCode);
        Assert.Equal(1, (await redelivered.Content.ReadFromJsonAsync<JsonObject>())!["duplicates"]!.GetValue<int>());

        // The signature over another body: refused, whether the HMAC is checked (it does not match) or only remembered.
        var signature = first.Headers.GetValues("X-Retention-Signature").Single();
        var otherBody = Webhooks.Sale("R2", "S2");
        using var reused = Webhooks.Request(otherBody, _host.Now);
        reused.Headers.Remove("X-Retention-Signature");
        reused.Headers.Add("X-Retention-Signature", signature);
        var refused = await other.CreateClient().SendAsync(reused);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        await ProblemOf(refused);
        var inbox = other.Get<Retention.Storage.Ingest.IngestInbox>();
        var hmac = signature.Split("v1=")[1];
        var t = long.Parse(signature.Split(',')[0][2..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(SignatureUse.Reused,
            await inbox.AcceptAsync([], new("demo", t, hmac, "another-body-hash", _host.Now.AddMinutes(5)), CancellationToken.None));
    }

    [Fact]
    public async Task AnswersTooManyRequestsWithRetryAfterWhenASourceExceedsItsRateLimit()
    {
        var client = _host.CreateClient();
        var statuses = new List<HttpResponseMessage>();
        for (var i = 0; i < 12; i++)
        {
            var sale = Webhooks.Sale($"RL{i}", "S1");
            sale["source"] = "slow";
            using var request = Webhooks.Request(sale, _host.Now, secret: "slow-source-secret");
            statuses.Add(await client.SendAsync(request));
        }
        Assert.Contains(statuses, r => r.StatusCode == HttpStatusCode.Accepted);
        var limited = statuses.First(r => r.StatusCode == HttpStatusCode.TooManyRequests);
        Assert.True(limited.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), "429 without Retry-After");
        Assert.Contains("rate limit of 2 events per second", (await ProblemOf(limited))["detail"]!.GetValue<string>(), StringComparison.Ordinal);

        // another source has its own budget (the default, 500/s)
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync(Webhooks.Sale("RL-demo", "S1"), _host.Now)).StatusCode);
    }

    [Theory]
    [InlineData("+8613", "too short")]
    [InlineData("+86138001380001", "for country code +86")]
    [InlineData("+86 138 0013 8000", "digits only")]
    [InlineData("008613800138000", "E.164")]
    [InlineData("+8612345678901", "not a valid number for country code +86")]
    [InlineData("+99912345678", "country calling code")]
    public async Task ExplainsWhyAPhoneNumberIsNotE164(string phone, string explanation)
    {
        var response = await _host.CreateClient().PostAsync(Webhooks.Customer("P1", phone: phone), _host.Now);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await ProblemOf(response))["errors"]!.AsArray().Single()!;
        Assert.Equal("/data/phone", error["path"]!.GetValue<string>());
        Assert.Contains(explanation, error["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("+8613800138000")]
    [InlineData("+14255550123")]
    [InlineData("+447911123456")]
    public async Task AcceptsValidE164Numbers(string phone) =>
        Assert.Equal(HttpStatusCode.Accepted, (await _host.CreateClient().PostAsync(Webhooks.Customer("P2", phone: phone), _host.Now)).StatusCode);

    [Fact]
    public async Task ExportsIngestedAndRejectedCounters()
    {
        var client = _host.CreateClient();
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync(Webhooks.Sale("M1", "S1"), _host.Now)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsync(Webhooks.Customer("M1", phone: "12"), _host.Now)).StatusCode);
        var metrics = await client.GetStringAsync("/metrics");
        // Every series exists from the start at zero; these two counted one each on this host.
        Assert.Contains("retention_events_ingested_total{otel_scope_name=\"Retention.Ingest\",type=\"sale.completed\"} 1\n", metrics, StringComparison.Ordinal);
        Assert.Contains("retention_events_ingested_total{otel_scope_name=\"Retention.Ingest\",type=\"customer.upserted\"} 0\n", metrics, StringComparison.Ordinal);
        Assert.Contains("retention_events_rejected_total{otel_scope_name=\"Retention.Ingest\",reason=\"invalid\"} 1\n", metrics, StringComparison.Ordinal);
    }
}
