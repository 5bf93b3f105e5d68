using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Retention.Api.Composition;
using Retention.Api.Security;
using Retention.Application.Journeys;
using Retention.Application.Reporting;
using Retention.Application.Routing;
using Retention.Core.Definitions;
using Retention.Core.Events;
using Retention.Core.Runtime;
using Retention.Storage.Journeys;
using Retention.Storage.Routing;

namespace Retention.Api.Admin;

/// <param name="ActiveVersion">0 for a journey that has only a draft.</param>
public sealed record JourneySummary(string Id, string Name, int ActiveVersion, bool Paused, DateTimeOffset? PublishedAt, string Trigger,
    bool HasDraft, DateTimeOffset? DraftSavedAt, JourneyCountsView Counts);

public sealed record JourneyDraftView(JsonNode? Definition, DateTimeOffset SavedAt, string SavedBy);

public sealed record JourneyDetail(string Id, string Name, int ActiveVersion, bool Paused, IReadOnlyList<JourneyVersionInfo> Versions, JsonNode? Definition,
    JourneyDraftView? Draft);

/// <param name="Sms">Each SMS text's segment count as written (variables count as their template text until rendered; preview renders).</param>
public sealed record ValidationReport(bool Valid, string Id, int Steps, IReadOnlyList<string> Templates, IReadOnlyList<TemplateSegments> Sms);

public sealed record TemplateSegments(string Template, string Locale, string Encoding, int Units, int Segments);

public sealed record StartRequest(string CustomerId, string? Key, JsonObject? Data);

public sealed record StartAccepted(string JourneyId, string CustomerId, string TriggerId);

/// <param name="Customer">A profile to render for; or name a stored customer by <paramref name="CustomerId"/>.</param>
/// <param name="Definition">An unsaved definition of the journey whose template is rendered instead of the active version's, as the editor has it.</param>
public sealed record PreviewRequest(string? CustomerId, JsonObject? Customer, string? Channel, JsonObject? Trigger, JsonObject? Context, JsonObject? Definition = null);

public sealed record SegmentInfo(string Encoding, int Units, int Segments);

public sealed record PreviewResponse(string Channel, string Locale, string Body, string? Subject, string? Html, SegmentInfo? Sms);

