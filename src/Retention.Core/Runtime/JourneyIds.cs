namespace Retention.Core.Runtime;

/// <summary>
/// An instance's id, <c>journey:customer[:entry key]</c>: deterministic, so a repeated trigger maps to the same instance
/// and cannot start a second one. Built here and read here only. Journey ids and entry-key parts hold no <c>:</c>
/// (<see cref="EntryPolicy.JourneyIdPattern"/>, <see cref="EntryPolicy.KeyPart"/>); customer ids may.
/// </summary>
public readonly record struct InstanceId(string JourneyId, string CustomerId, string? KeyPart = null)
{
    public override string ToString() => KeyPart is null ? $"{JourneyId}:{CustomerId}" : $"{JourneyId}:{CustomerId}:{KeyPart}";

    /// <summary>The journey an instance id belongs to: everything before the first <c>:</c>.</summary>
    public static string JourneyOf(string instanceId)
    {
        ArgumentNullException.ThrowIfNull(instanceId);
        return instanceId.Split(':', 2)[0];
    }

    /// <summary>
    /// What follows the journey: the customer, and the entry key when the journey has one. Only for an instance whose
    /// start input is unknown; wherever the instance's own state or input is at hand, its customer id is exact.
    /// </summary>
    public static string CustomerAndKeyOf(string instanceId)
    {
        ArgumentNullException.ThrowIfNull(instanceId);
        return instanceId.Split(':', 2) is [_, var rest] ? rest : "";
    }
}

/// <summary>
/// One occurrence of a step in an instance, <c>instance/step/occurrence</c>: the key of the effect it commits (a send, a
/// task, a customer update, an emit), so a retry finds what the first attempt did. Built here only.
/// </summary>
public readonly record struct OccurrenceKey(string InstanceId, string StepId, int Occurrence)
{
    public override string ToString() => $"{InstanceId}/{StepId}/{Occurrence}";
}

/// <summary>A send's key: its step occurrence's, and the same message on the fallback channel under a key of its own.</summary>
public static class SendKeys
{
    private const string FallbackSuffix = "/fallback";

    public static string Of(OccurrenceKey occurrence) => occurrence.ToString();

    public static string FallbackOf(string sendKey) => sendKey + FallbackSuffix;
}
