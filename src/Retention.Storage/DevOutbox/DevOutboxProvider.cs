using Retention.Core.Ports;
using Retention.Core.Runtime;

namespace Retention.Storage.DevOutbox;

/// <summary>The local SMS and email provider: messages land in the dev outbox, readable at <c>/api/dev/outbox</c>.</summary>
public sealed class DevOutboxProvider(DevOutboxStore outbox, TimeProvider time) : ISmsProvider, IEmailProvider
{
    public string Name => "dev";

    public Task<ProviderResult> SendAsync(SmsRequest request, CancellationToken cancellationToken) =>
        StoreAsync(request.SendKey, "sms", request.To, request.Body, null, request.Tag, request.CustomerId, cancellationToken);

    public Task<ProviderResult> SendAsync(EmailRequest request, CancellationToken cancellationToken) =>
        StoreAsync(request.SendKey, "email", request.To, request.Text, request.Subject, request.Tag, request.CustomerId, cancellationToken);

    private async Task<ProviderResult> StoreAsync(string sendKey, string channel, string to, string body, string? subject, string? tag, string? customerId,
        CancellationToken cancellationToken)
    {
        var send = SendTag.Read(tag);
        // Stored under the send key: a retried send finds it there and is the same message, not a second one.
        await outbox.AddAsync(new OutboxMessage(sendKey, channel, to, body, subject, send.JourneyId, send.InstanceId, send.StepId,
            customerId ?? "", time.GetUtcNow()), cancellationToken);
        return new ProviderAccepted("dev-" + StableHash.Hex(sendKey));
    }
}
