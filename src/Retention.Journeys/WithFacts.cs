using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Retention.Core.Ports;

namespace Retention.Journeys;

/// <summary>
/// An effect activity's input: the command, and what its instance records once the effect is done: the report facts it
/// counts for, when the input that asked for the effect changed them (<see cref="PinnedSettings.CountsWithEffects"/>),
/// and its finish, when that input finished it (<see cref="PinnedSettings.FinishesWithEffects"/>). Stored as the
/// command's own JSON with these beside its properties (<c>countFacts</c>, <c>recordFinished</c>), and without them when
/// there are none: an activity scheduled before effects carried them reads as the command alone, and a generation that
/// does not carry them writes exactly the input it always wrote.
/// </summary>
[JsonConverter(typeof(WithFactsConverter))]
public sealed record WithFacts<TCommand>(TCommand Command, CountedFacts? Facts = null, FinishedInstance? Finished = null) where TCommand : class;

/// <summary>Writes and reads <see cref="WithFacts{TCommand}"/> as its command's JSON object, with the facts as one more property.</summary>
public sealed class WithFactsConverter : JsonConverterFactory
{
    /// <summary>The property holding the facts; no command has one of that name.</summary>
    public const string FactsProperty = "countFacts";

    /// <summary>The property holding the finished instance; no command has one of that name.</summary>
    public const string FinishedProperty = "recordFinished";

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
            return new WithFacts<TCommand>(command, Beside<CountedFacts>(root, FactsProperty, options), Beside<FinishedInstance>(root, FinishedProperty, options));
        }

        private static T? Beside<T>(JsonElement root, string property, JsonSerializerOptions options) where T : class =>
            root.ValueKind == JsonValueKind.Object && root.TryGetProperty(property, out var stored) && stored.ValueKind != JsonValueKind.Null
                ? stored.Deserialize<T>(options)
                : null;

        public override void Write(Utf8JsonWriter writer, WithFacts<TCommand> value, JsonSerializerOptions options)
        {
            // As the engine writes an input it is handed (by its runtime type, so a command keeps its discriminator).
            if (value is { Facts: null, Finished: null })
            {
                JsonSerializer.Serialize<object>(writer, value.Command, options);
                return;
            }
            var command = JsonSerializer.SerializeToNode<object>(value.Command, options)?.AsObject()
                ?? throw new JsonException($"A {typeof(TCommand).Name} is not a JSON object.");
            if (value.Facts is not null)
            {
                command[FactsProperty] = JsonSerializer.SerializeToNode(value.Facts, options);
            }
            if (value.Finished is not null)
            {
                command[FinishedProperty] = JsonSerializer.SerializeToNode(value.Finished, options);
            }
            command.WriteTo(writer, options);
        }
    }
}
