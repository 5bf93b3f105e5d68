using System.Text.Json;
using Retention.Core.Definitions;
using Retention.Host.Composition;
using Retention.Storage.Engine;
using Retention.Storage.Work;

namespace Retention.Host.Functions;

/// <summary>
/// A queue trigger in custom-handler mode: the Functions host received the message (Base64-decoded, per host.json) and
/// owns its lease, retries and poison queue. We do the work and reply 2xx, and the host deletes the message; or we reply
/// non-2xx, and the host makes it visible again after <c>visibilityTimeout</c>, and moves it to
/// <c>&lt;queue&gt;-poison</c> after <c>maxDequeueCount</c> attempts. A message that is not a work message fails every
/// time, so it ends up there too, where <c>GET /api/operations/poison</c> shows it.
/// </summary>
public sealed class QueueTriggerHandler(WorkHandler work, QueueOptions queueOptions, CatalogFreshness catalog, ILogger<QueueTriggerHandler> logger)
{
    public async Task<IResult> HandleAsync(QueueFunction function, FunctionInvocation invocation, CancellationToken cancellationToken)
    {
        var metadata = QueueMessageMetadata.From(invocation);
        var pointer = $"/Data/{QueueFunction.TriggerName}";
        if (!invocation.TryGetData(QueueFunction.TriggerName, out var data))
        {
            logger.UndecodableWork(function.Name, metadata.MessageId, metadata.DequeueCount, "no message");
            return Problems.Validation([new DefinitionError(pointer, "the queue message is missing")], "The invocation carries no queue message");
        }
        if (WorkMessageText.Read(data) is not { } message)
        {
            logger.UndecodableWork(function.Name, metadata.MessageId, metadata.DequeueCount, "not a work message");
            return Problems.Validation([new DefinitionError(pointer, "the queue message is not a work message")], "The queue message cannot be read");
        }
        await catalog.EnsureFreshAsync(cancellationToken);
        var kind = message.GetType().Name;
        try
        {
            var outcome = await work.HandleAsync(message, cancellationToken);
            return TypedResults.Json(FunctionInvocationResult.Empty($"{kind}: {outcome}"), FunctionsJsonContext.Default.FunctionInvocationResult);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            var lastAttempt = metadata.DequeueCount >= queueOptions.MaxDequeueCount;
            logger.WorkInvocationFailed(e, function.Name, kind, metadata.MessageId, metadata.DequeueCount, lastAttempt);
            return Problems.Of(
                StatusCodes.Status500InternalServerError,
                "The work failed",
                lastAttempt
                    ? $"Attempt {metadata.DequeueCount} failed ({e.GetType().Name}); the Functions host moves the message to its poison queue."
                    : $"Attempt {metadata.DequeueCount} of {queueOptions.MaxDequeueCount} failed ({e.GetType().Name}); the Functions host retries it.");
        }
    }
}

/// <summary>
/// Reads a work message from <c>Data.msg</c>. The documentation shows the message text as a JSON string; the host's
/// source serialises a string input once more, giving a JSON string whose content is itself a JSON string literal;
/// a host that parsed the JSON may hand over the object itself. All three are accepted.
/// </summary>
public static class WorkMessageText
{
    private const int MaxUnwrap = 2;

    public static WorkMessage? Read(JsonElement data)
    {
        switch (data.ValueKind)
        {
            case JsonValueKind.Object:
                return WorkQueue.Deserialize(data.GetRawText());
            case JsonValueKind.String:
                var text = data.GetString() ?? "";
                for (var unwrap = 0; ; unwrap++)
                {
                    if (WorkQueue.Deserialize(text) is { } message)
                    {
                        return message;
                    }
                    if (unwrap == MaxUnwrap || Unquote(text) is not { } inner)
                    {
                        return null;
                    }
                    text = inner;
                }
            default:
                return null;
        }
    }

    /// <summary>The content of a JSON string literal, or null when the text is not one.</summary>
    private static string? Unquote(string text)
    {
        var trimmed = text.AsSpan().Trim();
        if (trimmed.Length < 2 || trimmed[0] != '"')
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize(trimmed, FunctionsJsonContext.Default.String);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
