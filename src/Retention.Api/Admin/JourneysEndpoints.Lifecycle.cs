using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Retention.Api.Composition;
using Retention.Api.Security;
using Retention.Application.Journeys;
using Retention.Application.Simulation;
using Retention.Core.Definitions;
using Retention.Core.Runtime;
using Retention.Storage.Journeys;

namespace Retention.Api.Admin;

public sealed record DraftSaved(string Id, DateTimeOffset SavedAt, bool Valid);

public sealed record JourneyDiffView(JsonNode? From, JsonNode? To, IReadOnlyList<JsonChange> Changes);

/// <param name="Migration">The migration moving or ending the instances in flight (with "migrate" or "end"): its id and progress resource.</param>
public sealed record PublishedView(int Version, long Kept, long Migrated, long Ended, MigrationLink? Migration = null);

public sealed record MigrationLink(string Id, string Href);

/// <summary>The journey lifecycle: drafts, versions, diff, publish with the in-flight choice, export/import and simulation.</summary>
public static partial class JourneysEndpoints
{
    /// <summary>For the name and trigger of a stored draft, which was validated in full when it was saved.</summary>
    private static readonly JourneyDefinitionReader Reader = new();

    private static void MapLifecycle(RouteGroupBuilder group)
    {
        group.MapGet("/{id}/versions/{version:int}", VersionAsync).RequireAuthorization(Roles.Viewer).WithSummary("The definition of a published version")
            .Produces<JsonObject>(StatusCodes.Status200OK, "application/json");
        group.MapPut("/{id}/draft", SaveDraftAsync).ReadsJsonBody().RequireAuthorization(Roles.Editor).WithSummary("Save a validated draft (a new id creates a journey's first draft)");
        group.MapDelete("/{id}/draft", DiscardDraftAsync).RequireAuthorization(Roles.Editor).WithSummary("Discard the draft");
        group.MapGet("/{id}/diff", DiffAsync).RequireAuthorization(Roles.Viewer).WithSummary("Structural diff of two versions or a version and the draft, steps matched by id");
        group.MapPost("/{id}/publish", PublishAsync).ReadsJsonBody(optional: true).RequireAuthorization(Roles.Publisher)
            .WithSummary("Publish the draft as the next version; keep, migrate or end the instances in flight");
        group.MapGet("/{id}/export", ExportAsync).RequireAuthorization(Roles.Viewer).WithSummary("Download the active version, a version or the draft as JSON")
            .Produces<JsonObject>(StatusCodes.Status200OK, "application/json");
        group.MapPost("/import", ImportAsync).ReadsJsonBody().RequireAuthorization(Roles.Editor).WithSummary("Save a definition as the draft of its id");
        group.MapPost("/{id}/simulate", SimulateAsync).ReadsJsonBody().RequireAuthorization(Roles.Viewer)
            .WithSummary("Run a draft, version or unsaved definition for one customer under virtual time; never sends");
    }

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> VersionAsync(string id, int version, JourneyCatalog catalog, CancellationToken cancellationToken) =>
        await catalog.ReadJsonAsync(id, version, cancellationToken) is { } json
            ? TypedResults.Text(json, "application/json", Encoding.UTF8)
            : Problems.NotFound($"Journey {id} has no version {version}.");

    private static async Task<Results<Ok<DraftSaved>, ProblemHttpResult>> SaveDraftAsync(
        string id, HttpContext context, JourneyDrafts drafts, JourneyDefinitionReader reader, CancellationToken cancellationToken) =>
        await SaveAsync(id, await ReadBodyAsync(context.Request, cancellationToken), context, drafts, reader, cancellationToken);

