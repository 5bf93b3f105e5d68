using System.Text.Json.Nodes;
using Retention.Core.Events;

namespace Retention.Core.Runtime;

/// <summary>Everything that can happen to an instance. The runtime turns queue messages and API calls into these.</summary>
public abstract record JourneyInput;

/// <param name="RecentEvents">The customer's recent events, so one that arrived before the instance existed can still be awaited.</param>
public sealed record StartInstance(
    string InstanceId,
    string? EntryKey,
    CustomerEvent Trigger,
    JsonObject Customer,
    IReadOnlyList<CustomerEvent> RecentEvents) : JourneyInput;

public sealed record TimerFired(long Token) : JourneyInput;

public sealed record EventReceived(CustomerEvent Event) : JourneyInput;

public sealed record SuspendInstance(string Reason) : JourneyInput;

public sealed record ResumeInstance(string Reason) : JourneyInput;

public sealed record TerminateInstance(string Reason) : JourneyInput;
