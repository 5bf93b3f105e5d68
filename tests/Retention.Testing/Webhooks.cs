using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Retention.Api.Ingest;
using Retention.Application.Ingest;

namespace Retention.Testing;

/// <summary>Builds CloudEvents and signs them as a core system would.</summary>
public static class Webhooks
{
    public const string Source = "demo";
    public const string Secret = "dev-webhook-secret";

    public static JsonObject Event(string type, JsonObject data, string? id = null, DateTimeOffset? time = null) => new()
    {
        ["specversion"] = "1.0",
        ["id"] = id ?? Guid.NewGuid().ToString("N"),
        ["source"] = Source,
        ["type"] = type,
        ["time"] = time?.ToString("O"),
        ["data"] = data,
    };

    public static JsonObject Customer(string customerId, string phone = "+8613800138000", string timeZone = "Asia/Shanghai", string locale = "en", string name = "Test Customer") =>
        Event("customer.upserted", new JsonObject
        {
            ["customerId"] = customerId, ["name"] = name, ["phone"] = phone, ["email"] = $"{customerId.ToLowerInvariant()}@example.com",
            ["locale"] = locale, ["timeZone"] = timeZone, ["ownerId"] = "am-7", ["consent"] = new JsonObject { ["sms"] = "opted-in", ["email"] = "opted-in" },
        });

    public static JsonObject Sale(string customerId, string saleId, string product = "Fund A") =>
        Event("sale.completed", new JsonObject { ["customerId"] = customerId, ["saleId"] = saleId, ["product"] = product, ["amount"] = 1000 });

    public static HttpRequestMessage Request(JsonNode body, DateTimeOffset now, string secret = Secret, bool batch = false)
    {
        var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/events") { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(batch ? EventsEndpoints.BatchContentType : EventsEndpoints.SingleContentType);
        request.Headers.Add(WebhookSignature.Header, WebhookSignature.Sign(secret, now.ToUnixTimeSeconds(), bytes));
        return request;
    }

    /// <summary>
    /// The same event in binary mode, as the CloudEvents SDKs send it by default: each attribute a <c>ce-</c> header, the
    /// data the body (<paramref name="contentType"/>), the signature over that body.
    /// </summary>
    public static HttpRequestMessage BinaryRequest(JsonObject cloudEvent, DateTimeOffset now, string secret = Secret, string contentType = "application/json")
    {
        var bytes = Encoding.UTF8.GetBytes(cloudEvent["data"]!.ToJsonString());
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/events") { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        foreach (var (name, value) in cloudEvent)
        {
            if (name != "data" && value is not null)
            {
                request.Headers.Add("ce-" + name, value.GetValue<string>());
            }
        }
        request.Headers.Add(WebhookSignature.Header, WebhookSignature.Sign(secret, now.ToUnixTimeSeconds(), bytes));
        return request;
    }

    public static async Task<HttpResponseMessage> PostAsync(this HttpClient client, JsonNode body, DateTimeOffset now, bool batch = false)
    {
        using var request = Request(body, now, batch: batch);
        return await client.SendAsync(request);
    }
}
