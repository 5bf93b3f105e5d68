using System.Collections.Concurrent;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Retention.Testing;

/// <summary>Every request a storage client sends through this policy, as "METHOD uri".</summary>
public sealed class StorageRequests : HttpPipelineSynchronousPolicy
{
    private readonly ConcurrentQueue<string> _made = new();

    public IReadOnlyList<string> Made => [.. _made];

    public void Clear() => _made.Clear();

    public override void OnSendingRequest(HttpMessage message) => _made.Enqueue($"{message.Request.Method} {message.Request.Uri}");
}
