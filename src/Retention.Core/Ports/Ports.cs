using System.Text.Json.Nodes;
using Retention.Core.Definitions;
using Retention.Core.Runtime;

namespace Retention.Core.Ports;

/// <summary>Published journey versions. Versions are immutable, so an instance can always load the one it started on.</summary>
public interface IJourneyCatalog
{
    /// <summary>The active (latest published, not paused) version of every journey.</summary>
    IReadOnlyList<JourneyDefinition> Active { get; }

    ValueTask<JourneyDefinition?> GetAsync(string journeyId, int version, CancellationToken cancellationToken);
}

public enum SendStatus { Sent, Duplicate, Deferred, Suppressed, Failed }

/// <param name="Detail">Why it was deferred, suppressed or failed; never the recipient's address.</param>
/// <param name="DeferredUntil">For <see cref="SendStatus.Deferred"/>: when to try again.</param>
public sealed record SendOutcome(SendStatus Status, string? ProviderMessageId, string? Detail, DateTimeOffset? DeferredUntil = null);

/// <summary>
/// Carries out a committed send: renders it, applies the contact policies and hands it to the channel's provider.
/// Must be idempotent on <see cref="SendMessage.SendKey"/>: the runtime may call it again after a crash.
/// A message that may not go out yet (quiet hours, a frequency cap, a throttled provider) comes back
/// <see cref="SendStatus.Deferred"/>, and the runtime retries it durably at that time.
/// </summary>
public interface IMessageSender
{
    Task<SendOutcome> SendAsync(SendMessage message, CancellationToken cancellationToken);
}

/// <summary>Staff tasks created by journeys; idempotent on <see cref="CreateTask.TaskKey"/>.</summary>
public interface ITaskSink
{
    Task CreateAsync(CreateTask task, CancellationToken cancellationToken);
}

/// <summary>Customer profiles as JSON snapshots (see <see cref="Customers.CustomerSnapshot"/>).</summary>
public interface ICustomerProfiles
{
    Task<JsonObject?> GetAsync(string customerId, CancellationToken cancellationToken);

    Task ApplyAsync(UpdateCustomer update, CancellationToken cancellationToken);
}
