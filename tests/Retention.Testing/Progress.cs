using System.Diagnostics;
using Xunit;

namespace Retention.Testing;

/// <summary>
/// Waits on the real engine by progress, not by a wall-clock deadline: keep waiting while what is observed keeps
/// changing, and fail only when it has not changed for a stall period, which a busy machine slows but does not reach.
/// </summary>
public static class Progress
{
    /// <summary>
    /// Longer than anything the engine legitimately sits still for on default settings (a partition lease or a
    /// message's visibility timeout, 30 s each), with room for a loaded 2-core machine.
    /// </summary>
    public static readonly TimeSpan Stall = TimeSpan.FromSeconds(120);

    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Polls <paramref name="observe"/> until <paramref name="done"/> holds and returns that observation. Any change in
    /// the observation (compared by value: use a record or tuple of counts) counts as progress. After a stall it
    /// fails with <paramref name="what"/>, the last observation and, if given, what <paramref name="describe"/> says.
    /// A transport error while polling is no observation (the host may be starting).
    /// </summary>
    public static async Task<T> WaitAsync<T>(
        string what,
        Func<Task<T>> observe,
        Func<T, bool> done,
        TimeSpan? stall = null,
        Func<T, Task<string>>? describe = null)
    {
        var patience = stall ?? Stall;
        var sinceProgress = Stopwatch.StartNew();
        var total = Stopwatch.StartNew();
        var seen = false;
        T last = default!;
        while (true)
        {
            T current;
            try
            {
                current = await observe();
            }
            catch (HttpRequestException) when (sinceProgress.Elapsed < patience)
            {
                await Task.Delay(Poll);
                continue;
            }
            if (done(current))
            {
                return current;
            }
            if (!seen || !EqualityComparer<T>.Default.Equals(current, last))
            {
                (seen, last) = (true, current);
                sinceProgress.Restart();
            }
            if (sinceProgress.Elapsed >= patience)
            {
                var details = describe is null ? "" : "\n" + await describe(current);
                Assert.Fail($"{what}: no progress for {patience.TotalSeconds:0} s (waited {total.Elapsed.TotalSeconds:0} s in all); last seen {current}{details}");
            }
            await Task.Delay(Poll);
        }
    }

    /// <summary>
    /// Waits until what <paramref name="observe"/> reads over HTTP (an instance, an outbox; null while absent) satisfies
    /// <paramref name="done"/>, and returns it. Any change in what is read counts as progress: an instance's history
    /// growing, its status or timer moving, a message arriving.
    /// </summary>
    public static async Task<T> UntilAsync<T>(string what, Func<Task<T?>> observe, Func<T, bool> done, TimeSpan? stall = null) where T : System.Text.Json.Nodes.JsonNode
    {
        T? found = null;
        await WaitAsync(
            what,
            async () =>
            {
                found = await observe();
                return found?.ToJsonString(); // compared as text: any change is progress
            },
            _ => found is not null && done(found),
            stall);
        return found!;
    }

    /// <summary>Waits until <paramref name="condition"/> holds, with nothing finer to count: the stall is the whole wait.</summary>
    public static Task UntilAsync(string what, Func<Task<bool>> condition, TimeSpan? stall = null) =>
        WaitAsync(what, condition, holds => holds, stall);
}
