using Retention.Core.Runtime;

namespace Retention.Application.Journeys;

/// <param name="Entries">Instances ever started (holdouts included).</param>
/// <param name="Active">Instances not yet finished.</param>
/// <param name="Converted">Instances that reached the journey's goal.</param>
/// <param name="Holdout">Instances held out of the steps to measure lift.</param>
public sealed record JourneyCountsView(int Entries, int Active, int Converted, int Holdout)
{
    public static readonly JourneyCountsView None = new(0, 0, 0, 0);
}

/// <summary>
/// Per-journey instance counts for the journey list. One pass over the engine's instances (their published views),
/// remembered for <see cref="MaxAge"/>: the list is read often and the counts are a dashboard figure, so a
/// few seconds' staleness is worth not scanning per request. Counters kept by the engine would be exact but would put
/// a hot row per journey on every start and finish, and a replayed commit would count twice.
/// </summary>
public sealed class JourneyCounts(Retention.Journeys.IJourneyInstances instances, TimeProvider time) : IDisposable
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(30);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private (DateTimeOffset At, IReadOnlyDictionary<string, JourneyCountsView> Counts)? _cached;

    public async Task<IReadOnlyDictionary<string, JourneyCountsView>> GetAsync(CancellationToken cancellationToken)
    {
        if (_cached is { } fresh && time.GetUtcNow() - fresh.At < MaxAge)
        {
            return fresh.Counts;
        }
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_cached is { } again && time.GetUtcNow() - again.At < MaxAge)
            {
                return again.Counts;
            }
            var counts = await CountAsync(cancellationToken);
            _cached = (time.GetUtcNow(), counts);
            return counts;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    /// <summary>Forgets the remembered counts, so the next read counts again (after a publish that ended or migrated instances).</summary>
    public void Invalidate() => _cached = null;

    private async Task<IReadOnlyDictionary<string, JourneyCountsView>> CountAsync(CancellationToken cancellationToken)
    {
        var counts = new Dictionary<string, (int Entries, int Active, int Converted, int Holdout)>(StringComparer.Ordinal);
        string? token = null;
        do
        {
            var page = await instances.QueryAsync(null, null, 1000, token, cancellationToken);
            foreach (var state in page.Items.Select(i => i.State))
            {
                var c = counts.GetValueOrDefault(state.JourneyId);
                counts[state.JourneyId] = (c.Entries + 1, c.Active + (state.Status.IsFinished() ? 0 : 1), c.Converted + (state.Converted ? 1 : 0), c.Holdout + (state.Holdout ? 1 : 0));
            }
            token = page.ContinuationToken;
        }
        while (token is not null);
        return counts.ToDictionary(kv => kv.Key, kv => new JourneyCountsView(kv.Value.Entries, kv.Value.Active, kv.Value.Converted, kv.Value.Holdout), StringComparer.Ordinal);
    }
}
