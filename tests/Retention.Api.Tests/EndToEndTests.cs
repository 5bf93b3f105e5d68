using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Retention.Testing;

namespace Retention.Api.Tests;

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
        var instance = await Progress.UntilAsync("the instance starting", () => DetailAsync(admin, instanceId), _ => true);
        Assert.Equal("post-sale-follow-up", instance["journeyId"]!.GetValue<string>());

        // Progress is the instance moving on (its history, its timer) or a message going out.
        var messages = (await Progress.UntilAsync("the thank-you and the survey going out", async () => new JsonArray(
                await DetailAsync(admin, instanceId), await client.GetFromJsonAsync<JsonArray>("/api/dev/outbox?to=%2B8613900139000")),
            seen => seen[1]!.AsArray().Count >= 2))[1]!.AsArray();
        Assert.Equal(2, messages.Count);
        Assert.Contains("thank you for choosing Wealth Fund", messages[0]!["body"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("Reply 1 (poor) to 5", messages[1]!["body"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.All(messages, m => Assert.Equal(instanceId, m!["instanceId"]!.GetValue<string>()));

        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync("/api/dev/inbound-sms", new { from = "+8613900139000", to = "+10000", message = "4" })).StatusCode);
        // Answered: the score is recorded and the instance waits for its first revisit.
        var revisiting = await Progress.UntilAsync("the answer being recorded", () => DetailAsync(admin, instanceId),
            state => state["currentStep"]?.GetValue<string>() == "await-90-days");
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

        var state = await Progress.UntilAsync("the refund ending the journey", () => DetailAsync(_host.Admin(), "post-sale-follow-up:E2E2:SALE-2"),
            body => body["status"]!.GetValue<string>() == "Exited");
        Assert.Equal("exit-on:sale.refunded", state["outcome"]!.GetValue<string>());
        await Task.Delay(TimeSpan.FromSeconds(3)); // both waits would have passed: nothing more may be sent
        Assert.True((await client.GetFromJsonAsync<JsonArray>("/api/dev/outbox?to=%2B8613900139001"))!.Count <= 1);
    }

    private static async Task<JsonObject?> DetailAsync(HttpClient admin, string instanceId)
    {
        using var response = await admin.GetAsync($"/api/instances/{instanceId}");
        return response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<JsonObject>() : null;
    }
}