    private static async Task<Results<Ok<DraftSaved>, ProblemHttpResult>> ImportAsync(
        HttpContext context, JourneyDrafts drafts, JourneyDefinitionReader reader, CancellationToken cancellationToken)
    {
        var json = await ReadBodyAsync(context.Request, cancellationToken);
        var id = (TryParse(json) as JsonObject)?["id"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        return await SaveAsync(id, json, context, drafts, reader, cancellationToken);
    }

    /// <summary>Validates in full (templates and calendars included) and saves only a valid definition.</summary>
    private static async Task<Results<Ok<DraftSaved>, ProblemHttpResult>> SaveAsync(
        string? id, string json, HttpContext context, JourneyDrafts drafts, JourneyDefinitionReader reader, CancellationToken cancellationToken)
    {
        if (json.Length > JourneyDrafts.MaxChars)
        {
            return Problems.Validation([new DefinitionError("", $"a definition may have at most {JourneyDrafts.MaxChars} characters")]);
        }
        if (id is not null)
        {
            AuditDetails.Target(context, id); // an import names its journey only in the body
        }
        var read = reader.Read(json);
        if (!read.IsValid)
        {
            return Problems.Validation(read.Errors, "The journey definition is not valid");
        }
        if (id is null || read.Definition!.Id != id)
        {
            return Problems.Validation([new DefinitionError("/id", $"must be the journey's id '{id}' from the URL")]);
        }
        var previous = await drafts.GetAsync(id, cancellationToken);
        var saved = await drafts.SaveAsync(id, json, Actor(context), cancellationToken);
        AuditDetails.Record(context, previous is null ? null : DraftAudit(previous.Json, previous.SavedAt), DraftAudit(json, saved.SavedAt));
        return TypedResults.Ok(new DraftSaved(id, saved.SavedAt, true));
    }

    private static async Task<NoContent> DiscardDraftAsync(string id, HttpContext context, JourneyDrafts drafts, CancellationToken cancellationToken)
    {
        var previous = await drafts.GetAsync(id, cancellationToken);
        await drafts.DeleteAsync(id, null, cancellationToken);
        AuditDetails.Record(context, previous is null ? null : DraftAudit(previous.Json, previous.SavedAt), null);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<JourneyDiffView>, ProblemHttpResult>> DiffAsync(
        string id, string? from, string? to, JourneyCatalog catalog, JourneyDrafts drafts, CancellationToken cancellationToken)
    {
        var head = catalog.Heads.FirstOrDefault(h => h.JourneyId == id);
        var errors = new List<DefinitionError>();
        var fromSide = Side(from, head is null ? null : head.LatestVersion.ToString(CultureInfo.InvariantCulture), "/from", errors);
        var toSide = Side(to, "draft", "/to", errors);
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }
        if (head is null && await drafts.GetAsync(id, cancellationToken) is null)
        {
            return Problems.NotFound($"No journey {id}.");
        }
        var (fromJson, fromMissing) = await SideJsonAsync(id, fromSide, catalog, drafts, cancellationToken);
        var (toJson, toMissing) = await SideJsonAsync(id, toSide, catalog, drafts, cancellationToken);
        if ((fromMissing ?? toMissing) is { } missing)
        {
            return Problems.NotFound(missing);
        }
        return TypedResults.Ok(new JourneyDiffView(SideLabel(fromSide), SideLabel(toSide), JourneyDiff.Compare(fromJson, toJson)));
    }

    /// <summary>200 when the instances in flight are kept; 202 with the migration's progress resource when a migration moves or ends them.</summary>
    private static async Task<Results<Ok<PublishedView>, Accepted<PublishedView>, ProblemHttpResult>> PublishAsync(
        string id, HttpContext context, JourneyPublisher publisher, JourneyCatalog catalog, CancellationToken cancellationToken)
    {
        var errors = new List<DefinitionError>();
        var request = ReadPublishRequest(await ReadBodyAsync(context.Request, cancellationToken), errors);
        if (request is null)
        {
            return Problems.Validation(errors);
        }
        var before = catalog.Heads.FirstOrDefault(h => h.JourneyId == id)?.LatestVersion;
        switch (await publisher.PublishAsync(id, request, Actor(context), cancellationToken))
        {
            case NothingToPublish:
                return Problems.Of(StatusCodes.Status409Conflict, "Nothing to publish", $"Journey {id} has no draft; save one with PUT /api/journeys/{id}/draft first.");
            case PublishRefused refused:
                return Problems.Validation(refused.Errors, "Nothing was published");
            case Published published:
                AuditDetails.Record(context, new JsonObject { ["activeVersion"] = before },
                    new JsonObject
                    {
                        ["activeVersion"] = published.Version,
                        ["inFlight"] = request.InFlight.ToString().ToLowerInvariant(),
                        ["kept"] = published.Kept,
                        ["migrated"] = published.Migrated,
                        ["ended"] = published.Ended,
                    });
                if (published.MigrationId is { } migrationId)
                {
                    var href = MigrationsEndpoints.Href(migrationId);
                    return TypedResults.Accepted(href, new PublishedView(published.Version, published.Kept, published.Migrated, published.Ended, new MigrationLink(migrationId, href)));
                }
                return TypedResults.Ok(new PublishedView(published.Version, published.Kept, published.Migrated, published.Ended));
            default:
                throw new InvalidOperationException("Unhandled publish outcome.");
        }
    }

    private static async Task<Results<FileContentHttpResult, ProblemHttpResult>> ExportAsync(
        string id, int? version, bool? draft, JourneyCatalog catalog, JourneyDrafts drafts, CancellationToken cancellationToken)
    {
        string? json;
        string name;
        if (draft == true)
        {
            json = (await drafts.GetAsync(id, cancellationToken))?.Json;
            name = $"{id}-draft.json";
        }
        else
        {
            var number = version ?? catalog.Heads.FirstOrDefault(h => h.JourneyId == id)?.LatestVersion;
            json = number is { } n ? await catalog.ReadJsonAsync(id, n, cancellationToken) : null;
            name = $"{id}-v{number}.json";
        }
        return json is null
            ? Problems.NotFound($"Journey {id} has no {(draft == true ? "draft" : version is null ? "published version" : $"version {version}")}.")
            : TypedResults.File(Encoding.UTF8.GetBytes(json), "application/json", name);
    }

    private static async Task<Results<Ok<SimulationResult>, ProblemHttpResult>> SimulateAsync(
        string id, HttpRequest request, JourneySimulation simulation, CancellationToken cancellationToken) =>
        await simulation.SimulateAsync(id, await ReadBodyAsync(request, cancellationToken), cancellationToken) switch
        {
            Simulated simulated => TypedResults.Ok(simulated.Result),
            SimulationRefused refused => Problems.Validation(refused.Errors, refused.Title),
            SimulationNotFound missing => Problems.NotFound(missing.Detail),
            var other => throw new InvalidOperationException($"Unhandled simulation outcome {other}."),
        };

    private static PublishRequest? ReadPublishRequest(string body, List<DefinitionError> errors)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return new PublishRequest(InFlightChoice.Keep, new Dictionary<string, string>(), null);
        }
        if (TryParse(body) is not JsonObject obj)
        {
            errors.Add(new DefinitionError("", "the body must be a JSON object: { inFlight, mapping?, outcome? }"));
            return null;
        }
        foreach (var key in obj.Select(kv => kv.Key).Where(k => k is not ("inFlight" or "mapping" or "outcome")))
        {
            errors.Add(new DefinitionError($"/{key}", "unknown property; expected inFlight, mapping and outcome"));
        }
        var choice = (obj["inFlight"] as JsonValue)?.TryGetValue<string>(out var c) == true ? c : obj["inFlight"] is null ? "keep" : null;
        var inFlight = choice switch
        {
            "keep" => InFlightChoice.Keep,
            "migrate" => InFlightChoice.Migrate,
            "end" => InFlightChoice.End,
            _ => (InFlightChoice?)null,
        };
        if (inFlight is null)
        {
            errors.Add(new DefinitionError("/inFlight", "must be keep, migrate or end"));
        }
        var mapping = new Dictionary<string, string>(StringComparer.Ordinal);
        if (obj["mapping"] is JsonObject map)
        {
            foreach (var (from, target) in map)
            {
                if ((target as JsonValue)?.TryGetValue<string>(out var step) == true && step.Length > 0)
                {
                    mapping[from] = step;
                }
                else
                {
                    errors.Add(new DefinitionError(JsonPointer.Append("/mapping", from), "must be the id of a step of the new version"));
                }
            }
        }
        else if (obj["mapping"] is not null)
        {
            errors.Add(new DefinitionError("/mapping", "must be an object from old step id to new step id"));
        }
        string? outcome = null;
        if (obj["outcome"] is { } outcomeNode && ((outcomeNode as JsonValue)?.TryGetValue(out outcome) != true || outcome is not { Length: > 0 and <= 200 }))
        {
            errors.Add(new DefinitionError("/outcome", "must be a string of 1 to 200 characters"));
        }
        return errors.Count > 0 ? null : new PublishRequest(inFlight!.Value, mapping, outcome);
    }

    /// <summary>"draft", a version number, or the default; null when the journey has no such side (no published version).</summary>
    private static string? Side(string? given, string? fallback, string path, List<DefinitionError> errors)
    {
        if (given is null)
        {
            return fallback;
        }
        if (given == "draft" || (int.TryParse(given, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1))
        {
            return given;
        }
        errors.Add(new DefinitionError(path, "must be a version number or draft"));
        return null;
    }

    private static JsonNode? SideLabel(string? side) =>
        side is null ? null : side == "draft" ? JsonValue.Create("draft") : JsonValue.Create(int.Parse(side, CultureInfo.InvariantCulture));

    private static async Task<(JsonNode? Json, string? Missing)> SideJsonAsync(string id, string? side, JourneyCatalog catalog, JourneyDrafts drafts, CancellationToken cancellationToken)
    {
        if (side is null)
        {
            return (null, null); // a journey never published: everything in the draft is added
        }
        if (side == "draft")
        {
            return await drafts.GetAsync(id, cancellationToken) is { } draft ? (JsonNode.Parse(draft.Json), null) : (null, $"Journey {id} has no draft.");
        }
        var version = int.Parse(side, CultureInfo.InvariantCulture);
        return await catalog.ReadJsonAsync(id, version, cancellationToken) is { } json ? (JsonNode.Parse(json), null) : (null, $"Journey {id} has no version {version}.");
    }

    private static JsonObject DraftAudit(string json, DateTimeOffset savedAt) =>
        new() { ["draftHash"] = StableHash.Hex(json, 32), ["savedAt"] = savedAt, ["chars"] = json.Length };

    private static string Actor(HttpContext context) => context.User.Identity?.Name ?? "unknown";

    private static async Task<string> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(request.Body);
        return await reader.ReadToEndAsync(cancellationToken);
    }

    private static JsonNode? TryParse(string json) => StrictJson.Parse(json, out _);
}
