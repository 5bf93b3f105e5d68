using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Storage.Queues;

namespace Retention.Host.Tests.Functions;

/// <summary>An HTTP output binding as the handler returned it in <c>Outputs.res</c>.</summary>
public sealed record HttpOutput(int StatusCode, string Body, JsonObject Headers)
{
    public JsonNode? Json => JsonNode.Parse(Body);

    public string? Header(string name) =>
        Headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value?.GetValue<string>();
}

/// <summary>
/// Plays the Azure Functions host against the custom handler: it POSTs the invocation payloads of
/// <c>shared/reference/FUNCTIONS.md</c> (and the host's sources) to <c>/{FunctionName}</c>, and delivers work-queue
/// messages as the host's queue listener would: deleted after a 2xx reply, left for their next attempt otherwise.
/// </summary>
public sealed class FunctionsHostDouble(HttpClient handler, QueueClient workQueue)
{
    public const string HostVersion = "4.1040.300.25317";

    public HttpClient Handler => handler;

    /// <summary><c>Data.req</c> as the host builds it: header values as arrays, <c>Query</c> as a JSON string, the body as text.</summary>
    public static JsonObject HttpInvocation(string method, string pathAndQuery, IReadOnlyDictionary<string, string>? headers = null, string? body = null)
    {
        var url = "https://retention-func.azurewebsites.net" + pathAndQuery;
        var headerObject = new JsonObject { ["Host"] = new JsonArray("retention-func.azurewebsites.net"), ["User-Agent"] = new JsonArray("contract-test") };
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            headerObject[name] = new JsonArray(value);
        }
        if (body is not null)
        {
            headerObject["Content-Length"] = new JsonArray(Encoding.UTF8.GetByteCount(body).ToString(CultureInfo.InvariantCulture));
        }
        var request = new JsonObject
        {
            ["Url"] = url,
            ["Method"] = method,
            ["Query"] = "{}",
            ["Headers"] = headerObject,
            ["Params"] = new JsonObject(),
            ["Identities"] = "[]",
        };
        if (body is not null)
        {
            request["Body"] = body;
        }
        return new JsonObject { ["Data"] = new JsonObject { ["req"] = request }, ["Metadata"] = Sys("HttpTrigger") };
    }

    /// <summary>
    /// A queue invocation. <paramref name="doublyEncoded"/>: the message text serialised once more, as the host's source does
    /// with a string input; otherwise the text itself, as the documentation shows it.
    /// </summary>
    public static JsonObject QueueInvocation(string messageText, long dequeueCount = 1, string? messageId = null, bool doublyEncoded = true)
    {
        var now = DateTimeOffset.UtcNow;
        var metadata = Sys("JourneyWork");
        metadata["DequeueCount"] = dequeueCount;
        metadata["Id"] = messageId ?? Guid.NewGuid().ToString();
        metadata["InsertionTime"] = now.AddSeconds(-1).ToString("O", CultureInfo.InvariantCulture);
        metadata["ExpirationTime"] = DateTimeOffset.MaxValue.ToString("O", CultureInfo.InvariantCulture);
        metadata["NextVisibleTime"] = now.AddMinutes(10).ToString("O", CultureInfo.InvariantCulture);
        metadata["PopReceipt"] = "AgAAAAMAAAAAAAAAAgtnj8x+1QE=";
        var data = doublyEncoded ? JsonSerializer.Serialize(messageText) : messageText;
        return new JsonObject { ["Data"] = new JsonObject { ["msg"] = data }, ["Metadata"] = metadata };
    }

    /// <summary>A timer tick: <c>{Schedule, ScheduleStatus, IsPastDue}</c> (the shape the reference marks unconfirmed).</summary>
    public static JsonObject TimerInvocation(bool pastDue = false)
    {
        var now = DateTimeOffset.UtcNow;
        var timer = new JsonObject
        {
            ["Schedule"] = new JsonObject { ["AdjustForDST"] = true },
            ["ScheduleStatus"] = new JsonObject
            {
                ["Last"] = now.AddMinutes(-5).ToString("O", CultureInfo.InvariantCulture),
                ["Next"] = now.AddMinutes(5).ToString("O", CultureInfo.InvariantCulture),
                ["LastUpdated"] = now.AddMinutes(-5).ToString("O", CultureInfo.InvariantCulture),
            },
            ["IsPastDue"] = pastDue,
        };
        return new JsonObject { ["Data"] = new JsonObject { ["timer"] = timer }, ["Metadata"] = Sys("CatalogRefresh") };
    }

    private static JsonObject Sys(string method) => new()
    {
        ["sys"] = new JsonObject
        {
            ["MethodName"] = method,
            ["UtcNow"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            ["RandGuid"] = Guid.NewGuid().ToString(),
        },
    };

    /// <summary>POSTs an invocation payload to <c>/{function}</c> with the host's headers.</summary>
    public async Task<HttpResponseMessage> InvokeAsync(string function, JsonNode payload)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/" + function)
        {
            Content = new StringContent(payload.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Azure-Functions-InvocationId", Guid.NewGuid().ToString());
        request.Headers.Add("X-Azure-Functions-HostVersion", HostVersion);
        return await handler.SendAsync(request);
    }

    /// <summary>Invokes an HTTP function and returns its <c>res</c> output; the invocation itself must succeed.</summary>
    public async Task<HttpOutput> InvokeHttpAsync(string function, string method, string pathAndQuery, IReadOnlyDictionary<string, string>? headers = null, string? body = null)
    {
        using var response = await InvokeAsync(function, HttpInvocation(method, pathAndQuery, headers, body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{function} {method} {pathAndQuery}: invocation answered {(int)response.StatusCode}: {text}");
        var result = JsonNode.Parse(text)!.AsObject();
        Assert.Equal(JsonValueKind.Array, result["Logs"]!.GetValueKind());
        Assert.True(result.ContainsKey("ReturnValue"));
        var res = result["Outputs"]!["res"]!.AsObject();
        Assert.Equal(res["statusCode"]!.GetValue<int>(), res["status"]!.GetValue<int>());
        return new HttpOutput(res["statusCode"]!.GetValue<int>(), res["body"]!.GetValue<string>(), res["headers"]!.AsObject());
    }

    public Task<HttpOutput> AdminAsync(string function, string method, string pathAndQuery, string? jsonBody = null) =>
        InvokeHttpAsync(function, method, pathAndQuery, jsonBody is null
            ? new Dictionary<string, string> { ["X-Api-Key"] = "dev-admin-key" }
            : new Dictionary<string, string> { ["X-Api-Key"] = "dev-admin-key", ["Content-Type"] = "application/json" }, jsonBody);

    /// <summary>
    /// Delivers every visible message of the work queue once to <paramref name="function"/>, as the host's listener does;
    /// returns the replies' status codes.
    /// </summary>
    public async Task<IReadOnlyList<HttpStatusCode>> DeliverQueueOnceAsync(string function = "JourneyWork")
    {
        var replies = new List<HttpStatusCode>();
        var messages = (await workQueue.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(30))).Value;
        foreach (var message in messages)
        {
            using var reply = await InvokeAsync(function, QueueInvocation(message.Body.ToString(), message.DequeueCount, message.MessageId));
            replies.Add(reply.StatusCode);
            if (reply.IsSuccessStatusCode)
            {
                await workQueue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
            }
            else
            {
                await workQueue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: TimeSpan.Zero);
            }
        }
        return replies;
    }

    /// <summary>Delivers queue messages until <paramref name="done"/> holds, within <paramref name="timeout"/>; every reply must be 2xx.</summary>
    public async Task<T> DeliverUntilAsync<T>(Func<Task<T?>> done, TimeSpan timeout) where T : class
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var replies = await DeliverQueueOnceAsync();
            Assert.All(replies, r => Assert.Equal(HttpStatusCode.OK, r));
            if (await done() is { } value)
            {
                return value;
            }
            Assert.True(DateTime.UtcNow < deadline, "the expected effect did not appear in time");
            if (replies.Count == 0)
            {
                await Task.Delay(200); // a timer message is still hidden; it falls due within a second
            }
        }
    }

    public async Task<JsonArray> DevOutboxAsync(string to) =>
        (await handler.GetFromJsonAsync<JsonArray>($"/api/dev/outbox?to={Uri.EscapeDataString(to)}"))!;
}
