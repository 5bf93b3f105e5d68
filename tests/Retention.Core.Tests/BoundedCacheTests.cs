using Retention.Core.Runtime;

namespace Retention.Core.Tests;

/// <summary>A bounded cache past its capacity loses its oldest entries one at a time, and keeps the rest.</summary>
public sealed class BoundedCacheLosesItsOldestEntries
{
    [Fact]
    public void PastTheCapacityTheFirstAddedGoesAndTheRestStay()
    {
        var cache = new BoundedCache<int, string>(capacity: 3);
        foreach (var key in new[] { 1, 2, 3, 4 })
        {
            cache.Set(key, $"v{key}");
        }

        Assert.Equal(3, cache.Count);
        Assert.False(cache.ContainsKey(1));
        Assert.All(new[] { 2, 3, 4 }, key => Assert.True(cache.TryGetValue(key, out var value) && value == $"v{key}"));
    }

    [Fact]
    public void ReplacingAnEntryDoesNotCountAsAnotherOne()
    {
        var cache = new BoundedCache<string, int>(capacity: 2, StringComparer.Ordinal);
        cache.Set("a", 1);
        cache.Set("b", 2);
        cache.Set("a", 3);

        Assert.Equal(2, cache.Count);
        Assert.True(cache.TryGetValue("a", out var a) && a == 3);
        Assert.True(cache.ContainsKey("b"));
    }

    [Fact]
    public async Task WritersSideBySideNeverLeaveMoreThanTheCapacity()
    {
        var cache = new BoundedCache<int, int>(capacity: 64);
        await Parallel.ForEachAsync(Enumerable.Range(0, 10_000), (key, _) =>
        {
            cache.Set(key, key);
            return ValueTask.CompletedTask;
        });

        Assert.InRange(cache.Count, 1, 64);
    }
}
