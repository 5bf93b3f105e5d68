namespace Retention.Application.Ingest;

/// <summary><c>Retention:Webhooks</c>: the registered sources, their secrets and limits.</summary>
public sealed class WebhookOptions
{
    /// <summary>Per source, one or two active secrets (the second allows rotation).</summary>
    public Dictionary<string, WebhookSource> Sources { get; set; } = [];

    /// <summary>Events per second a source may send, with a burst of twice that, unless the source sets its own.</summary>
    public int RateLimitPerSecond { get; set; } = 500;
    public TimeSpan TimestampTolerance { get; set; } = TimeSpan.FromMinutes(5);
    public int MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>How far ahead of the service's clock an event's <c>time</c> may be: a producer's clock drift.</summary>
    public TimeSpan MaxEventTimeAhead { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How far behind the service's clock an event's <c>time</c> may be: a late delivery or a catch-up.</summary>
    public TimeSpan MaxEventTimeBehind { get; set; } = TimeSpan.FromDays(30);

    public int RateLimitFor(string source) =>
        Sources.TryGetValue(source, out var known) && known.RateLimitPerSecond is { } own ? own : RateLimitPerSecond;
}

public sealed class WebhookSource
{
    /// <summary>At most two at a time: the second is the new secret while producers rotate to it.</summary>
    public const int MaxSecrets = 2;

    public List<string> Secrets { get; set; } = [];

    /// <summary>This source's own limit in place of <see cref="WebhookOptions.RateLimitPerSecond"/>.</summary>
    public int? RateLimitPerSecond { get; set; }
}
