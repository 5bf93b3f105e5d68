using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Retention.Core.Definitions;

namespace Retention.Core.Runtime;

/// <summary>
/// An effect the interpreter asks for. The runtime commits commands with the state (the outbox) and only then
/// carries them out, each idempotently, so a replay after a crash never repeats a customer-visible effect.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "command")]
[JsonDerivedType(typeof(ScheduleTimer), "timer")]
[JsonDerivedType(typeof(SendMessage), "send")]
[JsonDerivedType(typeof(CreateTask), "task")]
[JsonDerivedType(typeof(UpdateCustomer), "update")]
[JsonDerivedType(typeof(EmitEvent), "emit")]
public abstract record JourneyCommand;

public sealed record ScheduleTimer(string InstanceId, long Token, DateTimeOffset DueAt) : JourneyCommand;

/// <summary>
/// One logical message. <see cref="SendKey"/> is (instance, step, occurrence); <see cref="RepeatabilityId"/> and
/// <see cref="FirstAttemptAt"/> are fixed when the send is committed and reused on every retry.
/// </summary>
public sealed record SendMessage(
    string SendKey,
    Guid RepeatabilityId,
    DateTimeOffset FirstAttemptAt,
    string InstanceId,
    string JourneyId,
    int Version,
    string StepId,
    string CustomerId,
    [property: JsonConverter(typeof(JsonStringEnumConverter<MessageChannel>))] MessageChannel Channel,
    [property: JsonConverter(typeof(JsonStringEnumConverter<MessageCategory>))] MessageCategory Category,
    string Template,
    JsonObject Variables,
    [property: JsonConverter(typeof(JsonStringEnumConverter<MessageChannel>))] MessageChannel? Fallback = null,
    DateTimeOffset? ExpiresAt = null) : JourneyCommand
{
    /// <summary>The same logical message on the step's fallback channel: its own key, so it is sent at most once too.</summary>
    public SendMessage AsFallback() => this with
    {
        SendKey = SendKeys.FallbackOf(SendKey),
        RepeatabilityId = StableHash.Uuid(SendKeys.FallbackOf(SendKey)),
        Channel = Fallback ?? throw new InvalidOperationException("The step has no fallback channel."),
        Fallback = null,
    };
}

public sealed record CreateTask(
    string TaskKey,
    string InstanceId,
    string JourneyId,
    string StepId,
    string CustomerId,
    string Kind,
    string Title,
    string? AssigneeId,
    string? Role,
    DateTimeOffset DueAt) : JourneyCommand;

/// <param name="UpdateKey">(instance, step, occurrence): additions are applied once under this key.</param>
public sealed record UpdateCustomer(
    string CustomerId,
    IReadOnlyDictionary<string, JsonNode?> SetAttributes,
    IReadOnlyList<string> AddTags,
    IReadOnlyList<string> RemoveTags,
    IReadOnlyDictionary<string, decimal>? AddToAttributes = null,
    string? UpdateKey = null) : JourneyCommand;

/// <summary>An event for another (or the same) customer, routed like an ingested one; its id makes a retry a duplicate.</summary>
public sealed record EmitEvent(string EventId, string Type, string CustomerId, DateTimeOffset Time, JsonObject Data) : JourneyCommand;
