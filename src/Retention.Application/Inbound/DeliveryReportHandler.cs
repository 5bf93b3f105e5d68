using System.Text.Json.Nodes;
using Retention.Application.Ingest;
using Retention.Core.Events;
using Retention.Core.Ports;
using Retention.Journeys;

namespace Retention.Application.Inbound;

/// <summary>
/// A provider's delivery report: updates the message's status; on a failed delivery, sends by the step's fallback
/// channel (durably, as its own delivery orchestration) and raises <c>message.failed</c> so journeys can branch on it.
/// </summary>
public sealed class DeliveryReportHandler(IMessageLog log, IContactLedger ledger, IJourneyInstances engine, EventIngestor ingestor, TimeProvider time)
{
    public const string MessageFailed = "message.failed";
    public const string MessageDelivered = "message.delivered";

    /// <returns>false when no message has this provider id.</returns>
    public async Task<bool> HandleAsync(string providerMessageId, bool delivered, string? detail, CancellationToken cancellationToken)
    {
        var record = await log.ReportAsync(providerMessageId, delivered ? MessageStatus.Delivered : MessageStatus.Undelivered, detail, cancellationToken);
        if (record is null)
        {
            return false;
        }
        if (!delivered)
        {
            // A message that never arrived does not count against the customer's frequency cap.
            await ledger.ReleaseAsync(record.CustomerId, record.Category, record.SendKey, cancellationToken);
        }
        if (!delivered && record.Send is { Fallback: not null } send)
        {
            var fallback = send.AsFallback();
            await engine.StartAsync(JourneyTasks.MessageDelivery, MessageDeliveryOrchestrator.InstanceIdOf(fallback), new DeferredDelivery(fallback, time.GetUtcNow()), cancellationToken);
        }
        var type = delivered ? MessageDelivered : MessageFailed;
        await ingestor.AcceptAsync(new CustomerEvent($"{type}-{providerMessageId}", "delivery-report", type, time.GetUtcNow(), record.CustomerId, new JsonObject
        {
            ["customerId"] = record.CustomerId,
            ["sendKey"] = record.SendKey,
            ["instanceId"] = record.InstanceId,
            ["journeyId"] = record.JourneyId,
            ["stepId"] = record.StepId,
            ["channel"] = record.Channel,
            ["detail"] = detail,
        }), cancellationToken);
        return true;
    }
}
