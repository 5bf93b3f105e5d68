using System.Text.Json.Nodes;
using Retention.Application.Ingest;
using Retention.Core.Events;
using Retention.Core.Ports;
using Retention.Core.Runtime;

namespace Retention.Application.Inbound;

public enum InboundSmsResult { UnknownSender, OptedOut, OptedIn, Reply }

/// <summary>
/// A customer's SMS: STOP, 退订, TD or UNSUBSCRIBE opts the sender out of marketing SMS at once, START opts back in,
/// and anything else is a reply, raised as <c>sms.received</c> to the customer's waiting instances (a survey score).
/// </summary>
public sealed class InboundSmsHandler(ICorrelationIndex lookups, EventIngestor ingestor)
{
    private static readonly string[] StopWords = ["STOP", "退订", "TD", "UNSUBSCRIBE"];
    private static readonly string[] StartWords = ["START", "UNSTOP"];

    public async Task<(InboundSmsResult Result, string? CustomerId)> HandleAsync(
        string messageId, string from, string? to, string message, DateTimeOffset receivedAt, CancellationToken cancellationToken)
    {
        if (await lookups.FindAsync(ICorrelationIndex.Phone, from, cancellationToken) is not { } customerId)
        {
            return (InboundSmsResult.UnknownSender, null);
        }
        var text = message.Trim();
        var keyword = text.ToUpperInvariant();
        var id = "sms-" + StableHash.Hex(messageId);
        if (StopWords.Contains(keyword) || StartWords.Contains(keyword))
        {
            var optIn = StartWords.Contains(keyword);
            await ingestor.AcceptAsync(new CustomerEvent(id, "sms", KnownEventTypes.ConsentChanged, receivedAt, customerId, new JsonObject
            {
                ["customerId"] = customerId,
                ["channel"] = "sms",
                ["status"] = optIn ? "opted-in" : "opted-out",
                ["via"] = "sms-keyword",
            }), cancellationToken);
            return (optIn ? InboundSmsResult.OptedIn : InboundSmsResult.OptedOut, customerId);
        }
        await ingestor.AcceptAsync(new CustomerEvent(id, "sms", KnownEventTypes.SmsReceived, receivedAt, customerId, new JsonObject
        {
            ["from"] = from,
            ["to"] = to,
            ["message"] = text,
        }), cancellationToken);
        return (InboundSmsResult.Reply, customerId);
    }
}
