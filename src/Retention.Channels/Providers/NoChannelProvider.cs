using Retention.Core.Ports;

namespace Retention.Channels.Providers;

/// <summary>
/// The provider of a channel configured as <c>none</c>. The sender suppresses that channel's sends before any provider
/// is asked (<see cref="ChannelSelection.SuppressionReason"/>), so a call here is a bug, refused rather than dropped.
/// </summary>
public sealed class NoChannelProvider : ISmsProvider, IEmailProvider
{
    public string Name => ChannelSelection.None;

    public Task<ProviderResult> SendAsync(SmsRequest request, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("SMS is configured as none; its sends are suppressed before a provider is called.");

    public Task<ProviderResult> SendAsync(EmailRequest request, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("Email is configured as none; its sends are suppressed before a provider is called.");
}
