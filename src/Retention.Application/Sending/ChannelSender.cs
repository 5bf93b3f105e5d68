using System.Text.Json.Nodes;
using Retention.Core.Contact;
using Retention.Core.Customers;
using Retention.Core.Definitions;
using Retention.Core.Ports;
using Retention.Core.Runtime;

namespace Retention.Application.Sending;

/// <summary>
/// Carries out a committed send: the contact policies decide (send, defer until, or suppress because), a frequency
/// cap is reserved, the template of the instance's pinned journey version is rendered, and the provider is called
/// under the send's repeatability id. An SMS that asks a question is recorded against the number, so the reply finds
/// the customer asked among those who share it. Every decision is recorded in the message log, which also makes a repeated
/// call for a settled message a no-op. A channel configured as <c>none</c> suppresses its sends (falling back to the
/// step's other channel when that one has a provider), with the setting named in the log.
/// </summary>
public sealed class ChannelSender(
    IJourneyCatalog catalog,
    ICustomerProfiles profiles,
    IMessageRenderer renderer,
    ContactPolicy policy,
    IContactLedger ledger,
    IMessageLog log,
    ICorrelationIndex lookups,
    IChannelAvailability channels,
    ISmsProvider sms,
    IEmailProvider email,
    TimeProvider time) : IMessageSender
{
    public async Task<SendOutcome> SendAsync(SendMessage message, CancellationToken cancellationToken)
    {
        var existing = await log.GetAsync(message.CustomerId, message.SendKey, cancellationToken);
        if (existing is not null && MessageStatus.IsSettled(existing.Status))
        {
            return new SendOutcome(SendStatus.Duplicate, existing.ProviderMessageId, existing.Status);
        }
        if (channels.SuppressionReason(message.Channel) is { } noProvider)
        {
            await log.RecordAsync(message, existing, MessageStatus.Suppressed, noProvider, cancellationToken: cancellationToken);
            return message.Fallback is { } fallback && channels.SuppressionReason(fallback) is null
                ? await SendAsync(message.AsFallback(), cancellationToken)
                : new SendOutcome(SendStatus.Suppressed, null, noProvider);
        }
        var now = time.GetUtcNow();
        var customer = ContactPolicy.ReadsLiveProfile(message)
            ? await profiles.GetAsync(message.CustomerId, cancellationToken) ?? ContactPolicy.InstanceCopy(message)
            : ContactPolicy.InstanceCopy(message);
        var suppressed = await AddressSuppressedAsync(message, customer, cancellationToken);
        // Uncapped categories need no ledger read.
        var decision = policy.CapFor(message.Category) is null
            ? policy.Decide(message, customer, [], now, suppressed)
            : await ledger.DecideAsync(message.CustomerId, ContactPolicy.Name(message.Category), recent => policy.Decide(message, customer, recent, now, suppressed), cancellationToken);
        switch (decision)
        {
            case Fallback fallback:
                await log.RecordAsync(message, existing, MessageStatus.Suppressed, fallback.Reason, cancellationToken: cancellationToken);
                return await SendAsync(fallback.Send, cancellationToken);
            case Suppress suppress:
                await log.RecordAsync(message, existing, MessageStatus.Suppressed, suppress.Reason, cancellationToken: cancellationToken);
                return new SendOutcome(SendStatus.Suppressed, null, suppress.Reason);
            case Defer defer:
                await log.RecordAsync(message, existing, MessageStatus.Deferred, defer.Reason, defer.Until, cancellationToken: cancellationToken);
                return new SendOutcome(SendStatus.Deferred, null, defer.Reason, defer.Until);
            case Allow allow:
                return await DeliverAsync(message, existing, allow, customer, now, cancellationToken);
            default:
                throw new InvalidOperationException("Unhandled contact decision.");
        }
    }

    /// <summary>Whether a marketing send's address opted out (for every customer who has it); service messages go whatever it did.</summary>
    private async Task<bool> AddressSuppressedAsync(SendMessage message, JsonObject customer, CancellationToken cancellationToken) =>
        message.Category == MessageCategory.Marketing
        && ContactAddress.Normalize(message.Channel, ContactPolicy.Address(customer, message.Channel)) is { } address
        && await ledger.IsSuppressedAsync(ContactPolicy.Name(message.Channel), address, cancellationToken);

    private async Task<SendOutcome> DeliverAsync(SendMessage message, MessageRecord? existing, Allow allow, JsonObject customer, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var attempts = existing?.Attempts ?? 0;
        var category = ContactPolicy.Name(message.Category);
        var journey = await catalog.GetAsync(message.JourneyId, message.Version, cancellationToken)
            ?? throw new InvalidOperationException($"Journey {message.JourneyId} v{message.Version} is missing.");
        if (!journey.Templates.TryGetValue(message.Template, out var template))
        {
            await log.RecordAsync(message, existing, MessageStatus.Failed, $"no template {message.Template}", cancellationToken: cancellationToken);
            return new SendOutcome(SendStatus.Failed, null, $"no template {message.Template}");
        }
        var variables = (JsonObject)message.Variables.DeepClone();
        variables["customer"] = customer.DeepClone();
        var rendered = renderer.Render(template, allow.Channel, variables);
        var tag = new SendTag(message.JourneyId, message.InstanceId, message.StepId).ToString();
        var result = allow.Channel == MessageChannel.Sms
            ? await sms.SendAsync(new SmsRequest(message.SendKey, allow.To, rendered.Body, message.RepeatabilityId, message.FirstAttemptAt, tag, message.CustomerId), cancellationToken)
            : await email.SendAsync(new EmailRequest(message.SendKey, allow.To, CustomerSnapshot.Text(customer, "name"), rendered.Subject ?? "", rendered.Body,
                rendered.Html, message.RepeatabilityId, tag, message.CustomerId), cancellationToken);
        switch (result)
        {
            case ProviderAccepted accepted:
                // Before the message is marked sent, so a retry after a crash records the question too.
                if (allow.Channel == MessageChannel.Sms && journey.AsksForSmsReply(message.StepId) && ContactAddress.Phone(allow.To) is { } asked)
                {
                    await lookups.RecordAskAsync(asked, message.CustomerId, message.InstanceId, now, cancellationToken);
                }
                await log.RecordAsync(message, existing, MessageStatus.Sent, null, providerMessageId: accepted.MessageId, attempts: attempts + 1, cancellationToken: cancellationToken);
                return new SendOutcome(SendStatus.Sent, accepted.MessageId, null);
            case ProviderRejected rejected:
                await ledger.ReleaseAsync(message.CustomerId, category, message.SendKey, cancellationToken);
                await log.RecordAsync(message, existing, MessageStatus.Failed, rejected.Reason, attempts: attempts + 1, cancellationToken: cancellationToken);
                if (message.Fallback is not null)
                {
                    return await SendAsync(message.AsFallback(), cancellationToken);
                }
                return new SendOutcome(SendStatus.Failed, null, rejected.Reason);
            case ProviderUnavailable unavailable:
                await ledger.ReleaseAsync(message.CustomerId, category, message.SendKey, cancellationToken);
                if (attempts + 1 >= policy.Options.MaxAttempts)
                {
                    await log.RecordAsync(message, existing, MessageStatus.Failed, $"gave up after {attempts + 1} attempts: {unavailable.Reason}", attempts: attempts + 1, cancellationToken: cancellationToken);
                    return new SendOutcome(SendStatus.Failed, null, unavailable.Reason);
                }
                var backoff = unavailable.RetryAfter ?? TimeSpan.FromTicks(Math.Min(policy.Options.RetryMax.Ticks, policy.Options.RetryBase.Ticks << Math.Min(attempts, 20)));
                var retryAt = now + backoff;
                await log.RecordAsync(message, existing, MessageStatus.Deferred, $"provider unavailable: {unavailable.Reason}", retryAt, attempts: attempts + 1, cancellationToken: cancellationToken);
                return new SendOutcome(SendStatus.Deferred, null, unavailable.Reason, retryAt);
            default:
                throw new InvalidOperationException("Unhandled provider result.");
        }
    }
}
