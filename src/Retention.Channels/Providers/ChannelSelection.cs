using Microsoft.Extensions.Configuration;
using Retention.Core.Definitions;
using Retention.Core.Ports;

namespace Retention.Channels.Providers;

/// <summary>
/// Which provider each channel uses: <c>Retention:Channels:Sms:Provider</c> (dev | acs | none) and
/// <c>Retention:Channels:Email:Provider</c> (dev | acs | smtp | none), <c>dev</c> when not set. Read once, before anything
/// is registered, so the providers, the dev outbox and its endpoints all follow the same choice. <c>dev</c> is for a
/// developer's machine only (the host refuses it outside Development); a deployment without a channel says so with
/// <c>none</c>, and each of that channel's sends is suppressed with its reason.
/// </summary>
public sealed record ChannelSelection(string Sms, string Email) : IChannelAvailability
{
    public const string Dev = "dev";
    public const string None = "none";

    /// <summary>The dev outbox (its provider and its endpoints) exists while either channel goes to it.</summary>
    public bool UsesDevOutbox => Sms == Dev || Email == Dev;

    public string ProviderOf(MessageChannel channel) => channel == MessageChannel.Sms ? Sms : Email;

    /// <summary>The setting that chose <paramref name="channel"/>'s provider, for messages that name it.</summary>
    public static string SettingOf(MessageChannel channel) =>
        (channel == MessageChannel.Sms ? SmsChannelOptions.Section : EmailChannelOptions.Section) + ":Provider";

    /// <summary>Why a send on <paramref name="channel"/> cannot go out, or null when the channel has a provider.</summary>
    public string? SuppressionReason(MessageChannel channel) =>
        ProviderOf(channel) == None ? $"no {(channel == MessageChannel.Sms ? "SMS" : "email")} provider: {SettingOf(channel)} is none" : null;

    /// <summary>The channels that send to the dev outbox.</summary>
    public IReadOnlyList<MessageChannel> DevChannels() => [.. new[] { MessageChannel.Sms, MessageChannel.Email }.Where(c => ProviderOf(c) == Dev)];

    /// <summary>The settings that put a channel on the dev outbox, which only Development may run.</summary>
    public IEnumerable<string> DevSettings() => DevChannels().Select(SettingOf);

    /// <exception cref="InvalidOperationException">A provider is not one of the channel's, naming the setting.</exception>
    public static ChannelSelection Read(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return new(Choice(configuration, SmsChannelOptions.Section, Dev, "acs", None), Choice(configuration, EmailChannelOptions.Section, Dev, "acs", "smtp", None));
    }

    private static string Choice(IConfiguration configuration, string section, params string[] providers)
    {
        var choice = new ProviderChoice();
        configuration.GetSection(section).Bind(choice);
        var configured = choice.Provider;
        var provider = string.IsNullOrWhiteSpace(configured) ? Dev : configured.Trim().ToLowerInvariant();
        return providers.Contains(provider, StringComparer.Ordinal)
            ? provider
            : throw new InvalidOperationException($"{section}:Provider is '{configured}'; it must be {string.Join(", ", providers[..^1])} or {providers[^1]}.");
    }

    /// <summary>The one key of a channel's section this reads, bound as its options are.</summary>
    private sealed class ProviderChoice
    {
        public string? Provider { get; set; }
    }
}
