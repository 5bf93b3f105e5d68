using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Retention.Core.Runtime;
using Retention.Storage.Tasks;
using Retention.Testing;

namespace Retention.Api.Tests.Programs;

/// <summary>
/// The real host under virtual time with shipped journeys from <c>config/journeys</c>, and the reads a program test
/// asserts on: messages from the dev outbox and tasks from the task store, each with its time.
/// </summary>
public sealed class ProgramHost : IDisposable
{
    private readonly HttpClient _client;

    public ProgramHost(params string[] shippedJourneys)
    {
        Factory = new RetentionFactory(virtualTime: true,
            shippedJourneys.Select(id => File.ReadAllText(Path.Combine(RepoPaths.ShippedJourneys, id + ".json"))).ToArray());
        _client = Factory.CreateClient();
        Admin = Factory.Admin();
    }

    public RetentionFactory Factory { get; }
    public HttpClient Admin { get; }
    public DateTimeOffset Now => Factory.Now;

    public void Dispose()
    {
        _client.Dispose();
        Admin.Dispose();
        Factory.Dispose();
    }

    /// <summary>
    /// Moves the clock to <paramref name="instant"/>, stopping at each instance timer on the way, so every step runs at
    /// its due time (as the engine would) rather than all at the end.
    /// </summary>
    public Task AdvanceToAsync(DateTimeOffset instant) => Factory.Engine.AdvanceToAsync(instant);

    public async Task<HttpResponseMessage> PostAsync(JsonObject cloudEvent)
    {
        var response = await _client.PostAsync(cloudEvent, Now);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await Factory.RunUntilIdleAsync();
        return response;
    }

    public Task<HttpResponseMessage> PostAsync(string type, JsonObject data, string? id = null) =>
        PostAsync(Webhooks.Event(type, data, id, Now));

    public async Task ReplyBySmsAsync(string from, string message)
    {
        var response = await Admin.PostAsJsonAsync("/api/dev/inbound-sms", new { from, to = "+8610000", message });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await Factory.RunUntilIdleAsync();
    }

    public async Task<IReadOnlyList<SentMessage>> MessagesAsync(string customerId)
    {
        var outbox = await Admin.GetFromJsonAsync<JsonArray>($"/api/dev/outbox?customerId={Uri.EscapeDataString(customerId)}");
        return outbox!.Select(m => new SentMessage(m!["stepId"]!.GetValue<string>(), m["channel"]!.GetValue<string>(), m["body"]!.GetValue<string>(),
            m["sentAt"]!.GetValue<DateTimeOffset>(), m["journeyId"]!.GetValue<string>())).OrderBy(m => m.SentAt).ToList();
    }

    public async Task<IReadOnlyList<StaffTask>> TasksAsync(string customerId) =>
        (await Factory.Get<TaskStore>().ForCustomerAsync(customerId, CancellationToken.None)).OrderBy(t => t.CreatedAt).ThenBy(t => t.StepId, StringComparer.Ordinal).ToList();

    public async Task<JsonObject> CustomerAsync(string customerId) =>
        (await Admin.GetFromJsonAsync<JsonObject>($"/api/customers/{Uri.EscapeDataString(customerId)}"))!;

    public async Task<IReadOnlyList<JsonObject>> InstancesAsync(string customerId) =>
        (await Admin.GetFromJsonAsync<JsonObject>($"/api/instances?customerId={Uri.EscapeDataString(customerId)}"))!["items"]!.AsArray().Select(i => i!.AsObject()).ToList();

    /// <summary>A customer profile as a core system would send it.</summary>
    public static JsonObject Customer(string customerId, string phone, string timeZone = "Asia/Shanghai", string locale = "en", string name = "Ada",
        string? birthday = null, string? region = null, string marketing = "opted-in")
    {
        var data = new JsonObject
        {
            ["customerId"] = customerId, ["name"] = name, ["phone"] = phone, ["email"] = $"{customerId.ToLowerInvariant()}@example.com",
            ["locale"] = locale, ["timeZone"] = timeZone, ["ownerId"] = "am-7",
            ["consent"] = new JsonObject { ["sms"] = marketing, ["email"] = marketing },
        };
        if (birthday is not null)
        {
            data["birthday"] = birthday;
        }
        if (region is not null)
        {
            data["region"] = region;
        }
        return data;
    }
}

public sealed record SentMessage(string StepId, string Channel, string Body, DateTimeOffset SentAt, string JourneyId);
