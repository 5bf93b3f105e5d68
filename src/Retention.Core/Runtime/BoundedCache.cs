using System.Collections.Concurrent;

namespace Retention.Core.Runtime;

/// <summary>
/// A thread-safe cache of at most <c>capacity</c> entries: values that are the same whoever computes them (a version's
/// text, its parse), or rows kept with the ETag that proves them current. Past the capacity the entry added first
/// goes, one at a time, so a working set that outgrows it loses its oldest entries, not every entry at once.
/// </summary>
public sealed class BoundedCache<TKey, TValue>(int capacity, IEqualityComparer<TKey>? comparer = null) where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, TValue> _entries = new(comparer);
    private readonly ConcurrentQueue<TKey> _added = new();

    public int Count => _entries.Count;

    public bool TryGetValue(TKey key, out TValue value) => _entries.TryGetValue(key, out value!);

    public bool ContainsKey(TKey key) => _entries.ContainsKey(key);

    /// <summary>Keeps <paramref name="value"/> under <paramref name="key"/>, replacing what was there; returns it.</summary>
    public TValue Set(TKey key, TValue value)
    {
        if (!_entries.TryAdd(key, value))
        {
            _entries[key] = value;
            return value;
        }
        _added.Enqueue(key);
        while (_entries.Count > capacity && _added.TryDequeue(out var oldest))
        {
            _entries.TryRemove(oldest, out _);
        }
        return value;
    }
}
