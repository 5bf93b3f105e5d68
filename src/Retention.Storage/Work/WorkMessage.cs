using System.Text.Json;
using System.Text.Json.Serialization;
using Retention.Core.Events;

namespace Retention.Storage.Work;

/// <summary>A unit of durable work on the <c>journey-work</c> queue. Every message is safe to process twice.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(TimerMessage), "timer")]
[JsonDerivedType(typeof(RouteEventMessage), "route")]
[JsonDerivedType(typeof(DeliverEventMessage), "deliver")]
[JsonDerivedType(typeof(StartJourneyMessage), "start")]
[JsonDerivedType(typeof(ResumeInstanceMessage), "resume")]
public abstract record WorkMessage;

/// <summary>A durable timer. The token makes a firing for a timer that was since cancelled or replaced stale.</summary>
public sealed record TimerMessage(string InstanceId, long Token, DateTimeOffset DueAt) : WorkMessage;

/// <summary>An accepted event, to be applied to the customer's instances and to start journeys it triggers.</summary>
public sealed record RouteEventMessage(CustomerEvent Event) : WorkMessage;

/// <summary>An event raised for one instance through the admin API.</summary>
public sealed record DeliverEventMessage(string InstanceId, CustomerEvent Event) : WorkMessage;

/// <summary>Starts a journey through the API or a schedule.</summary>
public sealed record StartJourneyMessage(string JourneyId, CustomerEvent Trigger) : WorkMessage;

public sealed record ResumeInstanceMessage(string InstanceId, string Reason) : WorkMessage;

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(WorkMessage))]
public sealed partial class WorkJsonContext : JsonSerializerContext;
