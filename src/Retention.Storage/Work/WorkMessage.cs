using System.Text.Json;
using System.Text.Json.Serialization;
using Retention.Core.Events;
using Retention.Core.Runtime;

namespace Retention.Storage.Work;

/// <summary>A unit of durable work on the <c>journey-work</c> queue. Every message is safe to process twice.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(TimerMessage), "timer")]
[JsonDerivedType(typeof(RouteEventMessage), "route")]
[JsonDerivedType(typeof(DeliverEventMessage), "deliver")]
[JsonDerivedType(typeof(StartJourneyMessage), "start")]
[JsonDerivedType(typeof(ResumeInstanceMessage), "resume")]
[JsonDerivedType(typeof(DeferredSendMessage), "deferred-send")]
[JsonDerivedType(typeof(ScheduledRunMessage), "scheduled-run")]
[JsonDerivedType(typeof(SystemJobMessage), "system-job")]
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

/// <summary>One claimed occurrence of a schedule-triggered journey: select its customers and start them.</summary>
public sealed record ScheduledRunMessage(string JourneyId, DateTimeOffset Occurrence) : WorkMessage;

/// <summary>One occurrence of a configured system job (<c>Retention:Jobs</c>), scheduled or run by hand.</summary>
public sealed record SystemJobMessage(string Job, DateTimeOffset Occurrence, bool Manual = false) : WorkMessage;

/// <summary>A committed send that quiet hours, a frequency cap or a throttled provider held back, due again at <paramref name="NotBefore"/>.</summary>
public sealed record DeferredSendMessage(SendMessage Send, DateTimeOffset NotBefore) : WorkMessage;

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(WorkMessage))]
public sealed partial class WorkJsonContext : JsonSerializerContext;
