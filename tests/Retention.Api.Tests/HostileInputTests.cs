using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Retention.Api.Ingest;
using Retention.Application.Ingest;
using Retention.Testing;

namespace Retention.Api.Tests;

/// <summary>
/// A corpus of malformed and hostile webhook deliveries, generated here, posted to the real host: each one must be a
/// 4xx problem (never a 5xx), and nothing may be stored for any customer id the corpus uses.
/// </summary>
public sealed class EventsEndpointHostileInput : IDisposable
{
    private readonly RetentionFactory _host = new(virtualTime: true, [File.ReadAllText(Path.Combine(RepoPaths.ShippedJourneys, "post-sale-follow-up.json"))]);
    private readonly List<string> _customerIds = [];

    public void Dispose() => _host.Dispose();

    /// <summary>One delivery: its raw body, content type and signature header (null: none).</summary>
    private sealed record Delivery(string Name, byte[] Body, string? ContentType, Func<byte[], long, string?> Sign);

    private string NextCustomer()
    {
        var id = $"H{_customerIds.Count:D4}";
        _customerIds.Add(id);
        return id;
    }

    private static string? SignedWith(byte[] body, long now) => WebhookSignature.Sign(Webhooks.Secret, now, body);

    private static Delivery Signed(string name, string body, string contentType = EventsEndpoints.SingleContentType) =>
        new(name, Encoding.UTF8.GetBytes(body), contentType, SignedWith);

    private static Delivery Signed(string name, JsonNode body, string contentType = EventsEndpoints.SingleContentType) =>
        Signed(name, body.ToJsonString(), contentType);

    private JsonObject ValidCustomer() => Webhooks.Customer(NextCustomer(), name: "Corpus Person");

