using System.Text.Json.Nodes;
using Retention.Core.Contact;
using Retention.Core.Definitions;
using Retention.Core.Runtime;

namespace Retention.Core.Ports;

/// <summary>Where a message stands: every decision the contact policies and providers made about it.</summary>
public static class MessageStatus
{
    public const string Deferred = "deferred";
    public const string Suppressed = "suppressed";
    public const string Sent = "sent";
    public const string Failed = "failed";
    public const string Delivered = "delivered";
    public const string Undelivered = "undelivered";

    /// <summary>A message in one of these states is settled: sending it again would be a duplicate.</summary>
    public static bool IsSettled(string status) => status is Suppressed or Sent or Failed or Delivered or Undelivered;
}

public sealed record MessageRecord(
    string CustomerId, string SendKey, string Channel, string Category, string Status, string? Reason, DateTimeOffset? DeferredUntil,
    string? ProviderMessageId, string JourneyId, string InstanceId, string StepId, int Attempts, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    SendMessage? Send);

/// <summary>One record per logical message, per customer: what makes a repeated send a no-op, and the timeline's source for messages.</summary>
public interface IMessageLog
{
    Task<MessageRecord?> GetAsync(string customerId, string sendKey, CancellationToken cancellationToken);

    /// <param name="existing">The record as the caller read it, so recording costs one write.</param>
    Task RecordAsync(SendMessage send, MessageRecord? existing, string status, string? reason, DateTimeOffset? deferredUntil = null,
        string? providerMessageId = null, int? attempts = null, CancellationToken cancellationToken = default);

    /// <summary>A delivery report's status change, found by the provider's message id.</summary>
    Task<MessageRecord?> ReportAsync(string providerMessageId, string status, string? reason, CancellationToken cancellationToken);

    /// <summary>One page of every message logged, for the counters' backfill.</summary>
    Task<(IReadOnlyList<MessageRecord> Records, string? ContinuationToken)> PageAsync(int pageSize, string? continuationToken, CancellationToken cancellationToken);

    /// <summary>Counts a logged message into the report counters (idempotent: counting it again changes nothing).</summary>
    Task CountAsync(MessageRecord record, CancellationToken cancellationToken);
}

/// <summary>Recent contacts per customer and category, across all journeys: what frequency caps count.</summary>
public interface IContactLedger
{
    /// <summary>
    /// Decides a send against the customer's recent contacts in <paramref name="category"/> and keeps the contacts an
    /// allowed send counts in; decided again when another send changed them meanwhile.
    /// </summary>
    Task<ContactDecision> DecideAsync(string customerId, string category, Func<IReadOnlyList<RecentContact>, ContactDecision> decide, CancellationToken cancellationToken);

    /// <summary>The customer's recent contacts in a category, as caps count them.</summary>
    Task<IReadOnlyList<RecentContact>> RecentAsync(string customerId, string category, CancellationToken cancellationToken);

    /// <summary>Gives a reservation back when the message did not go out after all.</summary>
    Task ReleaseAsync(string customerId, string category, string sendKey, CancellationToken cancellationToken);

    /// <summary>Suppresses marketing on a channel to an address (a number's STOP), for whoever has it now or later.</summary>
    Task SuppressAsync(string channel, string address, DateTimeOffset at, string via, CancellationToken cancellationToken);

    /// <summary>Lifts an address's suppression (its START); lifting one that is not there changes nothing.</summary>
    Task LiftSuppressionAsync(string channel, string address, CancellationToken cancellationToken);

    Task<bool> IsSuppressedAsync(string channel, string address, CancellationToken cancellationToken);
}

/// <summary>The text of one message, rendered for its recipient.</summary>
public sealed record RenderedMessage(string Locale, string Body, string? Subject, string? Html);

/// <summary>Renders a journey's message templates for one recipient, in the customer's locale where the template has it.</summary>
public interface IMessageRenderer : ITemplateChecker
{
    RenderedMessage Render(MessageTemplate template, MessageChannel channel, JsonObject variables);
}

/// <summary>Whether each channel has a provider: a channel configured without one suppresses its sends, naming the setting.</summary>
public interface IChannelAvailability
{
    /// <summary>Why a send on <paramref name="channel"/> cannot go out, or null when the channel has a provider.</summary>
    string? SuppressionReason(MessageChannel channel);
}
