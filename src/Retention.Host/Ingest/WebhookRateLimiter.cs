using System.Globalization;
using System.Threading.RateLimiting;

namespace Retention.Host.Ingest;

/// <summary>
/// A token bucket per webhook source: <c>Retention:Webhooks:Sources:&lt;name&gt;:RateLimitPerSecond</c> events per second
/// (default <c>Retention:Webhooks:RateLimitPerSecond</c>, else 500), with a burst of twice that. Each event of a batch
/// takes one token. The source is only known once the body is read and its signature checked, so the limit is applied
/// in the endpoint rather than by the request-level middleware, with the same ASP.NET Core rate limiters.
/// </summary>
public sealed class WebhookRateLimiter : IDisposable
{
    public const int DefaultPerSecond = 500;

    private readonly PartitionedRateLimiter<string> _limiter;
    private readonly IConfiguration _configuration;

    public WebhookRateLimiter(IConfiguration configuration)
    {
        _configuration = configuration;
        _limiter = PartitionedRateLimiter.Create<string, string>(source => RateLimitPartition.GetTokenBucketLimiter(source, _ =>
        {
            var perSecond = PerSecond(configuration, source);
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

    /// <returns>null when the events may proceed, otherwise how long the source should wait before retrying.</returns>
    public TimeSpan? TryAcquire(string source, int events)
    {
        using var lease = _limiter.AttemptAcquire(source, Math.Clamp(events, 1, PerSecond(_configuration, source) * 2));
        if (lease.IsAcquired)
        {
            return null;
        }
        return lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) && retryAfter > TimeSpan.Zero ? retryAfter : TimeSpan.FromSeconds(1);
    }

    public int PerSecondFor(string source) => PerSecond(_configuration, source);

    public static int PerSecond(IConfiguration configuration, string source)
    {
        var configured = configuration[$"Retention:Webhooks:Sources:{source}:RateLimitPerSecond"] ?? configuration["Retention:Webhooks:RateLimitPerSecond"];
        return int.TryParse(configured, NumberStyles.None, CultureInfo.InvariantCulture, out var perSecond) && perSecond > 0 ? perSecond : DefaultPerSecond;
    }

    public void Dispose() => _limiter.Dispose();
}
