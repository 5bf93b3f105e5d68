using Retention.Application.Ingest;
using Retention.Storage.Ingest;

namespace Retention.Application.Tests;

/// <summary>
/// The drain's pace follows the storage's answer times: slow reads halve the customers applied at once (never below
/// one), prompt reads add one per window up to the setting, and no more lanes run than the pace allows.
/// </summary>
public sealed class DrainPaceFollowsTheStorage
{
    private static readonly TimeSpan Target = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan Prompt = TimeSpan.FromMilliseconds(3);
    private static readonly TimeSpan Slow = TimeSpan.FromMilliseconds(400);

    /// <summary>One full window of lanes, each answered in <paramref name="readTime"/>.</summary>
    private static async Task RunWindowAsync(DrainPace pace, TimeSpan readTime)
    {
        var lanes = pace.Limit;
        for (var i = 0; i < lanes; i++)
        {
            await pace.EnterAsync(CancellationToken.None);
        }
        for (var i = 0; i < lanes; i++)
        {
            pace.Exit(readTime);
        }
    }

    [Fact]
    public async Task SlowAnswersHalveTheLanesDownToOneAndPromptOnesAddOneAtATimeUpToTheSetting()
    {
        var pace = new DrainPace(maximum: 8, Target);
        Assert.Equal(4, pace.Limit); // a cautious start

        var grown = new List<int>();
        for (var i = 0; i < 6; i++)
        {
            await RunWindowAsync(pace, Prompt);
            grown.Add(pace.Limit);
        }
        Assert.Equal([5, 6, 7, 8, 8, 8], grown);

        var shrunk = new List<int>();
        for (var i = 0; i < 5; i++)
        {
            await RunWindowAsync(pace, Slow);
            shrunk.Add(pace.Limit);
        }
        Assert.Equal([4, 2, 1, 1, 1], shrunk);
    }

    [Fact]
    public async Task AWindowIsJudgedByItsMedianSoOneSlowReadDoesNotHalveIt()
    {
        var pace = new DrainPace(maximum: 8, Target);
        for (var i = 0; i < 4; i++)
        {
            await pace.EnterAsync(CancellationToken.None);
        }
        pace.Exit(Slow);
        pace.Exit(Prompt);
        pace.Exit(Prompt);
        pace.Exit(Prompt);
        Assert.Equal(5, pace.Limit);
    }

    [Fact]
    public async Task ALaneBeyondThePaceWaitsForAnotherToFinish()
    {
        var pace = new DrainPace(maximum: 8, Target);
        for (var i = 0; i < 4; i++)
        {
            await pace.EnterAsync(CancellationToken.None);
        }
        var fifth = pace.EnterAsync(CancellationToken.None).AsTask();
        Assert.False(fifth.IsCompleted);

        pace.Exit(readTime: null); // a lane that failed before its read: it frees its turn and judges nothing
        await fifth.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(4, pace.Limit);
    }

    [Fact]
    public async Task AWaitingLaneCanBeCancelledAndItsTurnGoesToTheNext()
    {
        var pace = new DrainPace(maximum: 1, Target);
        await pace.EnterAsync(CancellationToken.None);
        using var stop = new CancellationTokenSource();
        var cancelled = pace.EnterAsync(stop.Token).AsTask();
        var next = pace.EnterAsync(CancellationToken.None).AsTask();
        stop.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);

        pace.Exit(Prompt);
        await next.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void ASmallerSettingTakesEffectAtOnce()
    {
        var pace = new DrainPace(maximum: 32, Target);
        pace.Resize(2);
        Assert.Equal(2, pace.Limit);
    }
}
