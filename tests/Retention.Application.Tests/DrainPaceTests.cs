using Azure;
using Microsoft.Extensions.Time.Testing;
using Retention.Application.Ingest;
using Retention.Storage;

namespace Retention.Application.Tests;

/// <summary>
/// The drain's pace follows the store's own signals: busy answers (429, 503) halve the customers applied at once, once
/// per generation and never below one; reads much slower than the store's recent baseline halve them; anything else
/// adds one per window up to the setting, so a store that is steadily slow keeps full parallelism. The store is
/// simulated at the pace's seam (answer times and busy answers we cannot produce on demand from a real store), its
/// clock is a <see cref="FakeTimeProvider"/> moved 100 ms per window.
/// </summary>
public sealed class DrainPaceFollowsTheStore
{
    private const int Maximum = 32;
    private static readonly TimeSpan WindowTime = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Prompt = TimeSpan.FromMilliseconds(3);

    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-12-07T08:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    private DrainPace NewPace(int maximum = Maximum) => new(maximum, slowdown: 3, _time);

    /// <summary>
    /// One window: turns as many at once as the pace allows, each answered by <paramref name="store"/> (given the lanes
    /// in flight), until the pace has judged (its limit moved) or a full window of reads is in.
    /// </summary>
    private async Task<int> RunWindowAsync(DrainPace pace, Func<int, StoreAnswer> store)
    {
        var before = pace.Limit;
        var reads = 0;
        while (reads < Math.Max(before, DrainPace.MinimumWindow) && pace.Limit == before)
        {
            var lanes = pace.Limit;
            var turns = new List<DrainTurn>();
            for (var i = 0; i < lanes; i++)
            {
                turns.Add(await pace.EnterAsync(CancellationToken.None));
            }
            foreach (var turn in turns)
            {
                pace.Exit(turn, store(lanes));
            }
            reads += lanes;
        }
        _time.Advance(WindowTime);
        return pace.Limit;
    }

    private async Task<List<int>> RunWindowsAsync(DrainPace pace, int windows, Func<int, StoreAnswer> store)
    {
        var limits = new List<int>();
        for (var i = 0; i < windows; i++)
        {
            limits.Add(await RunWindowAsync(pace, store));
        }
        return limits;
    }

    [Fact]
    public async Task AStoreWithASteady30MsLatencyKeepsFullParallelism()
    {
        var pace = NewPace();
        Assert.Equal(4, pace.Limit); // a cautious start

        // 1,000 windows are 100 s of the store's clock: the baseline expires and is learnt again several times.
        var limits = await RunWindowsAsync(pace, 1_000, _ => StoreAnswer.Read(TimeSpan.FromMilliseconds(30)));

        Assert.Equal(Enumerable.Range(5, Maximum - 4), limits.Take(Maximum - 4));
        Assert.All(limits.Skip(Maximum - 4), limit => Assert.Equal(Maximum, limit));
    }

    [Fact]
    public async Task BusyAnswersHalveTheLanesOncePerGenerationDownToOne()
    {
        var pace = NewPace();
        await RunWindowsAsync(pace, Maximum, _ => StoreAnswer.Read(Prompt));
        Assert.Equal(Maximum, pace.Limit);

        // Every turn of a window answered busy: the turns sent at the old pace halve it once, not once each.
        var limits = await RunWindowsAsync(pace, 7, _ => StoreAnswer.ServerBusy);

        Assert.Equal([16, 8, 4, 2, 1, 1, 1], limits);
    }

    [Fact]
    public async Task ABusyAnswerToATurnOfTheNewPaceHalvesItAgain()
    {
        var pace = NewPace(maximum: 8);
        var old = await pace.EnterAsync(CancellationToken.None);
        var older = await pace.EnterAsync(CancellationToken.None);
        pace.Exit(old, StoreAnswer.ServerBusy);
        Assert.Equal(2, pace.Limit);
        pace.Exit(older, StoreAnswer.ServerBusy); // sent before the back-off: already accounted for
        Assert.Equal(2, pace.Limit);

        var fresh = await pace.EnterAsync(CancellationToken.None);
        pace.Exit(fresh, StoreAnswer.ServerBusy);
        Assert.Equal(1, pace.Limit);
    }

    [Fact]
    public async Task AfterBusyAnswersStopTheLanesGrowBackOneAWindow()
    {
        var pace = NewPace(maximum: 8);
        await RunWindowsAsync(pace, 3, _ => StoreAnswer.ServerBusy);
        Assert.Equal(1, pace.Limit);

        Assert.Equal([2, 3, 4, 5, 6, 7, 8, 8], await RunWindowsAsync(pace, 8, _ => StoreAnswer.Read(Prompt)));
    }

