using System.Net;
using Azure.Core;
using Azure.Core.Pipeline;
using Microsoft.Extensions.Time.Testing;

namespace Retention.Engine.Tests;

/// <summary>
/// The idle queue's long polling, on virtual time, against a queue service that never has a message: a receive after an
/// empty one waits for the idle interval, for a timer message's visible time, or for a put of this process, whichever is first.
/// </summary>
public sealed class IdleQueuePollingTests
{
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan Generous = TimeSpan.FromMinutes(1); // a stuck receive fails the test rather than hang it

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 7, 9, 0, 0, TimeSpan.Zero));
    private readonly HttpPipeline _pipeline;

    public IdleQueuePollingTests() =>
        _pipeline = new HttpPipeline(new HttpClientTransport(new HttpClient(new EmptyQueues())), [new IdleQueuePolling(Idle, _time)]);

    [Fact]
    public async Task AReceiveAfterAnEmptyOneWaitsForTheIdleIntervalThenGoes()
    {
        await ReceiveAsync("hub-control-00").WaitAsync(Generous); // the first goes at once

        var second = ReceiveAsync("hub-control-00");
        _time.Advance(Idle - TimeSpan.FromSeconds(1));
        await Task.Yield();
        Assert.False(second.IsCompleted);

        _time.Advance(TimeSpan.FromSeconds(1));
        await second.WaitAsync(Generous);
    }

    [Fact]
    public async Task AHeldReceiveGoesAtOnceWhenThisProcessPutsAMessage()
    {
        await ReceiveAsync("hub-control-01").WaitAsync(Generous);
        var held = ReceiveAsync("hub-control-01");
        await ReceiveAsync("hub-workitems").WaitAsync(Generous);

        await PutAsync("hub-workitems", visibilitySeconds: null); // another queue's put wakes nothing here
        await Task.Yield();
        Assert.False(held.IsCompleted);

        await PutAsync("hub-control-01", visibilitySeconds: null);
        await held.WaitAsync(Generous);
    }

    [Fact]
    public async Task AHeldReceiveGoesWhenATimerMessageBecomesVisibleNotBefore()
    {
        await ReceiveAsync("hub-control-02").WaitAsync(Generous);
        await PutAsync("hub-control-02", visibilitySeconds: 5);
        var held = ReceiveAsync("hub-control-02");

        _time.Advance(TimeSpan.FromSeconds(4));
        await Task.Yield();
        Assert.False(held.IsCompleted);

        _time.Advance(TimeSpan.FromSeconds(1));
        await held.WaitAsync(Generous);
    }

    private Task ReceiveAsync(string queue) => SendAsync(RequestMethod.Get, $"http://127.0.0.1:10001/devstoreaccount1/{queue}/messages?numofmessages=32&visibilitytimeout=30");

    private Task PutAsync(string queue, int? visibilitySeconds) =>
        SendAsync(RequestMethod.Post, $"http://127.0.0.1:10001/devstoreaccount1/{queue}/messages" + (visibilitySeconds is { } s ? $"?visibilitytimeout={s}" : ""));

    private async Task SendAsync(RequestMethod method, string uri)
    {
        using var message = _pipeline.CreateMessage();
        message.Request.Method = method;
        message.Request.Uri.Reset(new Uri(uri));
        await _pipeline.SendAsync(message, CancellationToken.None);
    }

    /// <summary>A queue service whose queues are always empty: receives answer an empty list, puts are accepted.</summary>
    private sealed class EmptyQueues : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(request.Method == HttpMethod.Get
                ? new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("<?xml version=\"1.0\" encoding=\"utf-8\"?><QueueMessagesList />") }
                : new HttpResponseMessage(HttpStatusCode.Created) { Content = new StringContent("") });
    }
}
