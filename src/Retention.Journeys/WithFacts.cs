using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Retention.Core.Ports;

namespace Retention.Journeys;

/// <summary>
/// An effect activity's input: the command, and the report facts its instance counts for once the effect is done, when
/// the input that asked for the effect changed them (<see cref="PinnedSettings.CountsWithEffects"/>). Stored as the
/// command's own JSON with the facts beside its properties (<c>countFacts</c>), and without them when there are none:
/// an activity scheduled before effects carried facts reads as the command alone, and a generation that does not carry
/// them writes exactly the input it always wrote.
/// </summary>
[JsonConverter(typeof(WithFactsConverter))]
public sealed record WithFacts<TCommand>(TCommand Command, CountedFacts? Facts = null) where TCommand : class;

/// <summary>Writes and reads <see cref="WithFacts{TCommand}"/> as its command's JSON object, with the facts as one more property.</summary>
public sealed class WithFactsConverter : JsonConverterFactory
{
    /// <summary>The property holding the facts; no command has one of that name.</summary>
    public const string FactsProperty = "countFacts";

    public override bool CanConvert(Type typeToConvert) =>
        typeToConvert.IsGenericType && typeToConvert.GetGenericTypeDefinition() == typeof(WithFacts<>);

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(Converter<>).MakeGenericType(typeToConvert.GetGenericArguments()[0]))!;

    private sealed class Converter<TCommand> : JsonConverter<WithFacts<TCommand>> where TCommand : class
    {
        public override WithFacts<TCommand> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            var command = root.Deserialize<TCommand>(options) ?? throw new JsonException($"An effect's input holds no {typeof(TCommand).Name}.");
            var facts = root.ValueKind == JsonValueKind.Object && root.TryGetProperty(FactsProperty, out var stored) && stored.ValueKind != JsonValueKind.Null
                ? stored.Deserialize<CountedFacts>(options)
                : null;
            return new WithFacts<TCommand>(command, facts);
        }

        public override void Write(Utf8JsonWriter writer, WithFacts<TCommand> value, JsonSerializerOptions options)
        {
            // As the engine writes an input it is handed (by its runtime type, so a command keeps its discriminator).
            if (value.Facts is null)
            {
                JsonSerializer.Serialize<object>(writer, value.Command, options);
                return;
            }
            var command = JsonSerializer.SerializeToNode<object>(value.Command, options)?.AsObject()
                ?? throw new JsonException($"A {typeof(TCommand).Name} is not a JSON object.");
            command[FactsProperty] = JsonSerializer.SerializeToNode(value.Facts, options);
            command.WriteTo(writer, options);
        }
    }
}
