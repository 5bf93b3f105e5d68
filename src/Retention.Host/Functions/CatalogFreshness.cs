using Microsoft.Extensions.Options;
using Retention.Host.Composition;
using Retention.Storage.Journeys;

namespace Retention.Host.Functions;

/// <summary>
/// Keeps this instance's journey catalog current in custom-handler mode, where no refresh loop runs. A timer trigger
/// runs on one instance only, so it cannot keep every instance's cache fresh; instead the first invocation after
/// <c>Retention:CatalogRefreshInterval</c> refreshes it (one at a time: invocations meanwhile go on with the current list).
/// An idle app does no refreshing at all.
/// </summary>
public sealed class CatalogFreshness(JourneyCatalog catalog, IOptions<RetentionOptions> options, TimeProvider time) : IDisposable
{
    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private long _refreshedAtTicks = time.GetUtcNow().UtcTicks; // the startup seeding loaded the catalog

    public DateTimeOffset RefreshedAt => new(Interlocked.Read(ref _refreshedAtTicks), TimeSpan.Zero);

    /// <summary>Refreshes quietly when the catalog is older than the refresh interval; failures are logged and retried after another interval.</summary>
    public async Task EnsureFreshAsync(CancellationToken cancellationToken)
    {
        if (time.GetUtcNow() - RefreshedAt < options.Value.CatalogRefreshInterval || !await _refreshing.WaitAsync(0, cancellationToken))
        {
            return;
        }
        try
        {
            await catalog.RefreshQuietlyAsync(cancellationToken);
            Interlocked.Exchange(ref _refreshedAtTicks, time.GetUtcNow().UtcTicks);
        }
        finally
        {
            _refreshing.Release();
        }
    }

    /// <summary>Refreshes now, and throws when storage cannot be read: what the timer trigger runs.</summary>
    public async Task RefreshNowAsync(CancellationToken cancellationToken)
    {
        await _refreshing.WaitAsync(cancellationToken);
        try
        {
            await catalog.RefreshAsync(cancellationToken);
            Interlocked.Exchange(ref _refreshedAtTicks, time.GetUtcNow().UtcTicks);
        }
        finally
        {
            _refreshing.Release();
        }
    }

    public void Dispose() => _refreshing.Dispose();
}
