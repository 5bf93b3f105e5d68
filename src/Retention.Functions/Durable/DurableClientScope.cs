using Microsoft.DurableTask.Client;

namespace Retention.Functions.Durable;

/// <summary>
/// The Durable client of the function invocation running now. The Functions Durable extension hands a
/// <see cref="DurableTaskClient"/> to a function only as a <c>[DurableClient]</c> binding parameter (there is no client in
/// the worker's services: azure-functions-durable-extension#2736), while the product's services reach the engine through
/// the singleton <see cref="Retention.Journeys.IJourneyInstances"/>. Each function that may start or signal instances
/// binds the client and runs its work inside <see cref="Use"/>; <see cref="FunctionsJourneyInstances"/> reads it here.
/// </summary>
public sealed class DurableClientScope
{
    private readonly AsyncLocal<DurableTaskClient?> _current = new();

    public DurableTaskClient Current => _current.Value ?? throw new InvalidOperationException(
        "No Durable client in this invocation: the function must bind [DurableClient] and run its work in DurableClientScope.Use.");

    /// <summary>Makes <paramref name="client"/> the engine for the rest of this async flow.</summary>
    public Task<T> Use<T>(DurableTaskClient client, Func<Task<T>> work)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(work);
        return RunAsync(client, work);
    }

    private async Task<T> RunAsync<T>(DurableTaskClient client, Func<Task<T>> work)
    {
        // An async method restores the caller's AsyncLocal values when it returns, so the client never leaks out.
        _current.Value = client;
        return await work();
    }
}
