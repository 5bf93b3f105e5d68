using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Retention.Application.Inbound;
using Retention.Testing;
using Retention.Testing.Durable;

namespace Retention.Api.Tests;

/// <summary>
/// ACS's <c>SMSReceived</c> through the Event Grid endpoint of the real host: a STOP from a number four customers share,
/// written without the '+' as ACS's own sample writes it, opts out all four; each inbound message is counted by
/// outcome at <c>/metrics</c>, and one from a number nobody has is logged without the number.
/// </summary>
[Collection(MetricsReadAlone.Name)]
public sealed class InboundSmsThroughEventGrid : IDisposable
{
    private const string Number = "+8613800138000";
    private static readonly string[] Family = ["G1", "G2", "G3", "G4"];

    private readonly RetentionFactory _base = new(virtualTime: true, []);
    private readonly CapturedLogs _logs = new();
    private readonly WebApplicationFactory<Program> _host;

    public InboundSmsThroughEventGrid() =>
        _host = _base.WithWebHostBuilder(b => b.ConfigureLogging(logging =>
        {
            logging.AddProvider(_logs);
            logging.AddFilter<CapturedLogs>("Retention", LogLevel.Trace);
        }));

    public void Dispose()
    {
        _host.Dispose();
        _base.Dispose();
    }

    private static JsonArray SmsReceived(string id, string from, string message) =>
    [
        new JsonObject
        {
            ["id"] = id, ["topic"] = "/subscriptions/x/resourceGroups/x/providers/Microsoft.Communication/communicationServices/x",
            ["subject"] = "/phonenumber/10000", ["eventType"] = "Microsoft.Communication.SMSReceived", ["dataVersion"] = "1.0",
            ["eventTime"] = "2026-03-02T00:00:00Z",
            ["data"] = new JsonObject
            {
                ["MessageId"] = id, ["From"] = from, ["To"] = "+10000", ["Message"] = message, ["ReceivedTimestamp"] = "2026-03-02T00:00:00Z",
            },
        },
    ];

    private async Task<JsonObject> PostAsync(HttpClient client, JsonArray events)
    {
        var response = await client.PostAsJsonAsync("/api/events/eventgrid?key=dev-eventgrid-key", events);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await _host.Services.GetRequiredService<VirtualDurableEngine>().RunUntilIdleAsync();
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    /// <summary>Whether <c>/metrics</c> has the outcome's series; its value is read from this host's own counts, since hosts in one test process share the meter's name.</summary>
    private static bool Exports(string metrics, string outcome) =>
        metrics.Split('\n').Any(l => l.StartsWith("retention_inbound_sms_total{", StringComparison.Ordinal) && l.Contains($"outcome=\"{outcome}\"", StringComparison.Ordinal));

    private long[] Counts()
    {
        var metrics = _host.Services.GetRequiredService<InboundSmsMetrics>();
        return [metrics.Count(InboundSmsMetrics.Matched), metrics.Count(InboundSmsMetrics.NoCustomer), metrics.Count(InboundSmsMetrics.NotUnderstood)];
    }

    [Fact]
    public async Task AStopWithoutThePlusOptsOutEveryCustomerOnTheNumberAndEachMessageIsCounted()
    {
        var client = _host.CreateClient();
        var before = await client.GetStringAsync("/metrics"); // before any SMS: every outcome is there, at zero
        Assert.All(new[] { "matched", "no_customer", "not_understood" }, outcome => Assert.True(Exports(before, outcome), outcome));
        Assert.Equal(new long[] { 0, 0, 0 }, Counts());
        foreach (var customerId in Family)
        {
            Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync(Webhooks.Customer(customerId, phone: Number), _base.Now)).StatusCode);
        }
        await _host.Services.GetRequiredService<VirtualDurableEngine>().RunUntilIdleAsync();

        var stop = await PostAsync(client, SmsReceived("m-1", "8613800138000", "STOP"));
        var stranger = await PostAsync(client, SmsReceived("m-2", "+8613900139000", "STOP"));

        Assert.Equal((1, 0), (stop["handled"]!.GetValue<int>(), stop["ignored"]!.GetValue<int>()));
        Assert.Equal((0, 1), (stranger["handled"]!.GetValue<int>(), stranger["ignored"]!.GetValue<int>()));
        var admin = _host.CreateClient();
        admin.DefaultRequestHeaders.Add("X-Api-Key", "dev-admin-key");
        foreach (var customerId in Family)
        {
            var customer = await admin.GetFromJsonAsync<JsonObject>($"/api/customers/{customerId}");
            Assert.Equal("opted-out", customer!["consent"]!["sms"]!.GetValue<string>());
        }
        Assert.Equal(new long[] { 1, 1, 0 }, Counts());
        var unmatched = Assert.Single(_logs.Lines, l => l.Contains("from a number no customer has", StringComparison.Ordinal));
        Assert.DoesNotContain("13900139000", unmatched, StringComparison.Ordinal);
    }
}
