using Retention.Channels.DevOutbox;
using Retention.Channels.Templates;
using Retention.Core.Customers;
using Retention.Core.Definitions;
using Retention.Core.Ports;
using Retention.Core.Runtime;

namespace Retention.Channels.Sending;

/// <summary>
/// Carries out a committed send: looks up the template of the instance's pinned journey version, picks the
/// address, applies consent, renders, and hands the message to the provider under its send key.
/// </summary>
public sealed class ChannelSender(IJourneyCatalog catalog, ICustomerProfiles profiles, MessageRenderer renderer, DevOutboxStore outbox, TimeProvider time) : IMessageSender
{
    public async Task<SendOutcome> SendAsync(SendMessage message, CancellationToken cancellationToken)
    {
        var journey = await catalog.GetAsync(message.JourneyId, message.Version, cancellationToken)
            ?? throw new InvalidOperationException($"Journey {message.JourneyId} v{message.Version} is missing.");
        if (!journey.Templates.TryGetValue(message.Template, out var template))
        {
            return new SendOutcome(SendStatus.Failed, null, $"no template {message.Template}");
        }
        var customer = message.Variables["customer"] as System.Text.Json.Nodes.JsonObject ?? [];
        var channel = message.Channel == MessageChannel.Sms ? "sms" : "email";
        var to = CustomerSnapshot.Text(customer, message.Channel == MessageChannel.Sms ? "phone" : "email");
        if (string.IsNullOrWhiteSpace(to))
        {
            return new SendOutcome(SendStatus.Suppressed, null, $"the customer has no {(message.Channel == MessageChannel.Sms ? "phone" : "email")}");
        }
        if (message.Category == MessageCategory.Marketing)
        {
            // Consent is read live, not from the instance's copy: an opt-out counts from the moment it arrives.
            var current = await profiles.GetAsync(message.CustomerId, cancellationToken);
            if ((current?["consent"] as System.Text.Json.Nodes.JsonObject)?[channel]?.GetValue<string>() == "opted-out")
            {
                return new SendOutcome(SendStatus.Suppressed, null, $"opted out of marketing {channel}");
            }
        }
        var rendered = renderer.Render(template, message.Channel, message.Variables);
        var stored = await outbox.AddAsync(new OutboxMessage(message.SendKey, channel, to, rendered.Body, rendered.Subject, message.JourneyId,
            message.InstanceId, message.StepId, message.CustomerId, time.GetUtcNow()), cancellationToken);
        return new SendOutcome(stored ? SendStatus.Sent : SendStatus.Duplicate, message.RepeatabilityId.ToString(), null);
    }
}