    private IEnumerable<Delivery> Corpus()
    {
        // broken JSON: a valid event cut short at many places, and a few classics
        var whole = ValidCustomer().ToJsonString();
        for (var cut = 1; cut < whole.Length; cut += Math.Max(1, whole.Length / 40))
        {
            yield return Signed($"truncated at {cut}", whole[..cut]);
        }
        foreach (var broken in new[] { "", " ", "{", "}", "[", "{]", "{\"a\":}", "{'id':'x'}", "{\"id\":\"x\",}", "nul", "{\"id\" \"x\"}", "/* comment */ {}", "{\"a\":1}{\"b\":2}", "\u0000", "{\"id\":\"\\x\"}" })
        {
            yield return Signed($"broken {broken}", broken);
        }

        // wrong types in the envelope
        JsonNode?[] wrongValues = [JsonValue.Create(42), JsonValue.Create(true), new JsonArray(1, 2), new JsonObject { ["x"] = 1 }, null];
        foreach (var field in new[] { "specversion", "id", "source", "type", "time", "data" })
        {
            foreach (var value in wrongValues)
            {
                if (field == "time" && value is null)
                {
                    continue; // time is optional
                }
                var e = ValidCustomer();
                e[field] = value?.DeepClone();
                yield return Signed($"envelope {field} = {value?.ToJsonString() ?? "null"}", e);
            }
        }

        // wrong types in data
        JsonNode[] wrongData = [JsonValue.Create(42), JsonValue.Create(false), new JsonArray("a"), new JsonObject { ["nested"] = "x" }];
        foreach (var field in new[] { "customerId", "name", "phone", "email", "locale", "timeZone", "birthday", "ownerId", "region", "consent", "attributes" })
        {
            foreach (var value in wrongData)
            {
                if ((field == "consent" || field == "attributes") && value is JsonObject)
                {
                    continue; // objects are right there
                }
                var e = ValidCustomer();
                e["data"]![field] = value.DeepClone();
                yield return Signed($"data {field} = {value.ToJsonString()}", e);
            }
        }

        // bad values of the right type
        (string Field, string Value)[] badValues =
        [
            ("phone", "555-0100"), ("phone", "+86"), ("phone", "+0123456789"), ("phone", "tel:+8613800138000"), ("email", "not-an-email"), ("email", "a@b"),
            ("locale", "english!!"), ("timeZone", "Mars/Olympus"), ("timeZone", "../../etc/passwd"), ("birthday", "2026-13-01"), ("birthday", "01/02/2000"),
            ("customerId", ""), ("customerId", "a b"), ("customerId", "'; DROP TABLE customers; --"), ("customerId", "<script>alert(1)</script>"),
        ];
        foreach (var (field, value) in badValues)
        {
            var e = ValidCustomer();
            e["data"]![field] = value;
            yield return Signed($"data {field} = {value}", e);
        }
        foreach (var consent in new[] { "{\"sms\":\"maybe\"}", "{\"fax\":\"opted-in\"}", "[\"sms\"]", "\"yes\"" })
        {
            var e = ValidCustomer();
            e["data"]!["consent"] = JsonNode.Parse(consent);
            yield return Signed($"consent {consent}", e);
        }

        // huge strings
        foreach (var (field, length) in new[] { ("id", 300), ("id", 100_000), ("type", 5_000), ("source", 10_000), ("specversion", 1_000), ("time", 500) })
        {
            var e = ValidCustomer();
            e[field] = new string('a', length);
            yield return Signed($"huge {field} {length}", e);
        }
        foreach (var (field, length) in new[] { ("customerId", 129), ("name", 2_001), ("region", 50_000), ("phone", 10_000), ("email", 1_000), ("locale", 500) })
        {
            var e = ValidCustomer();
            e["data"]![field] = new string('9', length);
            yield return Signed($"huge data {field} {length}", e);
        }
        var bigAttributes = ValidCustomer();
        bigAttributes["data"]!["attributes"] = new JsonObject { ["blob"] = new string('z', 20_000) };
        yield return Signed("attributes over 16 KB", bigAttributes);
        var overLimit = ValidCustomer();
        overLimit["data"]!["attributes"] = new JsonObject { ["blob"] = new string('z', 1_100_000) };
        yield return Signed("body over the size limit", overLimit);

        // deep nesting
        foreach (var depth in new[] { 33, 64, 1_000, 10_000 })
        {
            var e = ValidCustomer().ToJsonString();
            var nested = string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth);
            yield return Signed($"nested objects {depth}", e.Replace("\"ownerId\"", "\"attributes\":" + nested + ",\"ownerId\"", StringComparison.Ordinal));
            yield return Signed($"nested arrays {depth}", new string('[', depth) + new string(']', depth));
        }

        // control characters and broken text
        foreach (var control in new[] { "\u0000", "\u0001", "\u001b[31m", "\u007f", "\u0085", "\u200b\u0008" })
        {
            foreach (var field in new[] { "id", "type", "specversion" })
            {
                var e = ValidCustomer();
                e[field] = $"x{control}y";
                yield return Signed($"control {(int)control[0]} in {field}", e);
            }
            foreach (var field in new[] { "customerId", "name", "region" })
            {
                var e = ValidCustomer();
                e["data"]![field] = $"x{control}y";
                yield return Signed($"control {(int)control[0]} in data {field}", e);
            }
        }
        yield return Signed("lone surrogate in name", ValidCustomer().ToJsonString().Replace("Corpus Person", "Corpus \\ud800 Person", StringComparison.Ordinal));
        yield return new Delivery("invalid UTF-8", [.. Encoding.UTF8.GetBytes(ValidCustomer().ToJsonString()[..^2]), 0xC3, 0x28, (byte)'"', (byte)'}'], EventsEndpoints.SingleContentType, SignedWith);

        // template injection where only identifiers belong, and alongside a fault in a name
        foreach (var injection in new[] { "{{ 7*7 }}", "{% raw %}", "{{ customer.phone }}", "{% for i in (1..99999999) %}x{% endfor %}", "${7*7}", "<%= 7*7 %>" })
        {
            var type = ValidCustomer();
            type["type"] = injection;
            yield return Signed($"injection in type {injection}", type);
            var id = ValidCustomer();
            id["data"]!["customerId"] = injection;
            yield return Signed($"injection in customerId {injection}", id);
            var sale = Webhooks.Sale(NextCustomer(), injection);
            yield return Signed($"injection in saleId {injection}", sale);
            var name = ValidCustomer();
            name["data"]!["name"] = injection;
            name["data"]!["birthday"] = "not a date";
            yield return Signed($"injection in name with a bad birthday {injection}", name);
        }

