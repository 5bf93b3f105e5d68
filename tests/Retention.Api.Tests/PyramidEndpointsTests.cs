using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Retention.Testing;

namespace Retention.Api.Tests;

/// <summary>Transactions through the webhook, the pyramid job run by hand, and what the admin API shows of both.</summary>
public sealed class PyramidThroughTheApi : IDisposable
{
    private readonly RetentionFactory _host = new(virtualTime: true, []);

    public void Dispose() => _host.Dispose();

    private static JsonObject Transaction(string id, string transactionId, decimal amount) =>
        Webhooks.Event("transaction.posted", new JsonObject
        {
            ["customerId"] = "C1", ["transactionId"] = transactionId, ["amount"] = amount, ["currency"] = "CNY", ["productCode"] = "FUND-A",
        }, id);

    [Fact]
    public async Task ADoubleDeliveredTransactionCountsOnceAndTheRunNowJobPlacesTheCustomerInATier()
    {
        var client = _host.CreateClient();
        var admin = _host.Admin();
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync(Webhooks.Customer("C1"), _host.Now)).StatusCode);
        await _host.RunUntilIdleAsync(); // applied behind the answer
        var prospect = await admin.GetFromJsonAsync<JsonObject>("/api/customers/C1");
        Assert.Equal("prospect", prospect!["status"]!.GetValue<string>());

        var transaction = Transaction("tx-event-1", "T1", 880);
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync(transaction, _host.Now)).StatusCode);
        _host.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync(transaction, _host.Now)).StatusCode); // the webhook retried before the first was applied
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync(Transaction("tx-event-2", "T1", 880), _host.Now)).StatusCode); // reposted under a new id
        await _host.RunUntilIdleAsync();

        var customer = await admin.GetFromJsonAsync<JsonObject>("/api/customers/C1");
        Assert.Equal("active", customer!["status"]!.GetValue<string>());
        Assert.Equal(1, customer["transactions"]!.GetValue<int>());
        Assert.Equal(880m, customer["revenue12m"]!.GetValue<decimal>());
        Assert.Null(customer["tier"]); // placed by the next recomputation

        var run = await admin.PostAsync("/api/jobs/pyramid/run", null);
        Assert.Equal(HttpStatusCode.Accepted, run.StatusCode);
        Assert.Equal("pyramid", (await run.Content.ReadFromJsonAsync<JsonObject>())!["job"]!.GetValue<string>());
        await _host.RunUntilIdleAsync();

        Assert.Equal("base", (await admin.GetFromJsonAsync<JsonObject>("/api/customers/C1"))!["tier"]!.GetValue<string>());
        var jobs = await admin.GetFromJsonAsync<JsonArray>("/api/jobs");
        var pyramid = jobs!.Single(j => j!["name"]!.GetValue<string>() == "pyramid")!;
        Assert.Equal(("pyramid", "0 2 * * *", "Asia/Shanghai"), (pyramid["kind"]!.GetValue<string>(), pyramid["cron"]!.GetValue<string>(), pyramid["timeZone"]!.GetValue<string>()));
        Assert.Equal(new DateTimeOffset(2026, 3, 2, 18, 0, 0, TimeSpan.Zero), pyramid["nextOccurrence"]!.GetValue<DateTimeOffset>());
        Assert.True(pyramid["lastResult"]!["manual"]!.GetValue<bool>());
        Assert.Equal(1, pyramid["lastResult"]!["figures"]!["changed"]!.GetValue<int>());

        var timeline = await admin.GetFromJsonAsync<JsonArray>("/api/customers/C1/timeline");
        Assert.Single(timeline!, i => i!["summary"]!.GetValue<string>() == "transaction.posted");
        Assert.Single(timeline!, i => i!["summary"]!.GetValue<string>() == "customer.tier_changed");
    }

    [Fact]
    public async Task RunningAnUnknownJobIsNotFound()
    {
        var response = await _host.Admin().PostAsync("/api/jobs/nope/run", null);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
