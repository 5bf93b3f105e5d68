using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using Retention.Api.Composition;
using Retention.Application.Ingest;

namespace Retention.Api.Ingest;

/// <summary>
/// A token bucket per webhook source: <see cref="WebhookOptions.RateLimitFor"/> events per second, with a burst of twice
/// that. Each event of a batch takes one token. The source is only known once the body is read and its signature
/// checked, so the limit is applied in the endpoint rather than by the request-level middleware, with the same ASP.NET
/// Core rate limiters.
/// </summary>
public sealed class WebhookRateLimiter : IWebhookRateLimit, IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter;
    private readonly WebhookOptions _webhooks;

    public WebhookRateLimiter(IOptions<RetentionOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _webhooks = options.Value.Webhooks;
        _limiter = PartitionedRateLimiter.Create<string, string>(source => RateLimitPartition.GetTokenBucketLimiter(source, _ =>
        {
            var perSecond = PerSecondFor(source);
            return new TokenBucketRateLimiterOptions
            {
                TokenLimit = perSecond * 2,
                TokensPerPeriod = perSecond,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            };
        }), StringComparer.Ordinal);
    }

    public TimeSpan? TryAcquire(string source, int events)
    {
        using var lease = _limiter.AttemptAcquire(source, Math.Clamp(events, 1, PerSecondFor(source) * 2));
        if (lease.IsAcquired)
        {
            return null;
        }
        return lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) && retryAfter > TimeSpan.Zero ? retryAfter : TimeSpan.FromSeconds(1);
    }

    public int PerSecondFor(string source) => _webhooks.RateLimitFor(source);

    public void Dispose() => _limiter.Dispose();
}
