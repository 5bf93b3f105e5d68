using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PhoneNumbers;
using Retention.Core.Definitions;
using Retention.Core.Runtime;
using Retention.Core.Time;

namespace Retention.Core.Events;

/// <summary>A CloudEvent as accepted from a core system, before the customer it concerns is resolved.</summary>
public sealed record IncomingEvent(string Id, string Source, string Type, DateTimeOffset? Time, JsonObject Data)
{
    public string? CustomerId => Data["customerId"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}

/// <summary>
/// The event times accepted from a producer: at most <paramref name="Ahead"/> after the service's clock (its drift) and
/// at most <paramref name="Behind"/> before it (a late delivery).
/// </summary>
public sealed record EventTimeWindow(DateTimeOffset Now, TimeSpan Ahead, TimeSpan Behind)
{
    public bool Contains(DateTimeOffset time) => time <= Now + Ahead && time >= Now - Behind;

    public string Describe() =>
        $"must lie within {Span(Ahead)} ahead of and {Span(Behind)} behind the service's clock (now {Now.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ})";

    private static string Span(TimeSpan span) =>
        span.TotalDays >= 1 && span.TotalDays == Math.Floor(span.TotalDays) ? $"{span.TotalDays:0} days"
        : span.TotalMinutes >= 1 && span.TotalMinutes == Math.Floor(span.TotalMinutes) ? $"{span.TotalMinutes:0} minutes"
        : $"{span.TotalSeconds:0} seconds";
}

/// <summary>
/// Validates CloudEvents 1.0 against the public contract (API.md): the envelope and each known type's data, with
/// every fault reported at its JSON Pointer (<c>/2/data/phone</c> inside a batch).
/// </summary>
public static partial class CloudEventReader
{
    public const int MaxBatch = 500;

    private sealed record Field(string Name, FieldKind Kind, bool Required, string[]? Values = null);

    private enum FieldKind { Id, Text, Phone, Email, Locale, TimeZone, Date, Timestamp, Amount, Enum, Object, Consent }

    private static readonly Dictionary<string, Field[]> Contract = new(StringComparer.Ordinal)
    {
        [KnownEventTypes.CustomerUpserted] =
        [
            new("customerId", FieldKind.Id, true), new("name", FieldKind.Text, false), new("phone", FieldKind.Phone, false),
            new("email", FieldKind.Email, false), new("locale", FieldKind.Locale, false), new("timeZone", FieldKind.TimeZone, false),
            new("birthday", FieldKind.Date, false), new("ownerId", FieldKind.Id, false), new("region", FieldKind.Text, false),
            new("consent", FieldKind.Consent, false), new("attributes", FieldKind.Object, false),
        ],
        [KnownEventTypes.TransactionPosted] =
        [
            new("customerId", FieldKind.Id, true), new("transactionId", FieldKind.Id, true), new("amount", FieldKind.Amount, true),
            new("currency", FieldKind.Text, false), new("occurredAt", FieldKind.Timestamp, false), new("productCode", FieldKind.Text, false),
        ],
        [KnownEventTypes.SaleCompleted] =
        [
            new("customerId", FieldKind.Id, true), new("saleId", FieldKind.Id, true), new("product", FieldKind.Text, false),
            new("amount", FieldKind.Amount, false), new("currency", FieldKind.Text, false), new("occurredAt", FieldKind.Timestamp, false),
        ],
        [KnownEventTypes.SaleRefunded] = [new("customerId", FieldKind.Id, true), new("saleId", FieldKind.Id, true)],
        [KnownEventTypes.ComplaintOpened] =
        [
            new("customerId", FieldKind.Id, true), new("complaintId", FieldKind.Id, true),
            new("severity", FieldKind.Enum, true, ["critical", "high", "normal", "low"]), new("category", FieldKind.Text, false),
            new("summary", FieldKind.Text, false), new("ownerId", FieldKind.Id, false),
        ],
        [KnownEventTypes.ComplaintResponded] = [new("complaintId", FieldKind.Id, true), new("customerId", FieldKind.Id, false)],
        [KnownEventTypes.ComplaintStatusChanged] =
        [
            new("complaintId", FieldKind.Id, true), new("status", FieldKind.Enum, true, ["pending_customer", "in_progress"]), new("customerId", FieldKind.Id, false),
        ],
        [KnownEventTypes.ComplaintResolved] = [new("complaintId", FieldKind.Id, true), new("customerId", FieldKind.Id, false)],
        [KnownEventTypes.ComplaintReopened] = [new("complaintId", FieldKind.Id, true), new("customerId", FieldKind.Id, false)],
        [KnownEventTypes.ConsentChanged] =
        [
            new("customerId", FieldKind.Id, true), new("channel", FieldKind.Enum, true, ["sms", "email"]),
            new("status", FieldKind.Enum, true, ["opted-in", "opted-out", "unknown"]),
        ],
    };

