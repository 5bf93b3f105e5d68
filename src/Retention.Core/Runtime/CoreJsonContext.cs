using System.Text.Json;
using System.Text.Json.Serialization;

namespace Retention.Core.Runtime;

/// <summary>Source-generated JSON for what the runtime persists: instance state, the outbox and history.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(JourneyInstanceState))]
[JsonSerializable(typeof(List<JourneyCommand>))]
[JsonSerializable(typeof(JourneyCommand))]
[JsonSerializable(typeof(HistoryEntry))]
public sealed partial class CoreJsonContext : JsonSerializerContext;
