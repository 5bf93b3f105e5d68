namespace Retention.Core.Ports;

/// <summary>One SMS, rendered and addressed. The repeatability fields are fixed when the send is committed.</summary>
/// <param name="Tag">journey/instance/step (<see cref="SendTag"/>), echoed back in delivery reports.</param>
/// <param name="CustomerId">The customer it is for, as the sender knows it (never read back from an id).</param>
public sealed record SmsRequest(string SendKey, string To, string Body, Guid RepeatabilityId, DateTimeOffset FirstAttemptAt, string Tag, string? CustomerId = null);

/// <summary>One email, rendered and addressed. <see cref="OperationId"/> is fixed when the send is committed.</summary>
/// <param name="Tag">journey/instance/step (<see cref="SendTag"/>), as for SMS.</param>
/// <param name="CustomerId">The customer it is for, as for SMS.</param>
public sealed record EmailRequest(string SendKey, string To, string? DisplayName, string Subject, string Text, string? Html, Guid OperationId, string? Tag = null,
    string? CustomerId = null);

/// <summary>
/// Which send a provider request is, as a tag providers echo back: <c>journey/instance/step</c>. Built and read here
/// only; none of its parts holds a <c>/</c>.
/// </summary>
public readonly record struct SendTag(string JourneyId, string InstanceId, string StepId)
{
    public override string ToString() => $"{JourneyId}/{InstanceId}/{StepId}";

    /// <summary>The parts of a tag; those missing are empty.</summary>
    public static SendTag Read(string? tag)
    {
        var parts = (tag ?? "").Split('/');
        return new SendTag(parts[0], parts.Length > 1 ? parts[1] : "", parts.Length > 2 ? parts[2] : "");
    }
}

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