        // unknown or malformed event types, and contract faults of the known ones
        foreach (var type in new[] { "Customer.Upserted", "customer upserted", "customerupserted", "1customer.upserted", "customer.", ".upserted", "customer..upserted", "CUSTOM.EVENT", "customer/upserted" })
        {
            var e = ValidCustomer();
            e["type"] = type;
            yield return Signed($"type {type}", e);
        }
        foreach (var spec in new[] { "0.3", "2.0", "1", "1.0 " })
        {
            var e = ValidCustomer();
            e["specversion"] = spec;
            yield return Signed($"specversion {spec}", e);
        }
        JsonObject Typed(string type, JsonObject data) => Webhooks.Event(type, data);
        yield return Signed("transaction without amount", Typed("transaction.posted", new JsonObject { ["customerId"] = NextCustomer(), ["transactionId"] = "T1" }));
        yield return Signed("transaction amount as text", Typed("transaction.posted", new JsonObject { ["customerId"] = NextCustomer(), ["transactionId"] = "T1", ["amount"] = "1000" }));
        yield return Signed("transaction amount 1e20", Typed("transaction.posted", new JsonObject { ["customerId"] = NextCustomer(), ["transactionId"] = "T1", ["amount"] = 1e20 }));
        yield return Signed("sale without saleId", Typed("sale.completed", new JsonObject { ["customerId"] = NextCustomer() }));
        yield return Signed("sale occurredAt not a time", Typed("sale.completed", new JsonObject { ["customerId"] = NextCustomer(), ["saleId"] = "S", ["occurredAt"] = "yesterday" }));
        yield return Signed("complaint severity unknown", Typed("complaint.opened", new JsonObject { ["customerId"] = NextCustomer(), ["complaintId"] = "K1", ["severity"] = "urgent" }));
        yield return Signed("complaint responded unknown", Typed("complaint.responded", new JsonObject { ["complaintId"] = "never-opened-" + NextCustomer() }));
        yield return Signed("complaint status unknown", Typed("complaint.status_changed", new JsonObject { ["complaintId"] = "K1", ["status"] = "closed", ["customerId"] = NextCustomer() }));
        yield return Signed("consent channel fax", Typed("consent.changed", new JsonObject { ["customerId"] = NextCustomer(), ["channel"] = "fax", ["status"] = "opted-in" }));
        yield return Signed("custom type without customer", Typed("survey.answered", new JsonObject { ["score"] = 5 }));
        var badTime = ValidCustomer();
        badTime["time"] = "2026-03-02";
        yield return Signed("time without a clock", badTime);

        // signatures: missing, malformed, wrong, stale or from the future, over another body
        var bodyOfSigned = Encoding.UTF8.GetBytes(ValidCustomer().ToJsonString());
        Func<byte[], long, string?>[] badSignatures =
        [
            (_, _) => null,
            (_, _) => "garbage",
            (_, now) => $"t={now}",
            (b, _) => "v1=" + WebhookSignature.Sign(Webhooks.Secret, 0, b).Split("v1=")[1],
            (b, now) => WebhookSignature.Sign("wrong-secret", now, b),
            (b, now) => WebhookSignature.Sign(Webhooks.Secret, now - 301, b),
            (b, now) => WebhookSignature.Sign(Webhooks.Secret, now + 301, b),
            (_, now) => $"t={now},v1={new string('z', 64)}",
            (_, now) => $"t={now},v1=abc",
            (b, now) => $"t=abc,v1=" + WebhookSignature.Sign(Webhooks.Secret, now, b).Split("v1=")[1],
            (b, now) => WebhookSignature.Sign(Webhooks.Secret, now, [.. b, (byte)' ']),
            (b, now) => $"t={now - 1}," + WebhookSignature.Sign(Webhooks.Secret, now, b).Split(',')[1],
            (b, now) => WebhookSignature.Sign(Webhooks.Secret.ToUpperInvariant(), now, b),
        ];
        for (var i = 0; i < badSignatures.Length; i++)
        {
            var body = i == 0 ? bodyOfSigned : Encoding.UTF8.GetBytes(ValidCustomer().ToJsonString());
            yield return new Delivery($"bad signature {i}", body, EventsEndpoints.SingleContentType, badSignatures[i]);
        }
        var unknownSource = ValidCustomer();
        unknownSource["source"] = "intruder";
        yield return Signed("unknown source", unknownSource);

