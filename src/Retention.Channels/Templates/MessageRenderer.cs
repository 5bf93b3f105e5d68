using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fluid;
using Retention.Core.Customers;
using Retention.Core.Definitions;
using Retention.Core.Ports;

namespace Retention.Channels.Templates;

/// <summary>
/// Renders Liquid templates (Fluid) with the customer, trigger, context and journey variables, choosing the
/// customer's locale, then its language, then English, then whatever the template has.
/// </summary>
public sealed class MessageRenderer : IMessageRenderer
{
    private static readonly FluidParser Parser = new();
    private readonly TemplateOptions _options = new() { CultureInfo = CultureInfo.InvariantCulture };
    private readonly TemplateOptions _strict = new() { CultureInfo = CultureInfo.InvariantCulture, StrictVariables = true, StrictFilters = true };

    /// <summary>
    /// Checks a template at validation time, so a typo fails the publish rather than a send: the syntax, unknown
    /// filters, and variables outside customer (its known fields), trigger, context and journey.
    /// </summary>
    public string? Check(string template)
    {
        if (!Parser.TryParse(template, out var parsed, out var error))
        {
            return $"template syntax: {error}";
        }
        var context = new TemplateContext(_strict);
        var customer = CustomerSnapshot.Fields.ToDictionary(f => f, object? (f) => f switch
        {
            "attributes" => PermissiveValue.Instance,
            "consent" => new Dictionary<string, object?> { ["sms"] = "opted-in", ["email"] = "opted-in" },
            "tags" => new List<object?> { "x" },
            _ => "x",
        });
        context.SetValue("customer", customer);
        context.SetValue("trigger", PermissiveValue.Instance);
        context.SetValue("context", PermissiveValue.Instance);
        context.SetValue("journey", new Dictionary<string, object?> { ["id"] = "x", ["name"] = "x", ["version"] = 1, ["instanceId"] = "x" });
        try
        {
            parsed.Render(context);
            return null;
        }
        catch (Exception e) when (e is FluidException or InvalidOperationException or ParseException or ArgumentException or NotSupportedException)
        {
            return $"template: {e.Message}";
        }
    }

    public RenderedMessage Render(MessageTemplate template, MessageChannel channel, JsonObject variables)
    {
        var locale = variables["customer"]?["locale"] is JsonValue v && v.TryGetValue<string>(out var l) ? l : null;
        var context = new TemplateContext(_options);
        foreach (var (name, value) in variables)
        {
            context.SetValue(name, ToModel(value));
        }
        if (channel == MessageChannel.Sms)
        {
            var chosen = Choose(template.Sms.Keys, locale);
            return new RenderedMessage(chosen, RenderText(template.Sms[chosen], context), null, null);
        }
        var emailLocale = Choose(template.Email.Keys, locale);
        var email = template.Email[emailLocale];
        return new RenderedMessage(emailLocale, RenderText(email.Text, context), RenderText(email.Subject, context),
            email.Html is null ? null : RenderText(email.Html, context));
    }

    public static string Choose(IEnumerable<string> available, string? wanted)
    {
        var locales = available.ToList();
        if (wanted is not null)
        {
            if (locales.FirstOrDefault(l => string.Equals(l, wanted, StringComparison.OrdinalIgnoreCase)) is { } exact)
            {
                return exact;
            }
            var language = wanted.Split('-')[0];
            if (locales.FirstOrDefault(l => string.Equals(l.Split('-')[0], language, StringComparison.OrdinalIgnoreCase)) is { } sameLanguage)
            {
                return sameLanguage;
            }
        }
        return locales.FirstOrDefault(l => l == "en") ?? locales[0];
    }

    private static string RenderText(string text, TemplateContext context)
    {
        if (!Parser.TryParse(text, out var template, out var error))
        {
            throw new InvalidOperationException($"Template does not parse: {error}");
        }
        return template.Render(context);
    }

    /// <summary>JSON to the dictionaries, lists and primitives Fluid reads.</summary>
    private static object? ToModel(JsonNode? node) => node switch
    {
        null => null,
        JsonObject obj => obj.ToDictionary(kv => kv.Key, kv => ToModel(kv.Value)),
        JsonArray array => array.Select(ToModel).ToList(),
        JsonValue value => value.GetValueKind() switch
        {
            JsonValueKind.String => value.GetValue<string>(),
            JsonValueKind.Number => Retention.Core.Conditions.JsonNumbers.TryGetDecimal(value, out var number) ? number : null,
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => null,
        },
        _ => node.ToJsonString(),
    };
}
