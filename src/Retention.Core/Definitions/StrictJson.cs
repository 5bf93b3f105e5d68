using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Retention.Core.Definitions;

/// <summary>
/// The one reader of JSON that comes from outside (webhooks, admin and dev request bodies, journey definitions): it
/// refuses what System.Text.Json would accept or fail on later, each fault at its JSON Pointer. A member name that
/// appears twice in one object (<c>{"id":"a","id":"b"}</c>) is refused at the second occurrence, since which of the two
/// counts would otherwise depend on the reader.
/// </summary>
public static class StrictJson
{
    public const int DefaultMaxDepth = 64;

    /// <summary>Parses <paramref name="utf8"/>; null with <paramref name="error"/> set when it is not one well-formed JSON value.</summary>
    public static JsonNode? Parse(ReadOnlySpan<byte> utf8, out DefinitionError? error, int maxDepth = DefaultMaxDepth)
    {
        error = Check(utf8, maxDepth);
        if (error is not null)
        {
            return null;
        }
        var bytes = utf8.ToArray();
        return JsonNode.Parse(bytes, documentOptions: new JsonDocumentOptions { MaxDepth = maxDepth });
    }

    /// <inheritdoc cref="Parse(ReadOnlySpan{byte}, out DefinitionError?, int)"/>
    public static JsonNode? Parse(string json, out DefinitionError? error, int maxDepth = DefaultMaxDepth) =>
        Parse(Encoding.UTF8.GetBytes(json), out error, maxDepth);

    /// <summary>
    /// Parses a document that must be one JSON object (a calendar file, a version of the calendars or of the staff
    /// directory); null with <paramref name="error"/> set otherwise.
    /// </summary>
    public static JsonObject? ParseObject(string json, out DefinitionError? error, string notAnObject = "must be a JSON object")
    {
        var node = Parse(json, out error);
        if (error is null && node is not JsonObject)
        {
            error = new DefinitionError("", notAnObject);
        }
        return error is null ? (JsonObject)node! : null;
    }

    /// <summary>Null when <paramref name="utf8"/> is one well-formed JSON value with no repeated member name; otherwise the first fault.</summary>
    public static DefinitionError? Check(ReadOnlySpan<byte> utf8, int maxDepth = DefaultMaxDepth)
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = maxDepth, CommentHandling = JsonCommentHandling.Disallow });
        var open = new List<Container>();
        var any = false;
        try
        {
            while (reader.Read())
            {
                any = true;
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        var top = open[^1];
                        string name;
                        try
                        {
                            name = reader.GetString()!;
                        }
                        catch (InvalidOperationException)
                        {
                            return new DefinitionError(Pointer(open, open.Count), "a member name holds a broken Unicode escape (a lone surrogate such as \\ud800)");
                        }
                        if (!top.Names!.Add(name))
                        {
                            return new DefinitionError(JsonPointer.Append(Pointer(open, open.Count - 1), name),
                                $"repeats the member name \"{Clip(name)}\"; each name may appear only once in an object");
                        }
                        top.Member = name;
                        break;
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        NextItem(open);
                        open.Add(new Container(reader.TokenType == JsonTokenType.StartObject));
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        open.RemoveAt(open.Count - 1);
                        break;
                    default:
                        NextItem(open);
                        break;
                }
            }
        }
        catch (JsonException e)
        {
            return new DefinitionError(Pointer(open, open.Count), $"is not valid JSON: {Reason(e)}");
        }
        return any ? null : new DefinitionError("", "is empty: a JSON value is required");
    }

    /// <summary>A System.Text.Json path (<c>$.data.items[2]</c>, <c>$['a b']</c>) as a JSON Pointer (<c>/data/items/2</c>).</summary>
    public static string PointerOf(string? jsonPath)
    {
        if (string.IsNullOrEmpty(jsonPath) || jsonPath == "$")
        {
            return "";
        }
        var pointer = new StringBuilder();
        var i = jsonPath[0] == '$' ? 1 : 0;
        while (i < jsonPath.Length)
        {
            if (jsonPath[i] == '.')
            {
                var end = jsonPath.IndexOfAny(['.', '['], i + 1);
                end = end < 0 ? jsonPath.Length : end;
                pointer.Append('/').Append(JsonPointer.Escape(jsonPath[(i + 1)..end]));
                i = end;
            }
            else if (jsonPath[i] == '[' && i + 1 < jsonPath.Length && jsonPath[i + 1] == '\'')
            {
                var end = jsonPath.IndexOf("']", i + 2, StringComparison.Ordinal);
                end = end < 0 ? jsonPath.Length : end;
                pointer.Append('/').Append(JsonPointer.Escape(jsonPath[(i + 2)..end]));
                i = Math.Min(jsonPath.Length, end + 2);
            }
            else if (jsonPath[i] == '[')
            {
                var end = jsonPath.IndexOf(']', i + 1);
                end = end < 0 ? jsonPath.Length : end;
                pointer.Append('/').Append(jsonPath[(i + 1)..end]);
                i = Math.Min(jsonPath.Length, end + 1);
            }
            else
            {
                i++;
            }
        }
        return pointer.ToString();
    }

    private sealed class Container(bool isObject)
    {
        public HashSet<string>? Names { get; } = isObject ? new(StringComparer.Ordinal) : null;
        public string? Member { get; set; }
        public int Index { get; set; } = -1;
    }

    /// <summary>A value starts: inside an array it is the next item.</summary>
    private static void NextItem(List<Container> open)
    {
        if (open.Count > 0 && open[^1].Names is null)
        {
            open[^1].Index++;
        }
    }

    /// <summary>The pointer to the current child of each of the first <paramref name="depth"/> open containers.</summary>
    private static string Pointer(List<Container> open, int depth)
    {
        var pointer = new StringBuilder();
        for (var i = 0; i < depth; i++)
        {
            var c = open[i];
            if (c.Names is not null)
            {
                if (c.Member is null)
                {
                    break;
                }
                pointer.Append('/').Append(JsonPointer.Escape(c.Member));
            }
            else
            {
                if (c.Index < 0)
                {
                    break;
                }
                pointer.Append('/').Append(c.Index.ToString(CultureInfo.InvariantCulture));
            }
        }
        return pointer.ToString();
    }

    /// <summary>The reader's message without its "LineNumber: … | BytePositionInLine: …" tail, plus the line and column.</summary>
    private static string Reason(JsonException e)
    {
        var message = e.Message;
        var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        message = cut > 0 ? message[..cut].TrimEnd() : message;
        return e.LineNumber is { } line && e.BytePositionInLine is { } column
            ? $"{message} (line {line + 1}, byte {column + 1})"
            : message;
    }

    private static string Clip(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
