using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Retention.Api.Composition;
using Retention.Api.Security;
using Retention.Core.Calendars;
using Retention.Core.Definitions;
using Retention.Core.Runtime;
using Retention.Storage.Reference;

namespace Retention.Api.Admin;

/// <param name="Latest">The version new instances and generations pin; instances in flight keep the one they pinned.</param>
public sealed record ReferenceDataView(string Kind, int LatestVersion, JsonNode? Latest, IReadOnlyList<ReferenceVersionInfo> Versions, ReferenceDraftView? Draft);

public sealed record ReferenceDraftView(JsonNode? Document, DateTimeOffset SavedAt, string SavedBy);

public sealed record ReferenceVersionView(string Kind, int Version, JsonNode? Document);

public sealed record ReferencePublished(string Kind, int Version);

/// <summary>
/// The versioned data journeys read besides their definitions (API.md): the business calendars with the region map
/// (<c>/api/calendars</c>) and the staff directory (<c>/api/staff</c>). Each is imported as a checked draft and
/// published as the next version, like journeys; every change is audited.
/// </summary>
public static class ReferenceDataEndpoints
{
    /// <summary>A version's document at most this long: a few dozen calendars with their holidays, or a large directory.</summary>
    public const int MaxChars = 512 * 1024;

    public static IEndpointRouteBuilder MapReferenceDataEndpoints(this IEndpointRouteBuilder app)
    {
        Map(app, "/api/calendars", ReferenceKinds.Calendars, "business calendars",
            json => CalendarSet.Read(json).Errors);
        Map(app, "/api/staff", ReferenceKinds.Staff, "staff directory",
            json => StaffDirectory.Read(json).Errors);
        return app;
    }

    private static void Map(IEndpointRouteBuilder app, string route, string kind, string what, Func<string, IReadOnlyList<DefinitionError>> check)
    {
        var group = app.MapGroup(route).WithTags("Reference data");
        group.MapGet("", (ReferenceDataStore store, CancellationToken ct) => GetAsync(kind, store, ct)).RequireAuthorization(Roles.Viewer)
            .WithSummary($"The {what}: the latest version, every version, and the draft");
        group.MapGet("/versions/{version:int}", (int version, ReferenceDataStore store, CancellationToken ct) => VersionAsync(kind, version, store, ct))
            .RequireAuthorization(Roles.Viewer).WithSummary($"A published version of the {what}");
        group.MapPost("/import", (HttpContext context, ReferenceDataStore store, CancellationToken ct) => ImportAsync(kind, check, context, store, ct))
            .ReadsJsonBody().RequireAuthorization(Roles.Editor).WithSummary($"Check a version of the {what} and save it as the draft");
        group.MapPost("/publish", (HttpContext context, ReferenceDataStore store, CancellationToken ct) => PublishAsync(kind, context, store, ct))
            .RequireAuthorization(Roles.Publisher).WithSummary($"Publish the draft as the next version of the {what}; instances in flight keep theirs");
    }

    private static async Task<Ok<ReferenceDataView>> GetAsync(string kind, ReferenceDataStore store, CancellationToken cancellationToken)
    {
        var latest = store.Latest(kind);
        var draft = await store.DraftAsync(kind, cancellationToken);
        return TypedResults.Ok(new ReferenceDataView(kind, latest?.Version ?? 0, latest is null ? null : JsonNode.Parse(latest.Document),
            await store.VersionsAsync(kind, cancellationToken),
            draft is null ? null : new ReferenceDraftView(JsonNode.Parse(draft.Document), draft.SavedAt, draft.SavedBy)));
    }

    private static async Task<Results<Ok<ReferenceVersionView>, ProblemHttpResult>> VersionAsync(string kind, int version, ReferenceDataStore store, CancellationToken cancellationToken) =>
        await store.ReadAsync(kind, version, cancellationToken) is { } document
            ? TypedResults.Ok(new ReferenceVersionView(kind, version, JsonNode.Parse(document)))
            : Problems.NotFound($"No {kind} version {version}.");

    private static async Task<Results<Ok<ReferenceDraftView>, ProblemHttpResult>> ImportAsync(
        string kind, Func<string, IReadOnlyList<DefinitionError>> check, HttpContext context, ReferenceDataStore store, CancellationToken cancellationToken)
    {
        AuditDetails.Target(context, kind);
        using var reader = new StreamReader(context.Request.Body);
        var json = await reader.ReadToEndAsync(cancellationToken);
        if (json.Length > MaxChars)
        {
            return Problems.Validation([new DefinitionError("", $"a version may have at most {MaxChars} characters")]);
        }
        if (check(json) is { Count: > 0 } errors)
        {
            return Problems.Validation(errors, $"The {kind} version is not valid");
        }
        var previous = await store.DraftAsync(kind, cancellationToken);
        var saved = await store.SaveDraftAsync(kind, json, Actor(context), cancellationToken);
        AuditDetails.Record(context, previous is null ? null : Audit(previous.Document), Audit(json));
        return TypedResults.Ok(new ReferenceDraftView(JsonNode.Parse(saved.Document), saved.SavedAt, saved.SavedBy));
    }

    private static async Task<Results<Ok<ReferencePublished>, ProblemHttpResult>> PublishAsync(string kind, HttpContext context, ReferenceDataStore store, CancellationToken cancellationToken)
    {
        AuditDetails.Target(context, kind);
        var before = store.Latest(kind)?.Version ?? 0;
        if (await store.PublishDraftAsync(kind, Actor(context), cancellationToken) is not { } version)
        {
            return Problems.Of(StatusCodes.Status409Conflict, "Conflict", $"There is no {kind} draft to publish: import one first.");
        }
        AuditDetails.Record(context, new JsonObject { ["latestVersion"] = before }, new JsonObject { ["latestVersion"] = version });
        return TypedResults.Ok(new ReferencePublished(kind, version));
    }

    private static JsonObject Audit(string document) => new() { ["hash"] = StableHash.Hex(document, 32), ["chars"] = document.Length };

    private static string Actor(HttpContext context) => context.User.Identity?.Name ?? "unknown";
}
