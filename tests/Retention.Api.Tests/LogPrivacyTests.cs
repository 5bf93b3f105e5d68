using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Retention.Testing.Durable;
using Retention.Testing;

namespace Retention.Api.Tests;

/// <summary>Every log line of an end-to-end flow, at the levels the host writes, is free of phone numbers, emails and names.</summary>
public sealed class LogsOfAnEndToEndFlow : IDisposable
{
    private static readonly string FastPostSale = File.ReadAllText(Path.Combine(RepoPaths.ShippedJourneys, "post-sale-follow-up.json"))
        .Replace("\"until\": { \"time\": \"10:00\", \"daysLater\": 1 }", "\"duration\": \"PT1S\"", StringComparison.Ordinal)
        .Replace("\"duration\": \"P7D\"", "\"duration\": \"PT1S\"", StringComparison.Ordinal);

    private const string Phone = "+8613700137001";
    private const string Name = "Zhao Xiaoming";
    private const string Email = "zhao.xiaoming@example.com";
    private const string BadPhone = "+86137";
    private const string BadEmail = "zhao.xiaoming@";

    private readonly RetentionFactory _base = new(virtualTime: true, [FastPostSale]);
    private readonly CapturedLogs _logs = new();
    private readonly WebApplicationFactory<Program> _host;

    public LogsOfAnEndToEndFlow()
    {
        _host = _base.WithWebHostBuilder(b => b.ConfigureLogging(logging =>
        {
            logging.AddProvider(_logs);
            logging.AddFilter<CapturedLogs>("Retention", LogLevel.Trace); // every level of our own categories
        }));
    }

    public void Dispose()
    {
        _host.Dispose();
        _base.Dispose();
    }

    private Task RunUntilIdleAsync() => _host.Services.GetRequiredService<VirtualDurableEngine>().RunUntilIdleAsync();

    [Fact]
    public async Task NoPhoneEmailOrNameIsLogged()
    {
        var client = _host.CreateClient();
        var admin = _host.CreateClient();
        admin.DefaultRequestHeaders.Add("X-Api-Key", "dev-admin-key");
        var customer = Webhooks.Customer("PII1", phone: Phone, name: Name);
        customer["data"]!["email"] = Email;
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync(customer, _base.Now)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync(Webhooks.Sale("PII1", "SALE-1", "Wealth Fund"), _base.Now)).StatusCode);

        var invalid = Webhooks.Customer("PII2", phone: BadPhone, name: Name);
        invalid["data"]!["email"] = BadEmail;
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsync(invalid, _base.Now)).StatusCode);
        var invalidBatch = new JsonArray(Webhooks.Customer("PII3", phone: Phone, name: Name), Webhooks.Customer("PII3", phone: BadPhone, name: Name));
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsync(invalidBatch, _base.Now, batch: true)).StatusCode);

        JsonArray? outbox = null;
        for (var step = 0; step < 10 && (outbox?.Count ?? 0) < 2; step++)
        {
            await RunUntilIdleAsync();
            _base.Clock.Advance(TimeSpan.FromSeconds(2));
            outbox = await client.GetFromJsonAsync<JsonArray>("/api/dev/outbox?to=%2B8613700137001");
        }
        Assert.Equal(2, outbox!.Count);
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync("/api/dev/inbound-sms", new { from = Phone, to = "+10000", message = "4" })).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync("/api/dev/inbound-sms", new { from = Phone, to = "+10000", message = "STOP" })).StatusCode);
        await RunUntilIdleAsync();
        var done = await admin.GetFromJsonAsync<JsonObject>("/api/instances/post-sale-follow-up:PII1:SALE-1");
        Assert.Equal(("Waiting", "await-90-days"), (done!["status"]!.GetValue<string>(), done["currentStep"]!.GetValue<string>())); // answered, now revisiting
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/customers/PII1/timeline")).StatusCode);

        var lines = _logs.Lines.ToList();
        Assert.Contains(lines, l => l.Contains("PII1", StringComparison.Ordinal)); // the capture works, and ids are logged
        string[] personal = [Phone, Phone[1..], Phone[3..], Name, "Zhao", "Xiaoming", Email, BadPhone, BadEmail];
        var leaks = lines.Where(l => personal.Any(p => l.Contains(p, StringComparison.OrdinalIgnoreCase))).ToList();
        Assert.True(leaks.Count == 0, $"{leaks.Count} of {lines.Count} log lines carry personal data:\n{string.Join('\n', leaks.Take(20))}");
    }
}