        // wrong content types
        foreach (var contentType in new[] { "text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/cloudevents+xml", null })
        {
            yield return new Delivery($"content type {contentType ?? "none"}", Encoding.UTF8.GetBytes(ValidCustomer().ToJsonString()), contentType, SignedWith);
        }
        yield return Signed("an array sent as one event", new JsonArray(ValidCustomer()));
        yield return Signed("one event sent as a batch", ValidCustomer(), EventsEndpoints.BatchContentType);

        // batches: empty, too many, mixed sources, one bad element
        yield return Signed("empty batch", new JsonArray(), EventsEndpoints.BatchContentType);
        var batchCustomer = NextCustomer();
        yield return Signed("501 events", new JsonArray([.. Enumerable.Range(0, 501).Select(i => (JsonNode)Webhooks.Sale(batchCustomer, $"S{i}"))]), EventsEndpoints.BatchContentType);
        var mixed = new JsonArray(ValidCustomer(), ValidCustomer());
        mixed[1]!["source"] = "other";
        yield return Signed("batch of mixed sources", mixed, EventsEndpoints.BatchContentType);
        var mixedFirst = new JsonArray(ValidCustomer(), ValidCustomer());
        mixedFirst[0]!["source"] = "other";
        yield return Signed("batch led by another source", mixedFirst, EventsEndpoints.BatchContentType);
        var oneBad = new JsonArray(ValidCustomer(), Webhooks.Sale(NextCustomer(), "S1"), ValidCustomer());
        oneBad[2]!["data"]!["phone"] = "12345";
        yield return Signed("batch with one bad element", oneBad, EventsEndpoints.BatchContentType);
        yield return Signed("batch of non-objects", new JsonArray(1, "two", null, new JsonArray()), EventsEndpoints.BatchContentType);
    }

    [Fact]
    public async Task RejectsEveryHostileInputWithAProblemAndStoresNothing()
    {
        var client = _host.CreateClient();
        var corpus = Corpus().ToList();
        Assert.True(corpus.Count >= 200, $"the corpus has only {corpus.Count} inputs");
        var failures = new List<string>();
        foreach (var delivery in corpus)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/events") { Content = new ByteArrayContent(delivery.Body) };
            if (delivery.ContentType is not null)
            {
                request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(delivery.ContentType);
            }
            if (delivery.Sign(delivery.Body, _host.Now.ToUnixTimeSeconds()) is { } signature)
            {
                request.Headers.TryAddWithoutValidation(WebhookSignature.Header, signature);
            }
            var response = await client.SendAsync(request);
            var status = (int)response.StatusCode;
            var mediaType = response.Content.Headers.ContentType?.MediaType;
            if (status is < 400 or >= 500 || mediaType != "application/problem+json")
            {
                failures.Add($"{delivery.Name}: {status} {mediaType} {Clip(await response.Content.ReadAsStringAsync())}");
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {corpus.Count} inputs were not a 4xx problem:\n{string.Join('\n', failures)}");

        await _host.RunUntilIdleAsync();
        var admin = _host.Admin();
        foreach (var customerId in _customerIds)
        {
            Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/api/customers/{customerId}")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/api/customers/{customerId}/timeline")).StatusCode);
            Assert.Empty((await admin.GetFromJsonAsync<JsonObject>($"/api/instances?customerId={customerId}"))!["items"]!.AsArray());
        }
    }

    private static string Clip(string text) => text.Length <= 300 ? text : text[..300];
}
