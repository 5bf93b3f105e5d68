using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Retention.Testing;

namespace Retention.Storage.Tests.Emulator;

/// <summary>
/// The queue calls the project's emulator patch touches (every call clears expired messages first; the message
/// collection has no indices) still answer as Azure Storage does: expiry, visibility, order, isolation, pop receipts.
/// </summary>
public sealed class EmulatorQueueAnswers
{
    private static async Task<QueueClient> QueueAsync()
    {
        var queue = new QueueServiceClient(TestStorage.ConnectionString).GetQueueClient("emu-" + Guid.NewGuid().ToString("N"));
        await queue.CreateAsync();
        return queue;
    }

    [Fact]
    public async Task AnExpiredMessageIsGoneAndALiveOneStays()
    {
        var queue = await QueueAsync();
        var other = await QueueAsync();
        await queue.SendMessageAsync("lives", timeToLive: TimeSpan.FromSeconds(-1));
        Assert.Equal("lives", Assert.Single((await queue.PeekMessagesAsync(32)).Value).MessageText); // a sweep with nothing to expire
        // Sent after it, to this queue and another: the emulator sweeps when the earliest expiry has come, for every queue.
        await queue.SendMessageAsync("expires", timeToLive: TimeSpan.FromSeconds(1));
        await other.SendMessageAsync("expires too", timeToLive: TimeSpan.FromSeconds(2));

        // Expiry takes real time: wait until the short-lived messages no longer show, asking this queue only.
        var remaining = await Progress.WaitAsync("the short-lived message expires",
            async () => string.Join(",", (await queue.PeekMessagesAsync(32)).Value.Select(m => m.MessageText)),
            texts => !texts.Contains("expires", StringComparison.Ordinal));
        await Progress.WaitAsync("the other queue's message expires", async () => (await other.PeekMessagesAsync(32)).Value.Length, count => count == 0);

        Assert.Equal("lives", remaining);
        var received = Assert.Single((await queue.ReceiveMessagesAsync(32)).Value);
        Assert.Equal("lives", received.MessageText);
        Assert.Empty((await other.ReceiveMessagesAsync(32)).Value);
    }

    [Fact]
    public async Task AHiddenMessageStaysHiddenUntilItsVisibilityChanges()
    {
        var queue = await QueueAsync();
        var sent = (await queue.SendMessageAsync("timer", visibilityTimeout: TimeSpan.FromHours(1), timeToLive: TimeSpan.FromSeconds(-1))).Value;

        Assert.Empty((await queue.ReceiveMessagesAsync(32)).Value);
        Assert.Empty((await queue.PeekMessagesAsync(32)).Value);

        var revealed = (await queue.UpdateMessageAsync(sent.MessageId, sent.PopReceipt, visibilityTimeout: TimeSpan.Zero)).Value;
        var first = Assert.Single((await queue.ReceiveMessagesAsync(32, visibilityTimeout: TimeSpan.FromHours(1))).Value);
        Assert.Equal(sent.MessageId, first.MessageId);
        Assert.Equal(1, first.DequeueCount);
        Assert.NotEqual(revealed.PopReceipt, first.PopReceipt);
        Assert.Empty((await queue.ReceiveMessagesAsync(32)).Value);

        // A receive's own visibility timeout hides the message, and it comes back when that runs out.
        await queue.UpdateMessageAsync(first.MessageId, first.PopReceipt, visibilityTimeout: TimeSpan.FromSeconds(1));
        var again = await Progress.WaitAsync("the message comes back after its visibility timeout",
            async () => (await queue.ReceiveMessagesAsync(32)).Value.ToArray(), messages => messages.Length > 0);
        var back = Assert.Single(again);
        Assert.Equal(sent.MessageId, back.MessageId);
        Assert.Equal(2, back.DequeueCount);

        await queue.DeleteMessageAsync(back.MessageId, back.PopReceipt);
        Assert.Empty((await queue.PeekMessagesAsync(32)).Value);
    }

    [Fact]
    public async Task MessagesComeInOrderFromTheirOwnQueueBesideManyHiddenOnes()
    {
        var work = await QueueAsync();
        var timers = await QueueAsync();
        await SendHiddenAsync(timers, "t", 200, TimeSpan.FromHours(1));
        for (var i = 0; i < 40; i++)
        {
            await work.SendMessageAsync($"w{i:D2}", timeToLive: TimeSpan.FromSeconds(-1));
        }

        var firstBatch = (await work.ReceiveMessagesAsync(32)).Value;
        var secondBatch = (await work.ReceiveMessagesAsync(32)).Value;

        Assert.Equal(Enumerable.Range(0, 32).Select(i => $"w{i:D2}"), firstBatch.Select(m => m.MessageText));
        Assert.Equal(Enumerable.Range(32, 8).Select(i => $"w{i:D2}"), secondBatch.Select(m => m.MessageText));
        Assert.Empty((await timers.ReceiveMessagesAsync(32)).Value);
        foreach (var message in firstBatch.Concat(secondBatch))
        {
            await work.DeleteMessageAsync(message.MessageId, message.PopReceipt);
        }
        Assert.Empty((await work.PeekMessagesAsync(32)).Value);
        Assert.Equal(200, (await timers.GetPropertiesAsync()).Value.ApproximateMessagesCount);
    }

