using System.Net;
using System.Net.Sockets;
using Azure;
using Azure.Data.Tables;
using DurableTask.AzureStorage;
using Microsoft.AspNetCore.Http;

namespace Retention.Storage.Tests;

/// <summary>
/// The one storage-outage classifier: what waiting mends (no answer, timeouts, busy, server faults, DTFx's wrappers of
/// those) is an outage; the request's own faults, our bugs and a cancellation the caller asked for are not.
/// </summary>
public sealed class StorageFailuresClassifyOutages
{
    [Theory]
    [InlineData(0, true)] // no answer: the SDK's transport failure
    [InlineData(408, true)]
    [InlineData(429, true)]
    [InlineData(500, true)]
    [InlineData(503, true)]
    [InlineData(400, false)]
    [InlineData(403, false)]
    [InlineData(404, false)]
    [InlineData(409, false)]
    [InlineData(412, false)]
    public void AStorageAnswerIsAnOutageWhenWaitingCanMendIt(int status, bool outage)
    {
        Assert.Equal(outage, StorageFailures.IsOutage(new RequestFailedException(status, "answer")));
        Assert.Equal(outage, StorageFailures.IsOutage(DurableTaskStorageException(new RequestFailedException(status, "answer"))));
        Assert.Equal(outage, StorageFailures.IsOutage(new AggregateException(new RequestFailedException(status, "1"), new RequestFailedException(status, "2"))));
    }

    [Fact]
    public void TransportFailuresAndTimeoutsAreOutages()
    {
        Assert.True(StorageFailures.IsOutage(new HttpRequestException("connection refused", new SocketException((int)SocketError.ConnectionRefused))));
        Assert.True(StorageFailures.IsOutage(new SocketException((int)SocketError.ConnectionReset)));
        Assert.True(StorageFailures.IsOutage(new IOException("the response ended prematurely")));
        Assert.True(StorageFailures.IsOutage(new TimeoutException()));
        Assert.True(StorageFailures.IsOutage(DurableTaskStorageException(new HttpRequestException("refused"))));
    }

    [Fact]
    public void TheRequestsOwnFaultsOurBugsAndMixedFailuresAreNot()
    {
        Assert.False(StorageFailures.IsOutage(new BadHttpRequestException("body could not be read")));
        Assert.False(StorageFailures.IsOutage(new InvalidOperationException("a bug")));
        Assert.False(StorageFailures.IsOutage(new FormatException("bad data")));
        Assert.False(StorageFailures.IsOutage(new AggregateException()));
        Assert.False(StorageFailures.IsOutage(new AggregateException(new RequestFailedException(503, "busy"), new InvalidOperationException("a bug"))));
        Assert.False(StorageFailures.IsOutage(DurableTaskStorageException(new InvalidOperationException("a bug"))));
    }

    [Fact]
    public void ACancellationIsAnOutageOnlyWhenTheCallerDidNotAskForIt()
    {
        using var caller = new CancellationTokenSource();
        var timedOut = new TaskCanceledException("The operation was cancelled because it exceeded the configured timeout", new TimeoutException());
        Assert.True(StorageFailures.IsOutage(timedOut, caller.Token));
        caller.Cancel();
        Assert.False(StorageFailures.IsOutage(new OperationCanceledException(caller.Token), caller.Token));
        Assert.False(StorageFailures.IsOutage(new TaskCanceledException("cancelled", null, caller.Token), caller.Token));
    }

    [Fact]
    public async Task TheSdksOwnFailureWhenNothingListensIsAnOutage()
    {
        var table = new TableClient(new Uri($"http://127.0.0.1:{ClosedPort()}/devstoreaccount1/absent"), new TableClientOptions { Retry = { MaxRetries = 0 } });
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => table.GetAccessPoliciesAsync());
        Assert.True(StorageFailures.IsOutage(failure, CancellationToken.None), failure.ToString());
    }

    [Fact]
    public async Task TheSdksNetworkTimeoutIsAnOutageAndTheCallersCancellationIsNot()
    {
        // A server that accepts connections and never answers.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var accepted = new List<Socket>();
        _ = Task.Run(async () =>
        {
            while (true)
            {
                accepted.Add(await silent.AcceptSocketAsync());
            }
        });
        var uri = new Uri($"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}/devstoreaccount1/silent");

        var timingOut = new TableClient(uri, new TableClientOptions { Retry = { MaxRetries = 0, NetworkTimeout = TimeSpan.FromMilliseconds(200) } });
        using var caller = new CancellationTokenSource();
        var timeout = await Assert.ThrowsAnyAsync<Exception>(() => timingOut.GetAccessPoliciesAsync(caller.Token));
        Assert.True(StorageFailures.IsOutage(timeout, caller.Token), timeout.ToString());

        var waiting = new TableClient(uri, new TableClientOptions { Retry = { MaxRetries = 0, NetworkTimeout = TimeSpan.FromMinutes(10) } });
        var call = waiting.GetAccessPoliciesAsync(caller.Token);
        await caller.CancelAsync();
        var cancelled = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        Assert.False(StorageFailures.IsOutage(cancelled, caller.Token));
        silent.Stop();
    }

    /// <summary>DTFx's wrapper of a storage failure, as its Azure Storage backend throws it (the type is internal to DTFx).</summary>
    private static Exception DurableTaskStorageException(Exception inner)
    {
        var type = typeof(AzureStorageOrchestrationService).Assembly.GetType("DurableTask.AzureStorage.Storage.DurableTaskStorageException", throwOnError: true)!;
        return inner is RequestFailedException failed
            ? (Exception)Activator.CreateInstance(type, failed)!
            : (Exception)Activator.CreateInstance(type, "An error occurred while communicating with Azure Storage", inner)!;
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
