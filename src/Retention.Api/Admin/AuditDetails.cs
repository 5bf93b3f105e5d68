using System.Text.Json.Nodes;

namespace Retention.Api.Admin;

/// <summary>
/// The before/after an endpoint knows of its change (a journey's version, its draft), handed to the audit middleware
/// through the request, since only the endpoint knows what it changed.
/// </summary>
public static class AuditDetails
{
    private const string BeforeKey = "retention.audit.before";
    private const string AfterKey = "retention.audit.after";
    private const string TargetKey = "retention.audit.target";
    private const int MaxChars = 16_000; // well inside a table property

    public static void Record(HttpContext context, JsonNode? before, JsonNode? after)
    {
        context.Items[BeforeKey] = Clip(before?.ToJsonString());
        context.Items[AfterKey] = Clip(after?.ToJsonString());
    }

    /// <summary>What the change is to, when the route does not name it (an import names its journey in the body).</summary>
    public static void Target(HttpContext context, string targetId) => context.Items[TargetKey] = targetId;

    public static string? TargetOf(HttpContext context) => context.Items[TargetKey] as string;

    public static (string? Before, string? After) Of(HttpContext context) =>
        (context.Items[BeforeKey] as string, context.Items[AfterKey] as string);

    private static string? Clip(string? text) => text is null || text.Length <= MaxChars ? text : text[..MaxChars];
}
