namespace Retention.Host.Composition;

/// <summary>The <c>Retention</c> configuration section.</summary>
public sealed class RetentionOptions
{
    public const string Section = "Retention";

    /// <summary>The folder of journey definitions published at start; defaults to the shipped <c>config/journeys</c>.</summary>
    public string? JourneysPath { get; set; }

    /// <summary>For customers whose profile has no time zone.</summary>
    public string DefaultTimeZone { get; set; } = "UTC";

    /// <summary>How long an event that arrives before its wait is kept for it.</summary>
    public TimeSpan EventBufferWindow { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Off in Functions custom-handler mode, where the Functions host delivers queue messages.</summary>
    public bool RunPollers { get; set; } = true;

    public TimeSpan CatalogRefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    public WebhookOptions Webhooks { get; set; } = new();

    public AdminOptions Admin { get; set; } = new();

    public ChannelOptions Channels { get; set; } = new();

    public string ResolveJourneysPath() =>
        JourneysPath is { Length: > 0 } path ? Path.GetFullPath(path) : Path.Combine(AppContext.BaseDirectory, "config", "journeys");
}

public sealed class WebhookOptions
{
    /// <summary>Per source, up to two active secrets (the second allows rotation).</summary>
    public Dictionary<string, WebhookSource> Sources { get; set; } = [];
    public TimeSpan TimestampTolerance { get; set; } = TimeSpan.FromMinutes(5);
    public int MaxBodyBytes { get; set; } = 1024 * 1024;
}

public sealed class WebhookSource
{
    public List<string> Secrets { get; set; } = [];
}

public sealed class AdminOptions
{
    public List<AdminKey> Keys { get; set; } = [];
}

public sealed class AdminKey
{
    public string Name { get; set; } = "";
    public string Key { get; set; } = "";
    public List<string> Roles { get; set; } = [];
}

public sealed class ChannelOptions
{
    /// <summary><c>dev</c>: the dev outbox (local default).</summary>
    public string Provider { get; set; } = "dev";
}
