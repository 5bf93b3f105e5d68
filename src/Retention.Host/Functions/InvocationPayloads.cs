using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Retention.Host.Functions;

/// <summary>
/// What the Functions host POSTs to <c>/{FunctionName}</c>: <c>Data</c> holds each input binding by name (the trigger
/// among them), <c>Metadata</c> the trigger's metadata (for a queue: DequeueCount, Id, InsertionTime, …).
/// </summary>
public sealed record FunctionInvocation(
    [property: JsonPropertyName("Data")] Dictionary<string, JsonElement>? Data,
    [property: JsonPropertyName("Metadata")] Dictionary<string, JsonElement>? Metadata)
{
    /// <summary>An input binding's value by name; binding names are case-insensitive.</summary>
    public bool TryGetData(string name, out JsonElement value) => TryGet(Data, name, out value);

    public bool TryGetMetadata(string name, out JsonElement value) => TryGet(Metadata, name, out value);

    private static bool TryGet(Dictionary<string, JsonElement>? values, string name, out JsonElement value)
    {
        foreach (var (key, element) in values ?? [])
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase) && element.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined))
            {
                value = element;
                return true;
            }
        }
        value = default;
        return false;
    }
}

/// <summary>
/// An HTTP trigger's request as the Functions host embeds it in <c>Data.req</c> (with proxying off). <c>Url</c> carries
/// the original path and query; <c>Body</c> is the body read as UTF-8 text, or Base64 bytes for
/// <c>application/octet-stream</c> and <c>multipart/*</c>; header values are arrays of strings. <c>Query</c>,
/// <c>Params</c> and <c>Identities</c> are not needed, because the URL and the app's own authentication cover them.
/// </summary>
public sealed record HttpTriggerRequest(
    [property: JsonPropertyName("Url")] string? Url,
    [property: JsonPropertyName("Method")] string? Method,
    [property: JsonPropertyName("Headers")] Dictionary<string, JsonElement>? Headers,
    [property: JsonPropertyName("Body")] JsonElement Body);

/// <summary>The handler's reply: outputs by binding name, lines for the invocation log, and the <c>$return</c> value.</summary>
public sealed record FunctionInvocationResult(
    [property: JsonPropertyName("Outputs")] IReadOnlyDictionary<string, HttpResponseOutput> Outputs,
    [property: JsonPropertyName("Logs")] IReadOnlyList<string> Logs,
    [property: JsonPropertyName("ReturnValue")] string? ReturnValue)
{
    public static FunctionInvocationResult Empty(params string[] logs) => new(new Dictionary<string, HttpResponseOutput>(), logs, null);
}

/// <summary>
/// An HTTP output binding's value. Newer Functions hosts require all four of statusCode, status, body and headers (and
/// a non-null body), so all four are always sent.
/// </summary>
public sealed record HttpResponseOutput(
    [property: JsonPropertyName("statusCode")] int StatusCode,
    [property: JsonPropertyName("status")] int Status,
    [property: JsonPropertyName("body")] string Body,
    [property: JsonPropertyName("headers")] IReadOnlyDictionary<string, string> Headers);

/// <summary>A queue trigger's metadata, as far as the handler uses it.</summary>
public sealed record QueueMessageMetadata(string? MessageId, long DequeueCount)
{
    public static QueueMessageMetadata From(FunctionInvocation invocation)
    {
        var id = invocation.TryGetMetadata("Id", out var idElement) && idElement.ValueKind == JsonValueKind.String ? idElement.GetString() : null;
        long count = 1;
        if (invocation.TryGetMetadata("DequeueCount", out var countElement))
        {
            if (countElement.ValueKind == JsonValueKind.Number && countElement.TryGetInt64(out var number))
            {
                count = number;
            }
            else if (countElement.ValueKind == JsonValueKind.String && long.TryParse(countElement.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                count = parsed;
            }
        }
        return new QueueMessageMetadata(id, count);
    }
}

/// <summary>
/// A timer tick from <c>Data.timer</c>: <c>{Schedule, ScheduleStatus:{Last, Next, LastUpdated}, IsPastDue}</c>. The shape is
/// not confirmed by the reference, so every field is optional.
/// </summary>
public sealed record TimerTick(bool IsPastDue, DateTimeOffset? Last, DateTimeOffset? Next)
{
    public static TimerTick From(FunctionInvocation invocation)
    {
        if (!invocation.TryGetData(TimerFunction.TriggerName, out var timer) || timer.ValueKind != JsonValueKind.Object)
        {
            return new TimerTick(false, null, null);
        }
        var pastDue = TryProperty(timer, "IsPastDue", out var due) && due.ValueKind == JsonValueKind.True;
        DateTimeOffset? last = null, next = null;
        if (TryProperty(timer, "ScheduleStatus", out var status) && status.ValueKind == JsonValueKind.Object)
        {
            last = ReadTime(status, "Last");
            next = ReadTime(status, "Next");
        }
        return new TimerTick(pastDue, last, next);
    }

    private static DateTimeOffset? ReadTime(JsonElement parent, string name) =>
        TryProperty(parent, name, out var value) && value.ValueKind == JsonValueKind.String && value.TryGetDateTimeOffset(out var time) ? time : null;

    private static bool TryProperty(JsonElement parent, string name, out JsonElement value)
    {
        foreach (var property in parent.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                value = property.Value;
                return true;
            }
        }
        value = default;
        return false;
    }
}

[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true, MaxDepth = 64)]
[JsonSerializable(typeof(FunctionInvocation))]
[JsonSerializable(typeof(HttpTriggerRequest))]
[JsonSerializable(typeof(FunctionInvocationResult))]
[JsonSerializable(typeof(string))]
public sealed partial class FunctionsJsonContext : JsonSerializerContext;