    [Fact]
    public async Task AStoreWhereTheDrainsOwnLoadQueuesKeepsTheLanesWellBelowTheMaximum()
    {
        // Like the emulator: one core, so each lane in flight adds to every answer.
        static StoreAnswer Queueing(int lanes) => StoreAnswer.Read(TimeSpan.FromMilliseconds(2 + 3 * lanes));
        var pace = NewPace();

        // 3,000 windows are 5 minutes of the store's clock, many times the baseline's memory.
        var limits = await RunWindowsAsync(pace, 3_000, Queueing);

        Assert.True(limits.Max() < Maximum / 2, $"at most {limits.Max()} lanes");
        Assert.True(limits.Skip(2_000).Max() < Maximum / 2, $"late on at most {limits.Skip(2_000).Max()} lanes: the baseline did not creep up");
        Assert.True(limits.Skip(2_000).Min() > 1, "and not down to one lane: the store keeps up with a few");
    }

    [Fact]
    public async Task AStoreThatBecameSlowerForGoodIsJudgedByItsNewPace()
    {
        var pace = NewPace();
        await RunWindowsAsync(pace, Maximum, _ => StoreAnswer.Read(TimeSpan.FromMilliseconds(2)));
        Assert.Equal(Maximum, pace.Limit);

        // Five times slower, whatever the load: at first that looks like queueing, then the old baseline expires.
        var limits = await RunWindowsAsync(pace, 1_000, _ => StoreAnswer.Read(TimeSpan.FromMilliseconds(10)));

        Assert.True(limits.Min() < Maximum, "the slowdown is first taken for the drain's own load");
        Assert.All(limits.TakeLast(100), limit => Assert.Equal(Maximum, limit));
    }

    [Fact]
    public async Task AWindowIsJudgedByItsMedianSoOneSlowReadDoesNotHalveIt()
    {
        var pace = NewPace(maximum: 8);
        await RunWindowAsync(pace, _ => StoreAnswer.Read(Prompt)); // a baseline
        Assert.Equal(5, pace.Limit);
        for (var i = 0; i < DrainPace.MinimumWindow; i++)
        {
            var turn = await pace.EnterAsync(CancellationToken.None);
            pace.Exit(turn, StoreAnswer.Read(i == 0 ? TimeSpan.FromMilliseconds(400) : Prompt));
        }
        Assert.Equal(6, pace.Limit);
    }

    [Fact]
    public async Task AStoreWhoseReadsJitterGetsFullParallelismBackAfterABackOff()
    {
        // Reads from 2 to 20 ms at random and one in ten a 200 ms stall, however many lanes are in flight: the store
        // has room to spare, and its jitter is no sign of the drain's own load. Judged one read at a time, a few lanes
        // never saw a "median" within three times the luckiest read of the last 30 s, and stayed few.
        var random = new Random(20261207);
        StoreAnswer Jittery(int lanes) => StoreAnswer.Read(random.NextDouble() < 0.1
            ? TimeSpan.FromMilliseconds(200)
            : TimeSpan.FromMilliseconds(2 + 18 * random.NextDouble()));
        var pace = NewPace();
        await RunWindowsAsync(pace, 3, _ => StoreAnswer.ServerBusy);
        Assert.Equal(1, pace.Limit); // a back-off, then the store has room again

        var limits = await RunWindowsAsync(pace, 1_000, Jittery);

        var settled = limits.Skip(100).ToList();
        Assert.True(settled.Count(limit => limit == Maximum) >= settled.Count * 9 / 10,
            $"at the maximum in {settled.Count(limit => limit == Maximum)} of {settled.Count} windows; lowest {settled.Min()}");
    }

    [Fact]
    public async Task ALaneBeyondThePaceWaitsForAnotherToFinish()
    {
        var pace = NewPace(maximum: 8);
        var turns = new List<DrainTurn>();
        for (var i = 0; i < 4; i++)
        {
            turns.Add(await pace.EnterAsync(CancellationToken.None));
        }
        var fifth = pace.EnterAsync(CancellationToken.None).AsTask();
        Assert.False(fifth.IsCompleted);

        pace.Exit(turns[0], StoreAnswer.None); // a lane that failed before its read: it frees its turn and judges nothing
        await fifth.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(4, pace.Limit);
    }

    [Fact]
    public async Task AWaitingLaneCanBeCancelledAndItsTurnGoesToTheNext()
    {
        var pace = NewPace(maximum: 1);
        var first = await pace.EnterAsync(CancellationToken.None);
        using var stop = new CancellationTokenSource();
        var cancelled = pace.EnterAsync(stop.Token).AsTask();
        var next = pace.EnterAsync(CancellationToken.None).AsTask();
        stop.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);

        pace.Exit(first, StoreAnswer.Read(Prompt));
        await next.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void ASmallerSettingTakesEffectAtOnce()
    {
        var pace = NewPace();
        pace.Resize(2);
        Assert.Equal(2, pace.Limit);
    }

    [Theory]
    [InlineData(429, true)]
    [InlineData(503, true)]
    [InlineData(500, false)]
    [InlineData(404, false)]
    public void OnlyTooManyRequestsAndServerBusyAskTheDrainToSlowDown(int status, bool busy)
    {
        var error = new RequestFailedException(status, "the store's answer");
        Assert.Equal(busy, StorageFailures.IsBusy(error));
        Assert.Equal(busy, StorageFailures.IsBusy(new AggregateException(error)));
    }
}
