using Retention.Core.Runtime;

namespace Retention.Core.Ports;

public sealed record CustomerInstanceEntry(string InstanceId, string JourneyId, InstanceStatus Status, DateTimeOffset StartedAt);

/// <summary>The per-customer index of instances that routes a customer's events to its running instances.</summary>
public interface ICustomerInstanceIndex
{
    Task AddPendingAsync(string customerId, string instanceId, string journeyId, DateTimeOffset startedAt, CancellationToken cancellationToken);

    Task<IReadOnlyList<CustomerInstanceEntry>> ListAsync(string customerId, bool activeOnly, CancellationToken cancellationToken);

    Task RemoveAsync(string customerId, string instanceId, CancellationToken cancellationToken);
}

/// <summary>When each customer last entered each journey: what the once and cooldown re-entry policies read.</summary>
public interface IEnrollments
{
    Task<Enrollment?> GetAsync(string customerId, string journeyId, CancellationToken cancellationToken);

    /// <param name="previous">The enrollment the entry decision was made on, so recording costs no second read.</param>
    Task RecordEntryAsync(string customerId, string journeyId, DateTimeOffset enteredAt, Enrollment? previous, CancellationToken cancellationToken);
}
