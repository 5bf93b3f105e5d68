namespace Retention.Channels.Providers;

/// <summary>One SMS, rendered and addressed. The repeatability fields are fixed when the send is committed.</summary>
/// <param name="Tag">journey/instance/step, echoed back in delivery reports.</param>
public sealed record SmsRequest(string SendKey, string To, string Body, Guid RepeatabilityId, DateTimeOffset FirstAttemptAt, string Tag);

/// <summary>One email, rendered and addressed. <see cref="OperationId"/> is fixed when the send is committed.</summary>
/// <param name="Tag">journey/instance/step, as for SMS.</param>
public sealed record EmailRequest(string SendKey, string To, string? DisplayName, string Subject, string Text, string? Html, Guid OperationId, string? Tag = null);

/// <summary>What a provider did with one message.</summary>
public abstract record ProviderResult;

/// <summary>The provider took the message; <see cref="MessageId"/> is what its delivery reports will carry.</summary>
public sealed record ProviderAccepted(string MessageId) : ProviderResult;

/// <summary>The provider refused the message for good (bad number, blocked recipient): do not retry.</summary>
public sealed record ProviderRejected(string Reason) : ProviderResult;

/// <summary>A transient failure (429, 5xx, timeout): retry later, no sooner than <see cref="RetryAfter"/> when given.</summary>
public sealed record ProviderUnavailable(string Reason, TimeSpan? RetryAfter) : ProviderResult;

public interface ISmsProvider
{
    string Name { get; }

    Task<ProviderResult> SendAsync(SmsRequest request, CancellationToken cancellationToken);
}

public interface IEmailProvider
{
    string Name { get; }

    Task<ProviderResult> SendAsync(EmailRequest request, CancellationToken cancellationToken);
}