    private static readonly string[] ConsentValues = ["opted-in", "opted-out", "unknown"];

    [GeneratedRegex(@"^[^@\s""<>]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$", RegexOptions.CultureInvariant)]
    private static partial Regex Email();

    [GeneratedRegex(@"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$", RegexOptions.CultureInvariant)]
    private static partial Regex Locale();

    [GeneratedRegex(@"^[a-z][a-z0-9]*(\.[a-z][a-z0-9_]*)+$", RegexOptions.CultureInvariant)]
    private static partial Regex CustomType();

    public static bool IsKnownType(string type) => Contract.ContainsKey(type);

    /// <summary>The event types the contract names (API.md), each with its data's fields.</summary>
    public static IEnumerable<string> KnownTypes => Contract.Keys;

    /// <summary>A custom event type (not one of the contract's): journeys may wait for and emit these.</summary>
    public static bool IsCustomType(string type) => !IsKnownType(type) && CustomType().IsMatch(type);

    /// <summary>
    /// False when any string or property name in the tree is broken UTF-16 (a lone surrogate written as a JSON escape
    /// such as <c>\ud800</c>), which System.Text.Json refuses to read as a string and storage could not keep.
    /// </summary>
    public static bool IsWellFormedText(JsonNode? node)
    {
        try
        {
            return node switch
            {
                JsonObject obj => obj.All(p => !HasBrokenSurrogate(p.Key) && IsWellFormedText(p.Value)),
                JsonArray array => array.All(IsWellFormedText),
                JsonValue value when value.GetValueKind() == JsonValueKind.String => !HasBrokenSurrogate(value.GetValue<string>()),
                _ => true,
            };
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static bool HasBrokenSurrogate(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Reads one event (<paramref name="pathPrefix"/> "") or a batch element ("/2").</summary>
    /// <param name="window">When given, a <c>time</c> outside it is refused.</param>
    public static IncomingEvent? Read(JsonNode? node, string pathPrefix, List<DefinitionError> errors, EventTimeWindow? window = null)
    {
        if (node is not JsonObject obj)
        {
            errors.Add(new DefinitionError(pathPrefix, "an event must be a JSON object"));
            return null;
        }
        var before = errors.Count;
        var spec = Text(obj, "specversion", pathPrefix, errors, required: true, max: 10);
        if (spec is not null && spec != "1.0")
        {
            errors.Add(new DefinitionError($"{pathPrefix}/specversion", $"must be \"1.0\", not \"{Clip(spec)}\""));
        }
        var id = Text(obj, "id", pathPrefix, errors, required: true, max: 256);
        var source = Text(obj, "source", pathPrefix, errors, required: true, max: 512);
        var type = Text(obj, "type", pathPrefix, errors, required: true, max: 128);
        DateTimeOffset? time = null;
        if (Text(obj, "time", pathPrefix, errors, required: false, max: 64) is { } timeText)
        {
            if (!DateTimeOffset.TryParse(timeText, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var parsed) || !timeText.Contains('T', StringComparison.Ordinal))
            {
                errors.Add(new DefinitionError($"{pathPrefix}/time", "must be an RFC 3339 timestamp such as 2026-11-24T09:30:00Z"));
            }
            else if (window is not null && !window.Contains(parsed))
            {
                errors.Add(new DefinitionError($"{pathPrefix}/time", window.Describe()));
            }
            else
            {
                time = parsed;
            }
        }
        if (obj["data"] is not JsonObject data)
        {
            errors.Add(new DefinitionError($"{pathPrefix}/data", obj["data"] is null ? "is required" : "must be a JSON object"));
            return null;
        }
        if (type is not null)
        {
            if (Contract.TryGetValue(type, out var fields))
            {
                foreach (var field in fields)
                {
                    Check(data, field, $"{pathPrefix}/data", errors);
                }
            }
            else if (CustomType().IsMatch(type))
            {
                Check(data, new Field("customerId", FieldKind.Id, true), $"{pathPrefix}/data", errors);
            }
            else
            {
                errors.Add(new DefinitionError($"{pathPrefix}/type", $"unknown event type \"{Clip(type)}\"; custom types are dotted lower-case names such as survey.answered"));
            }
        }
        return errors.Count == before ? new IncomingEvent(id!, source!, type!, time, data) : null;
    }

    private static void Check(JsonObject data, Field field, string path, List<DefinitionError> errors)
    {
        var at = $"{path}/{field.Name}";
        var node = data[field.Name];
        if (node is null)
        {
            if (field.Required)
            {
                errors.Add(new DefinitionError(at, "is required"));
            }
            return;
        }
        string? text = node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
        string? problem = field.Kind switch
        {
            FieldKind.Id => text is null ? "must be a string" : EntryPolicy.CustomerIdPattern().IsMatch(text) ? null : "must be 1-128 letters, digits or . _ @ : -",
            FieldKind.Text => text is null ? "must be a string" : text.Length > 2000 ? "is longer than 2000 characters" : HasControl(text) ? "must not contain control characters" : null,
            FieldKind.Phone => text is null ? "must be a string" : PhoneProblem(text),
            FieldKind.Email => text is null ? "must be a string" : text.Length <= 254 && Email().IsMatch(text) ? null : "must be an email address",
            FieldKind.Locale => text is null ? "must be a string" : Locale().IsMatch(text) ? null : "must be a locale such as zh-CN or en",
            FieldKind.TimeZone => text is null ? "must be a string" : LocalClock.IsKnownZone(text) && text.Contains('/', StringComparison.Ordinal) || text == "UTC" ? null : "must be an IANA time zone such as Asia/Shanghai",
            FieldKind.Date => text is null ? "must be a string" : DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _) ? null : "must be a date as YYYY-MM-DD",
            FieldKind.Timestamp => text is null ? "must be a string" : DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out _) ? null : "must be an RFC 3339 timestamp",
            FieldKind.Amount => Conditions.JsonNumbers.TryGetDecimal(node, out var amount) && Math.Abs(amount) < 1_000_000_000_000m ? null : "must be a number below 10^12",
            FieldKind.Enum => text is not null && field.Values!.Contains(text) ? null : $"must be one of {string.Join(", ", field.Values!)}",
            FieldKind.Object => node is JsonObject o ? (o.ToJsonString().Length > 16_000 ? "is larger than 16 KB" : null) : "must be a JSON object",
            FieldKind.Consent => Consent(node, at, errors),
            _ => null,
        };
        if (problem is not null)
        {
            errors.Add(new DefinitionError(at, problem));
        }
    }

    /// <summary>E.164 checked by libphonenumber: the number must be written exactly as E.164 and be a valid number of its country.</summary>
    private static string? PhoneProblem(string text)
    {
        const string Example = "such as +8613800138000 (China) or +14255550123 (US)";
        if (text.Length is < 3 or > 16 || text[0] != '+' || text.AsSpan(1).ContainsAnyExceptInRange('0', '9'))
        {
            return $"must be an E.164 phone number: '+', the country code and the national number, digits only with no spaces or punctuation, {Example}";
        }
        PhoneNumber number;
        try
        {
            number = Phones.Parse(text, null);
        }
        catch (NumberParseException e)
        {
            return e.ErrorType switch
            {
                ErrorType.INVALID_COUNTRY_CODE => $"does not start with a known country calling code after '+'; write it as E.164, {Example}",
                ErrorType.TOO_SHORT_NSN or ErrorType.TOO_SHORT_AFTER_IDD => $"is too short: the national number after the country code is missing digits, {Example}",
                ErrorType.TOO_LONG => $"is too long for an E.164 number (at most 15 digits), {Example}",
                _ => $"is not a phone number that can be read as E.164, {Example}",
            };
        }
        var region = Phones.GetRegionCodeForCountryCode(number.CountryCode);
        return Phones.IsPossibleNumberWithReason(number) switch
        {
            PhoneNumberUtil.ValidationResult.TOO_SHORT => $"is too short for country code +{number.CountryCode} ({region}); check the national number is complete",
            PhoneNumberUtil.ValidationResult.TOO_LONG => $"is too long for country code +{number.CountryCode} ({region}); check for extra digits or a national trunk prefix such as 0",
            PhoneNumberUtil.ValidationResult.INVALID_COUNTRY_CODE => $"does not start with a known country calling code after '+', {Example}",
            _ when !Phones.IsValidNumber(number) => $"is not a valid number for country code +{number.CountryCode} ({region}): no such number range; check the digits, and that a trunk prefix such as 0 is left out",
            _ when Phones.Format(number, PhoneNumberFormat.E164) != text => $"must be written in canonical E.164 form ({Phones.Format(number, PhoneNumberFormat.E164).Length} characters); drop any national trunk prefix such as 0",
            _ => null,
        };
    }

    private static readonly PhoneNumberUtil Phones = PhoneNumberUtil.GetInstance();

    private static string? Consent(JsonNode node, string at, List<DefinitionError> errors)
    {
        if (node is not JsonObject consent)
        {
            return "must be an object such as {\"sms\": \"opted-in\", \"email\": \"unknown\"}";
        }
        foreach (var (channel, value) in consent)
        {
            if (channel is not ("sms" or "email"))
            {
                errors.Add(new DefinitionError($"{at}/{channel}", "unknown channel; expected sms or email"));
            }
            else if (value is not JsonValue v || !v.TryGetValue<string>(out var s) || !ConsentValues.Contains(s))
            {
                errors.Add(new DefinitionError($"{at}/{channel}", "must be opted-in, opted-out or unknown"));
            }
        }
        return null;
    }

    private static string? Text(JsonObject obj, string name, string path, List<DefinitionError> errors, bool required, int max)
    {
        var node = obj[name];
        if (node is null)
        {
            if (required)
            {
                errors.Add(new DefinitionError($"{path}/{name}", "is required"));
            }
            return null;
        }
        if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.String)
        {
            errors.Add(new DefinitionError($"{path}/{name}", "must be a string"));
            return null;
        }
        var text = v.GetValue<string>();
        if (text.Length == 0 || text.Length > max || HasControl(text))
        {
            errors.Add(new DefinitionError($"{path}/{name}", $"must be 1-{max} characters with no control characters"));
            return null;
        }
        return text;
    }

    /// <summary>Control characters other than line breaks and tabs, or broken UTF-16 (a lone surrogate from a JSON escape).</summary>
    private static bool HasControl(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsControl(c) && c is not ('\n' or '\r' or '\t'))
            {
                return true;
            }
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return true;
            }
        }
        return false;
    }

    private static string Clip(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
