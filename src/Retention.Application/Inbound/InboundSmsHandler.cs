using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Retention.Application.Ingest;
using Retention.Core.Contact;
using Retention.Core.Definitions;
using Retention.Core.Events;
using Retention.Core.Ports;
using Retention.Core.Runtime;
using Retention.Journeys;

namespace Retention.Application.Inbound;

public enum InboundSmsResult { NoCustomer, NotUnderstood, OptedOut, OptedIn, Reply }

/// <param name="CustomerIds">The customers it reached: everyone with the number for a keyword, the one customer a reply went to.</param>
public sealed record InboundSmsOutcome(InboundSmsResult Result, IReadOnlyList<string> CustomerIds, string? Reason = null);

/// <summary>
/// A customer's SMS. The sender is read as E.164 (with or without the '+'), and opt-outs follow the number, as carriers
/// and ACS treat them: STOP, 退订, TD or UNSUBSCRIBE suppresses marketing SMS to the number at once, for every customer
/// who has it (and anyone who gets it later), and records the opt-out on each one's consent and timeline; START or
/// UNSTOP lifts it for all of them. Anything else is a reply, raised as <c>sms.received</c> to the one customer it
/// answers: the one whose journey most recently asked a question at this number and still waits for the answer (else
/// the one most recently asked, else the number's only customer); never one picked at random among those who share it.
/// </summary>
public sealed class InboundSmsHandler(
    IAddressHolders profiles,
    IContactLedger contacts,
    EventIngestor ingestor,
    IJourneyInstances instances,
    IJourneyCatalog catalog,
    InboundSmsMetrics metrics,
    ILogger<InboundSmsHandler> logger)
{
    private static readonly string[] StopWords = ["STOP", "退订", "TD", "UNSUBSCRIBE"];
    private static readonly string[] StartWords = ["START", "UNSTOP"];
    private static readonly string Sms = ContactPolicy.Name(MessageChannel.Sms);

    public async Task<InboundSmsOutcome> HandleAsync(
        string messageId, string from, string? to, string message, DateTimeOffset receivedAt, CancellationToken cancellationToken)
    {
        if (ContactAddress.Phone(from) is not { } phone)
        {
            return NotUnderstood(messageId, "the sender is not a phone number");
        }
        var text = message.Trim();
        var keyword = text.ToUpperInvariant();
        var id = "sms-" + StableHash.Hex(messageId);
        var holders = await profiles.HoldersOfPhoneAsync(phone, cancellationToken);
        if (StopWords.Contains(keyword) || StartWords.Contains(keyword))
        {
            var optIn = StartWords.Contains(keyword);
            // The number first: marketing to it stops even for a customer the index does not know yet.
            if (optIn)
            {
                await contacts.LiftSuppressionAsync(Sms, phone, cancellationToken);
            }
            else
            {
                await contacts.SuppressAsync(Sms, phone, receivedAt, "sms-keyword", cancellationToken);
            }
            await Task.WhenAll(holders.Select(h => ingestor.AcceptAsync(new CustomerEvent(id, "sms", KnownEventTypes.ConsentChanged, receivedAt, h.CustomerId, new JsonObject
            {
                ["customerId"] = h.CustomerId,
                ["channel"] = Sms,
                ["status"] = optIn ? "opted-in" : "opted-out",
                ["via"] = "sms-keyword",
            }), cancellationToken)));
            logger.InboundSmsConsentChanged(messageId, optIn ? "allowed again" : "suppressed", holders.Count);
            return holders.Count == 0
                ? NoCustomer(messageId, "keyword")
                : Matched(new InboundSmsOutcome(optIn ? InboundSmsResult.OptedIn : InboundSmsResult.OptedOut, [.. holders.Select(h => h.CustomerId)]));
        }
        if (holders.Count == 0)
        {
            return NoCustomer(messageId, "reply");
        }
        if (await AnsweringAsync(holders, cancellationToken) is not { } answering)
        {
            return NotUnderstood(messageId, $"a reply from a number {holders.Count} customers share, and no journey asked any of them a question");
        }
        await ingestor.AcceptAsync(new CustomerEvent(id, "sms", KnownEventTypes.SmsReceived, receivedAt, answering.CustomerId, new JsonObject
        {
            ["from"] = phone,
            ["to"] = to,
            ["message"] = text,
        }), cancellationToken);
        return Matched(new InboundSmsOutcome(InboundSmsResult.Reply, [answering.CustomerId]));
    }

    /// <summary>
    /// The customer a reply answers: the most recently asked whose instance still waits for a reply, else the most
    /// recently asked, else the number's only customer; null when several share it and none was asked.
    /// </summary>
    private async Task<AddressHolder?> AnsweringAsync(IReadOnlyList<AddressHolder> holders, CancellationToken cancellationToken)
    {
        var asked = holders.Where(h => h.AskedAt is not null).OrderByDescending(h => h.AskedAt).ToList();
        foreach (var holder in asked)
        {
            if (holder.AskedBy is { } instanceId && await WaitsForReplyAsync(instanceId, cancellationToken))
            {
                return holder;
            }
        }
        return asked.FirstOrDefault() ?? (holders.Count == 1 ? holders[0] : null);
    }

    private async Task<bool> WaitsForReplyAsync(string instanceId, CancellationToken cancellationToken)
    {
        if (await instances.GetAsync(instanceId, cancellationToken) is not { State: { Status: InstanceStatus.Waiting, CurrentStepId: { } stepId } state })
        {
            return false;
        }
        var journey = await catalog.GetAsync(state.JourneyId, state.Version, cancellationToken);
        return journey?.FindStep(stepId) is WaitForEventStep { Event: KnownEventTypes.SmsReceived };
    }

    private InboundSmsOutcome Matched(InboundSmsOutcome outcome)
    {
        metrics.Received(InboundSmsMetrics.Matched);
        return outcome;
    }

    private InboundSmsOutcome NoCustomer(string messageId, string kind)
    {
        metrics.Received(InboundSmsMetrics.NoCustomer);
        logger.InboundSmsNoCustomer(messageId, kind);
        return new InboundSmsOutcome(InboundSmsResult.NoCustomer, [], "no customer has this phone number");
    }

    private InboundSmsOutcome NotUnderstood(string messageId, string reason)
    {
        metrics.Received(InboundSmsMetrics.NotUnderstood);
        logger.InboundSmsNotUnderstood(messageId, reason);
        return new InboundSmsOutcome(InboundSmsResult.NotUnderstood, [], reason);
    }
}
