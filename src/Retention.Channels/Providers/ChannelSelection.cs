using Microsoft.Extensions.Configuration;

namespace Retention.Channels.Providers;

/// <summary>
/// Which provider each channel uses: <c>Retention:Channels:Sms:Provider</c> (dev | acs) and
/// <c>Retention:Channels:Email:Provider</c> (dev | acs | smtp), <c>dev</c> when not set. Read once, before anything is
/// registered, so the providers, the dev outbox and its endpoints all follow the same choice.
/// </summary>
public sealed record ChannelSelection(string Sms, string Email)
{
    public const string Dev = "dev";

    /// <summary>The dev outbox (its provider and its endpoints) exists while either channel goes to it.</summary>
    public bool UsesDevOutbox => Sms == Dev || Email == Dev;

    /// <exception cref="InvalidOperationException">A provider is not one of the channel's, naming the setting.</exception>
    public static ChannelSelection Read(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return new(Choice(configuration, SmsChannelOptions.Section, Dev, "acs"), Choice(configuration, EmailChannelOptions.Section, Dev, "acs", "smtp"));
    }

    private static string Choice(IConfiguration configuration, string section, params string[] providers)
    {
        var configured = configuration[$"{section}:Provider"];
        var provider = string.IsNullOrWhiteSpace(configured) ? Dev : configured.Trim().ToLowerInvariant();
        return providers.Contains(provider, StringComparer.Ordinal)
            ? provider
            : throw new InvalidOperationException($"{section}:Provider is '{configured}'; it must be {string.Join(", ", providers[..^1])} or {providers[^1]}.");
    }
}
