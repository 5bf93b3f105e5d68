using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Retention.Testing;

namespace Retention.Host.Tests;

/// <summary>The whole flow through HTTP on the real host and real time: webhook in, instance visible, SMS out.</summary>
public sealed class PostSaleFlowOverHttp : IDisposable
{
    // The shipped post-sale journey with its waits shortened to seconds.
    private static readonly string FastPostSale = File.ReadAllText(Path.Combine(RepoPaths.ShippedJourneys, "post-sale-follow-up.json"))
        .Replace("\"until\": { \"time\": \"10:00\", \"daysLater\": 1 }", "\"duration\": \"PT1S\"", StringComparison.Ordinal)
        .Replace("\"duration\": \"P7D\"", "\"duration\": \"PT1S\"", StringComparison.Ordinal);

    private readonly RetentionFactory _host = new(virtualTime: false, [FastPostSale]);

    public void Dispose() => _host.Dispose();

    [Fact]
    public async Task ASaleLeadsToAThankYouAndASurveyWhoseAnswerIsRecorded()
    {
        Assert.Contains("PT1S", FastPostSale, StringComparison.Ordinal);
        var client = _host.CreateClient();
        var admin = _host.Admin();
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync(Webhooks.Customer("E2E1", phone: "+8613900139000", name: "Wang Fang"), _host.Now)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync(Webhooks.Sale("E2E1", "SALE-1", "Wealth Fund"), _host.Now)).StatusCode);

        var instanceId = "post-sale-follow-up:E2E1:SALE-1";
        var instance = await Eventually(async () =>
        {
            var response = await admin.GetAsync($"/api/instances/{instanceId}");
            return response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<JsonObject>() : null;
        });
        Assert.Equal("post-sale-follow-up", instance["journeyId"]!.GetValue<string>());

        var messages = await Eventually(async () =>
        {
            var outbox = await client.GetFromJsonAsync<JsonArray>("/api/dev/outbox?to=%2B8613900139000");
            return outbox!.Count >= 2 ? outbox : null;
        });
        Assert.Equal(2, messages.Count);
        Assert.Contains("thank you for choosing Wealth Fund", messages[0]!["body"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("Reply 1 (poor) to 5", messages[1]!["body"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.All(messages, m => Assert.Equal(instanceId, m!["instanceId"]!.GetValue<string>()));

        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync("/api/dev/inbound-sms", new { from = "+8613900139000", to = "+10000", message = "4" })).StatusCode);
        // Answered: the score is recorded and the instance waits for its first revisit.
        var revisiting = await Eventually(async () =>
        {
            var state = await admin.GetFromJsonAsync<JsonObject>($"/api/instances/{instanceId}");
            return state!["currentStep"]?.GetValue<string>() == "await-90-days" ? state : null;
        });
        Assert.Equal("Waiting", revisiting["status"]!.GetValue<string>());
        var customer = await admin.GetFromJsonAsync<JsonObject>("/api/customers/E2E1");
        Assert.Equal("4", customer!["attributes"]!["satisfaction"]!.GetValue<string>());

        var timeline = await admin.GetFromJsonAsync<JsonArray>("/api/customers/E2E1/timeline");
        Assert.Contains(timeline!, i => i!["kind"]!.GetValue<string>() == "message:sms");
        Assert.Contains(timeline!, i => i!["kind"]!.GetValue<string>() == "event" && i["summary"]!.GetValue<string>() == "sale.completed");
    }

    [Fact]
    public async Task ARefundEndsTheJourneyBeforeTheSurvey()
    {
        var client = _host.CreateClient();
        await client.PostAsync(Webhooks.Customer("E2E2", phone: "+8613900139001"), _host.Now);
        await client.PostAsync(Webhooks.Sale("E2E2", "SALE-2"), _host.Now);
        await client.PostAsync(Webhooks.Event("sale.refunded", new JsonObject { ["customerId"] = "E2E2", ["saleId"] = "SALE-2" }), _host.Now);

        var state = await Eventually(async () =>
        {
            var response = await _host.Admin().GetAsync("/api/instances/post-sale-follow-up:E2E2:SALE-2");
            var body = response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<JsonObject>() : null;
            return body?["status"]!.GetValue<string>() == "Exited" ? body : null;
        });
        Assert.Equal("exit-on:sale.refunded", state["outcome"]!.GetValue<string>());
        await Task.Delay(TimeSpan.FromSeconds(3)); // both waits would have passed: nothing more may be sent
        Assert.True((await client.GetFromJsonAsync<JsonArray>("/api/dev/outbox?to=%2B8613900139001"))!.Count <= 1);
    }

    /// <summary>Polls once a quarter second for up to 20 seconds: end-to-end waits are seconds long.</summary>
    private static async Task<T> Eventually<T>(Func<Task<T?>> probe) where T : class
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            if (await probe() is { } value)
            {
                return value;
            }
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the journey");
            await Task.Delay(250);
        }
    }
}