    /// <summary>
    /// Receives and peeks answer in visible-time order, then in the order messages were sent, whatever moved them: a
    /// visibility update that hides or reveals, a receive that hides, a delete, another queue's messages beside them.
    /// </summary>
    [Fact]
    public async Task MessagesBecomeVisibleInTheOrderTheirVisibilityWasSetAndSendOrderBreaksTies()
    {
        var queue = await QueueAsync();
        var other = await QueueAsync();
        await SendHiddenAsync(other, "o", 100, TimeSpan.FromHours(1));
        var sent = new List<SendReceipt>();
        for (var i = 0; i < 6; i++)
        {
            sent.Add((await queue.SendMessageAsync($"m{i}", timeToLive: TimeSpan.FromSeconds(-1))).Value);
        }
        async Task<string> PeekAsync() => string.Join(",", (await queue.PeekMessagesAsync(32)).Value.Select(m => m.MessageText));

        var hidden1 = (await queue.UpdateMessageAsync(sent[1].MessageId, sent[1].PopReceipt, visibilityTimeout: TimeSpan.FromHours(1))).Value;
        var hidden3 = (await queue.UpdateMessageAsync(sent[3].MessageId, sent[3].PopReceipt, visibilityTimeout: TimeSpan.FromHours(1))).Value;
        Assert.Equal("m0,m2,m4,m5", await PeekAsync());
        var taken = (await queue.ReceiveMessagesAsync(2, visibilityTimeout: TimeSpan.FromHours(1))).Value;
        Assert.Equal(["m0", "m2"], taken.Select(m => m.MessageText));
        Assert.Equal("m4,m5", await PeekAsync());

        // Revealed out of send order: m3 now, m1 a second later, so each comes back after those sent before, m3 first.
        await queue.UpdateMessageAsync(sent[3].MessageId, hidden3.PopReceipt, visibilityTimeout: TimeSpan.Zero);
        await queue.UpdateMessageAsync(sent[1].MessageId, hidden1.PopReceipt, visibilityTimeout: TimeSpan.FromSeconds(1));
        Assert.Equal("m4,m5,m3,m1", await Progress.WaitAsync("m1 comes back", PeekAsync, texts => texts.Split(',').Length == 4));
        await queue.DeleteMessageAsync(sent[4].MessageId, sent[4].PopReceipt);
        var received = (await queue.ReceiveMessagesAsync(32, visibilityTimeout: TimeSpan.FromHours(1))).Value;
        Assert.Equal(["m5", "m3", "m1"], received.Select(m => m.MessageText));
        Assert.Equal("", await PeekAsync());
        Assert.Empty((await other.ReceiveMessagesAsync(32)).Value);
        Assert.Equal(100, (await other.GetPropertiesAsync()).Value.ApproximateMessagesCount);
    }

    /// <summary>Sends <paramref name="count"/> messages (<paramref name="prefix"/> and a number) hidden for <paramref name="hidden"/>, as pending durable timers are.</summary>
    private static async Task SendHiddenAsync(QueueClient queue, string prefix, int count, TimeSpan hidden)
    {
        for (var i = 0; i < count; i++)
        {
            await queue.SendMessageAsync($"{prefix}{i}", visibilityTimeout: hidden, timeToLive: TimeSpan.FromSeconds(-1));
        }
    }

    [Fact]
    public async Task ADeleteNeedsTheCurrentPopReceiptAndAnExistingMessage()
    {
        var queue = await QueueAsync();
        var sent = (await queue.SendMessageAsync("m", timeToLive: TimeSpan.FromSeconds(-1))).Value;
        var received = Assert.Single((await queue.ReceiveMessagesAsync(1)).Value);

        var stale = await Assert.ThrowsAsync<RequestFailedException>(() => queue.DeleteMessageAsync(sent.MessageId, sent.PopReceipt));
        Assert.Equal(400, stale.Status);
        await queue.DeleteMessageAsync(received.MessageId, received.PopReceipt);
        var gone = await Assert.ThrowsAsync<RequestFailedException>(() => queue.DeleteMessageAsync(received.MessageId, received.PopReceipt));
        Assert.Equal(404, gone.Status);
    }
}