/// <summary>Journey administration (API.md): the catalog here; drafts, publishing and simulation in JourneysEndpoints.Lifecycle.cs.</summary>
public static partial class JourneysEndpoints
{
    public static IEndpointRouteBuilder MapJourneysEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/journeys").WithTags("Journeys");
        group.MapGet("", List).RequireAuthorization(Roles.Viewer).WithSummary("Journeys with their active version");
        group.MapGet("/schema", Schema).RequireAuthorization(Roles.Viewer).WithSummary("The journey definition JSON Schema")
            .Produces<JsonObject>(StatusCodes.Status200OK, "application/schema+json");
        group.MapPost("/validate", Validate).ReadsJsonBody().RequireAuthorization(Roles.Viewer).WithSummary("Validate a definition without saving it");
        group.MapGet("/{id}", GetAsync).RequireAuthorization(Roles.Viewer).WithSummary("A journey's published versions, active definition and draft");
        group.MapPost("/{id}/pause", (string id, JourneyCatalog catalog, CancellationToken ct) => SetPausedAsync(id, true, catalog, ct)).RequireAuthorization(Roles.Publisher)
            .WithSummary("Stop new entries to the journey; instances already in it continue");
        group.MapPost("/{id}/resume", (string id, JourneyCatalog catalog, CancellationToken ct) => SetPausedAsync(id, false, catalog, ct)).RequireAuthorization(Roles.Publisher)
            .WithSummary("Let new entries into the journey again");
        group.MapPost("/{id}/start", StartAsync).RequireAuthorization(Roles.Operator).WithSummary("Start a journey with an API trigger for one customer");
        group.MapPost("/{id}/templates/{name}/preview", PreviewAsync).RequireAuthorization(Roles.Viewer)
            .WithSummary("Render a template of the active version for a customer, with its SMS segment count");
        MapLifecycle(group);
        return app;
    }

    private static async Task<Ok<List<JourneySummary>>> List(JourneyCatalog catalog, JourneyDrafts drafts, JourneyCounts counts, CancellationToken cancellationToken)
    {
        var draftInfo = (await drafts.ListAsync(cancellationToken)).ToDictionary(d => d.JourneyId, StringComparer.Ordinal);
        var allCounts = await counts.GetAsync(cancellationToken);
        var list = new List<JourneySummary>();
        foreach (var h in catalog.Heads)
        {
            var definition = catalog.Active.FirstOrDefault(d => d.Id == h.JourneyId)
                ?? await catalog.GetAsync(h.JourneyId, h.LatestVersion, cancellationToken); // a paused journey is not active
            var draft = draftInfo.GetValueOrDefault(h.JourneyId);
            list.Add(new JourneySummary(h.JourneyId, definition?.Name ?? h.JourneyId, h.LatestVersion, h.Paused, h.PublishedAt, Describe(definition?.Trigger),
                draft is not null, draft?.SavedAt, allCounts.GetValueOrDefault(h.JourneyId) ?? JourneyCountsView.None));
        }
        foreach (var draft in draftInfo.Values.Where(d => catalog.Heads.All(h => h.JourneyId != d.JourneyId)))
        {
            // A new journey that has only a draft: its name and trigger come from the draft.
            var json = await drafts.GetAsync(draft.JourneyId, cancellationToken);
            var definition = json is null ? null : Reader.Read(json.Json).Definition;
            list.Add(new JourneySummary(draft.JourneyId, definition?.Name ?? draft.JourneyId, 0, false, null, Describe(definition?.Trigger), true, draft.SavedAt,
                JourneyCountsView.None));
        }
        return TypedResults.Ok(list.OrderBy(j => j.Id, StringComparer.Ordinal).ToList());
    }

    /// <summary>The schema the reader checks against, so the editor's step types and field hints are the server's.</summary>
    private static IResult Schema() => Results.Text(JourneySchema.Text, "application/schema+json");

    private static async Task<Results<Ok<ValidationReport>, ProblemHttpResult>> Validate(HttpRequest request, JourneyDefinitionReader reader, CancellationToken cancellationToken)
    {
        using var body = new StreamReader(request.Body);
        var read = reader.Read(await body.ReadToEndAsync(cancellationToken));
        return read.IsValid
            ? TypedResults.Ok(new ValidationReport(true, read.Definition!.Id, read.Definition.Steps.Count, read.Definition.Templates.Keys.ToList(),
                read.Definition.Templates.SelectMany(t => t.Value.Sms.Select(sms =>
                {
                    var count = Retention.Core.Messages.SmsSegments.Count(sms.Value);
                    return new TemplateSegments(t.Key, sms.Key, count.Encoding.ToString(), count.Units, count.Segments);
                })).ToList()))
            : Problems.Validation(read.Errors, "The journey definition is not valid");
    }

    private static async Task<Results<Ok<JourneyDetail>, ProblemHttpResult>> GetAsync(string id, JourneyCatalog catalog, JourneyDrafts drafts, CancellationToken cancellationToken)
    {
        var head = catalog.Heads.FirstOrDefault(h => h.JourneyId == id);
        var draft = await drafts.GetAsync(id, cancellationToken);
        if (head is null && draft is null)
        {
            return Problems.NotFound($"No journey {id}.");
        }
        var draftView = draft is null ? null : new JourneyDraftView(JsonNode.Parse(draft.Json), draft.SavedAt, draft.SavedBy);
        if (head is null)
        {
            return TypedResults.Ok(new JourneyDetail(id, Reader.Read(draft!.Json).Definition?.Name ?? id, 0, false, [], null, draftView));
        }
        var json = await catalog.ReadJsonAsync(id, head.LatestVersion, cancellationToken);
        var definition = await catalog.GetAsync(id, head.LatestVersion, cancellationToken);
        return TypedResults.Ok(new JourneyDetail(id, definition?.Name ?? id, head.LatestVersion, head.Paused,
            await catalog.VersionsAsync(id, head.LatestVersion, cancellationToken), json is null ? null : JsonNode.Parse(json), draftView));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> SetPausedAsync(string id, bool paused, JourneyCatalog catalog, CancellationToken cancellationToken)
    {
        if (catalog.Heads.All(h => h.JourneyId != id))
        {
            return Problems.NotFound($"No journey {id}.");
        }
        await catalog.SetPausedAsync(id, paused, cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Accepted<StartAccepted>, ProblemHttpResult>> StartAsync(
        string id, StartRequest request, JourneyCatalog catalog, JourneyRouter router, TimeProvider time, CancellationToken cancellationToken)
    {
        if (catalog.Active.FirstOrDefault(d => d.Id == id) is not { } journey)
        {
            return Problems.NotFound($"No active journey {id}.");
        }
        var errors = new List<DefinitionError>();
        if (journey.Trigger is not ApiTrigger)
        {
            errors.Add(new DefinitionError("/trigger", $"journey {id} is not started through the API; its trigger is {Describe(journey.Trigger)}"));
        }
        if (request.CustomerId is null || !EntryPolicy.CustomerIdPattern().IsMatch(request.CustomerId))
        {
            errors.Add(new DefinitionError("/customerId", "is required: 1-128 letters, digits or . _ @ : -"));
        }
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }
        var triggerId = request.Key ?? Guid.NewGuid().ToString("N");
        var data = request.Data ?? [];
        data["customerId"] = request.CustomerId;
        var trigger = new CustomerEvent(triggerId, "api", "journey.started", time.GetUtcNow(), request.CustomerId!, data);
        await router.StartAsync(journey, trigger, cancellationToken);
        return TypedResults.Accepted((string?)null, new StartAccepted(id, request.CustomerId!, triggerId));
    }

    private static async Task<Results<Ok<PreviewResponse>, ProblemHttpResult>> PreviewAsync(
        string id, string name, PreviewRequest request, JourneyCatalog catalog, JourneyDefinitionReader reader,
        Retention.Storage.Customers.CustomerProfileStore profiles, Retention.Channels.Templates.MessageRenderer renderer, CancellationToken cancellationToken)
    {
        JourneyDefinition journey;
        if (request.Definition is not null)
        {
            var read = reader.ReadUnsaved(request.Definition, id, "/definition");
            if (!read.IsValid)
            {
                return Problems.Validation(read.Errors, "The journey definition is not valid");
            }
            journey = read.Definition!;
        }
        else if (catalog.Active.FirstOrDefault(d => d.Id == id) is { } active)
        {
            journey = active;
        }
        else
        {
            return Problems.NotFound($"No active journey {id}.");
        }
        if (!journey.Templates.TryGetValue(name, out var template))
        {
            return Problems.NotFound($"Journey {id} has no template {name}.");
        }
        var channel = request.Channel switch
        {
            null => template.Sms.Count > 0 ? MessageChannel.Sms : MessageChannel.Email,
            "sms" => MessageChannel.Sms,
            "email" => MessageChannel.Email,
            _ => (MessageChannel?)null,
        };
        if (channel is null || (channel == MessageChannel.Sms ? template.Sms.Count : template.Email.Count) == 0)
        {
            return Problems.Validation([new DefinitionError("/channel", $"template {name} has content for {string.Join(" and ", new[] { template.Sms.Count > 0 ? "sms" : null, template.Email.Count > 0 ? "email" : null }.Where(c => c is not null))}")]);
        }
        var customer = request.Customer;
        if (customer is null && request.CustomerId is not null)
        {
            customer = await profiles.GetAsync(request.CustomerId, cancellationToken);
            if (customer is null)
            {
                return Problems.NotFound($"No customer {request.CustomerId}.");
            }
        }
        var variables = new JsonObject
        {
            ["customer"] = customer?.DeepClone() ?? new JsonObject(),
            ["trigger"] = request.Trigger?.DeepClone() ?? new JsonObject(),
            ["context"] = request.Context?.DeepClone() ?? new JsonObject(),
            ["journey"] = new JsonObject { ["id"] = journey.Id, ["name"] = journey.Name, ["version"] = journey.Version, ["instanceId"] = "preview" },
        };
        var rendered = renderer.Render(template, channel.Value, variables);
        SegmentInfo? segments = null;
        if (channel == MessageChannel.Sms)
        {
            var count = Retention.Core.Messages.SmsSegments.Count(rendered.Body);
            segments = new SegmentInfo(count.Encoding.ToString(), count.Units, count.Segments);
        }
        return TypedResults.Ok(new PreviewResponse(channel == MessageChannel.Sms ? "sms" : "email", rendered.Locale, rendered.Body, rendered.Subject, rendered.Html, segments));
    }

    private static string Describe(JourneyTrigger? trigger) => trigger switch
    {
        EventTrigger e => $"event {e.Event}",
        ScheduleTrigger s => $"schedule {s.Cron} ({s.TimeZone})",
        ApiTrigger => "api",
        _ => "unknown",
    };
}
