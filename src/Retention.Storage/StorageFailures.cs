using System.Net.Sockets;
using Azure;
using Microsoft.AspNetCore.Http;
using Retention.Core.Ports;

namespace Retention.Storage;

/// <summary>
/// The one answer to "is this a storage outage?", for everything that decides it: the ingest drain (retry the round
/// later), the 503 handler (tell the sender to retry), health (storage unreachable) and the runtime loops (wait and
/// try again). An outage is storage being down, busy or unreachable, which waiting mends; anything else is a fault of
/// the request or of our code and must not be hidden as one.
/// </summary>
public static class StorageFailures
{
    /// <summary>DTFx's Azure Storage backend, by name: the engine is Retention.Engine's, and this project does not reference it.</summary>
    private const string DurableTaskStorage = "DurableTask.AzureStorage";

    /// <param name="exception">What a storage call threw.</param>
    /// <param name="callerCancellation">
    /// The caller's own token: a cancellation it asked for (a request aborted, the host stopping) is not an outage,
    /// while any other cancellation is the SDK's network timeout, which is.
    /// </param>
    public static bool IsOutage(Exception exception, CancellationToken callerCancellation = default) => exception switch
    {
        AggregateException aggregate => aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.All(e => IsOutage(e, callerCancellation)),
        // 0: no answer at all (the SDK's transport failure); 408 timeout; 429 and 503 busy; other 5xx server faults.
        RequestFailedException failed => failed.Status is 0 or 408 or 429 or >= 500,
        BadHttpRequestException => false, // an IOException, but the request's own body failing to read, not storage
        HttpRequestException or SocketException or IOException or TimeoutException => true,
        OperationCanceledException => !callerCancellation.IsCancellationRequested,
        // DTFx wraps the SDK's exception in its own (DurableTaskStorageException, internal): judge what it wraps.
        { InnerException: { } inner } when exception.GetType().Assembly.GetName().Name == DurableTaskStorage => IsOutage(inner, callerCancellation),
        _ => false,
    };

    /// <summary>
    /// The store turned the call away as busy (429 too many requests, 503 server busy): an outage that asks its callers
    /// to send less, not only to wait (the ingest drain's pace halves on it).
    /// </summary>
    public static bool IsBusy(Exception exception) => exception switch
    {
        AggregateException aggregate => aggregate.InnerExceptions.Any(IsBusy),
        RequestFailedException failed => failed.Status is 429 or 503,
        { InnerException: { } inner } when exception.GetType().Assembly.GetName().Name == DurableTaskStorage => IsBusy(inner),
        _ => false,
    };
}

/// <summary><see cref="StorageFailures"/> as the port the application asks it through.</summary>
public sealed class StorageOutages : IStorageOutages
{
    public bool IsOutage(Exception exception, CancellationToken callerCancellation) => StorageFailures.IsOutage(exception, callerCancellation);

    public bool IsBusy(Exception exception) => StorageFailures.IsBusy(exception);
}
