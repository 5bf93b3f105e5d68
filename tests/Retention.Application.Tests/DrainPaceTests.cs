using Azure;
using Retention.Application.Ingest;
using Retention.Storage;

namespace Retention.Application.Tests;

/// <summary>
/// The drain's pace follows the store's own back-pressure: busy answers (429, 503) halve the customers applied at once,
/// once per generation and never below one; every window of answers adds one, up to the setting, however long the
/// store takes to answer. The store is simulated at the pace's seam (busy answers we cannot produce on demand from a
/// real store).
/// </summary>
public sealed class DrainPaceFollowsTheStore
{
    private const int Maximum = 32;

    private static DrainPace NewPace(int maximum = Maximum) => new(maximum);

    /// <summary>One window: as many lanes as the pace allows, each answered with <paramref name="answer"/>.</summary>
    private static async Task<int> RunWindowAsync(DrainPace pace, StoreAnswer answer)
    {
        var lanes = pace.Limit;
        var turns = new List<DrainTurn>();
        for (var i = 0; i < lanes; i++)
        {
            turns.Add(await pace.EnterAsync(CancellationToken.None));
        }
        foreach (var turn in turns)
        {
            pace.Exit(turn, answer);
        }
        return pace.Limit;
    }

    private static async Task<List<int>> RunWindowsAsync(DrainPace pace, int windows, StoreAnswer answer)
    {
        var limits = new List<int>();
        for (var i = 0; i < windows; i++)
        {
            limits.Add(await RunWindowAsync(pace, answer));
        }
        return limits;
    }

    [Fact]
    public async Task AStoreThatAnswersHoweverSlowlyGetsFullParallelism()
    {
        // Answer times are no signal: an Azure account answers a point read in 30 ms as a matter of course, and a
        // machine whose cores other work shares makes every answer slow and uneven. The pace never sees them.
        var pace = NewPace();
        Assert.Equal(4, pace.Limit); // a cautious start

        var limits = await RunWindowsAsync(pace, 100, StoreAnswer.Answered);

        Assert.Equal(Enumerable.Range(5, Maximum - 4), limits.Take(Maximum - 4));
        Assert.All(limits.Skip(Maximum - 4), limit => Assert.Equal(Maximum, limit));
    }

    [Fact]
    public async Task BusyAnswersHalveTheLanesOncePerGenerationDownToOne()
    {
        var pace = NewPace();
        await RunWindowsAsync(pace, Maximum, StoreAnswer.Answered);
        Assert.Equal(Maximum, pace.Limit);

        // Every turn of a window answered busy: the turns sent at the old pace halve it once, not once each.
        var limits = await RunWindowsAsync(pace, 7, StoreAnswer.Busy);

        Assert.Equal([16, 8, 4, 2, 1, 1, 1], limits);
    }

    [Fact]
    public async Task ABusyAnswerToATurnOfTheNewPaceHalvesItAgain()
    {
        var pace = NewPace(maximum: 8);
        var old = await pace.EnterAsync(CancellationToken.None);
        var older = await pace.EnterAsync(CancellationToken.None);
        pace.Exit(old, StoreAnswer.Busy);
        Assert.Equal(2, pace.Limit);
        pace.Exit(older, StoreAnswer.Busy); // sent before the back-off: already accounted for
        Assert.Equal(2, pace.Limit);

        var fresh = await pace.EnterAsync(CancellationToken.None);
        pace.Exit(fresh, StoreAnswer.Busy);
        Assert.Equal(1, pace.Limit);
    }

    [Fact]
    public async Task AfterBusyAnswersStopTheLanesGrowBackOneAWindow()
    {
        var pace = NewPace(maximum: 8);
        await RunWindowsAsync(pace, 3, StoreAnswer.Busy);
        Assert.Equal(1, pace.Limit);

        Assert.Equal([2, 3, 4, 5, 6, 7, 8, 8], await RunWindowsAsync(pace, 8, StoreAnswer.Answered));
    }

    [Fact]
    public async Task TurnsThatEndedBeforeTheStoreAnsweredAddNoLane()
    {
        var pace = NewPace(maximum: 8);

        Assert.Equal([4, 4, 4], await RunWindowsAsync(pace, 3, StoreAnswer.None));
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

        pace.Exit(first, StoreAnswer.Answered);
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
