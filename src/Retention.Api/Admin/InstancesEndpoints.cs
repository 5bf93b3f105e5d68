using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Retention.Api.Composition;
using Retention.Api.Security;
using Retention.Application.Instances;
using Retention.Core.Definitions;
using Retention.Core.Events;
using Retention.Core.Runtime;
using Retention.Journeys;
using Retention.Storage.Routing;

namespace Retention.Api.Admin;

public sealed record InstanceSummary(string InstanceId, string JourneyId, int Version, string CustomerId, string Status, string? CurrentStep,
    string? Outcome, DateTimeOffset StartedAt, DateTimeOffset UpdatedAt);

public sealed record PendingTimerView(DateTimeOffset DueAt, string Purpose, string? StepId);

public sealed record InstanceDetail(string InstanceId, string JourneyId, int Version, string CustomerId, string Status, string? CurrentStep,
    string? WaitingForEvent, PendingTimerView? PendingTimer, string? Outcome, bool Holdout, bool Converted, DateTimeOffset StartedAt,
    DateTimeOffset UpdatedAt, DateTimeOffset? EndedAt, JsonObject Context, int BufferedEvents, IReadOnlyList<HistoryEntry> History, int Generation = 0,
    JourneyFailure? Failure = null);

/// <summary>One page of a bulk restart: the instances restarted, and the token to restart the next page with (null when done).</summary>
public sealed record RestartedInstances(int Restarted, IReadOnlyList<string> InstanceIds, string? ContinuationToken);

public sealed record InstanceList(IReadOnlyList<InstanceSummary> Items, string? ContinuationToken);

public sealed record RaisedEvent(string InstanceId, string EventId);

/// <summary>Instance management (API.md): list, inspect, raise events, terminate, suspend, resume, purge.</summary>
public static class InstancesEndpoints
{
    public const int PageSize = 100;

    public static IEndpointRouteBuilder MapInstancesEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/instances").WithTags("Instances");
        group.MapGet("", ListAsync).RequireAuthorization(Roles.Viewer).WithSummary("List instances by customer, journey and status");
        group.MapGet("/{instanceId}", GetAsync).RequireAuthorization(Roles.Viewer).WithSummary("Status, current step, pending timer or wait, version and history");
        group.MapPost("/{instanceId}/events/{name}", RaiseEventAsync).ReadsJsonBody(optional: true).RequireAuthorization(Roles.Operator).WithSummary("Raise an event for one instance");
        group.MapPost("/{instanceId}/terminate", (string instanceId, InstanceControl control, IOptions<RetentionOptions> options, ILoggerFactory loggers, HttpContext http, CancellationToken ct) =>
            ControlAsync(instanceId, new JourneySignal(SignalKind.Terminate, Reason: $"terminated by {http.User.Identity?.Name}"), s => !s.IsFinished(), control, options, loggers, http, ct))
            .RequireAuthorization(Roles.Operator).WithSummary("End the instance; it records the outcome");
        group.MapPost("/{instanceId}/suspend", (string instanceId, InstanceControl control, IOptions<RetentionOptions> options, ILoggerFactory loggers, HttpContext http, CancellationToken ct) =>
            ControlAsync(instanceId, new JourneySignal(SignalKind.Suspend, Reason: $"suspended by {http.User.Identity?.Name}"), s => !s.IsFinished() && s != InstanceStatus.Suspended, control, options, loggers, http, ct))
            .RequireAuthorization(Roles.Operator).WithSummary("Hold the instance: timers that fall due meanwhile run on resume");
        group.MapPost("/{instanceId}/resume", (string instanceId, InstanceControl control, IOptions<RetentionOptions> options, ILoggerFactory loggers, HttpContext http, CancellationToken ct) =>
            ControlAsync(instanceId, new JourneySignal(SignalKind.Resume, Reason: $"resumed by {http.User.Identity?.Name}"), s => s == InstanceStatus.Suspended, control, options, loggers, http, ct))
            .RequireAuthorization(Roles.Operator).WithSummary("Resume; a timer that fell due meanwhile fires");
        group.MapPost("/{instanceId}/restart", RestartAsync).RequireAuthorization(Roles.Operator)
            .WithSummary("Run a failed instance again from its last generation's start, with its state and the signals it had received");
        group.MapPost("/restart", RestartFailedAsync).RequireAuthorization(Roles.Operator)
            .WithSummary("Restart one page of a journey's instances that failed since a time; call again with the continuation token until it is null");
        group.MapDelete("/{instanceId}", PurgeAsync).RequireAuthorization(Roles.Operator).WithSummary("Purge a finished instance");
        return app;
    }

    private static async Task<Results<Ok<InstanceList>, ProblemHttpResult>> ListAsync(
        string? customerId, string? journeyId, string? status, [PageSize(PageSize)] int? pageSize, string? continuationToken,
        IJourneyInstances instances, CustomerInstanceIndex index, CancellationToken cancellationToken)
    {
        if (Paging.Read(pageSize, PageSize, continuationToken, out var size, out var storageToken) is { } pagingProblem)
        {
            return pagingProblem;
        }
        InstanceStatus? wanted = null;
        if (status is not null)
        {
            if (!Enum.TryParse<InstanceStatus>(status, ignoreCase: true, out var parsed))
            {
                return Problems.Validation([new DefinitionError("/status", $"must be one of {string.Join(", ", Enum.GetNames<InstanceStatus>())}")]);
            }
            wanted = parsed;
        }
        if (customerId is not null)
        {
            var entries = await index.ListAsync(customerId, activeOnly: false, cancellationToken);
            var found = await Task.WhenAll(entries.Select(e => instances.GetAsync(e.InstanceId, cancellationToken)));
            var filtered = found.Where(i => i is not null).Select(i => i!.State)
                .Where(s => (journeyId is null || s.JourneyId == journeyId) && (wanted is null || s.Status == wanted))
                .OrderBy(s => s.StartedAt).Select(Summary).ToList();
            return TypedResults.Ok(new InstanceList(filtered, null));
        }
        var page = await instances.QueryAsync(journeyId, wanted, size, storageToken, cancellationToken);
        return TypedResults.Ok(new InstanceList(page.Items.Select(i => Summary(i.State)).ToList(), Retention.Storage.PageToken.Encode(page.ContinuationToken)));
    }

    private static async Task<Results<Ok<InstanceDetail>, ProblemHttpResult>> GetAsync(string instanceId, IJourneyInstances instances, Retention.Core.Ports.IJourneyCatalog catalog,
        CancellationToken cancellationToken)
    {
        if (await instances.GetAsync(instanceId, cancellationToken) is not { } info)
        {
            return Problems.NotFound($"No instance {instanceId}.");
        }
        var s = info.State;
        var journey = await catalog.GetAsync(s.JourneyId, s.Version, cancellationToken);
        var waiting = s.Status == InstanceStatus.Waiting && s.CurrentStepId is { } id && journey?.FindStep(id) is WaitForEventStep w ? w.Event : null;
        return TypedResults.Ok(new InstanceDetail(s.InstanceId, s.JourneyId, s.Version, s.CustomerId, s.Status.ToString(), s.CurrentStepId, waiting,
            s.Timer is { } t ? new PendingTimerView(t.DueAt, t.Purpose.ToString(), t.StepId) : null, s.Outcome, s.Holdout, s.Converted,
            s.StartedAt, s.UpdatedAt, s.EndedAt, s.Context, s.Buffered.Count, info.History, info.Generation, info.Failure));
    }

    private static async Task<Results<Accepted<RaisedEvent>, ProblemHttpResult>> RaiseEventAsync(
        string instanceId, string name, HttpRequest request, IJourneyInstances instances, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!System.Text.RegularExpressions.Regex.IsMatch(name, "^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)*$", System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(1)))
        {
            return Problems.Validation([new DefinitionError("/name", "an event name is dotted lower-case words, such as survey.answered")]);
        }
        JsonObject data;
        try
        {
            data = request.ContentLength is 0 ? [] : await System.Text.Json.JsonSerializer.DeserializeAsync<JsonObject>(request.Body, cancellationToken: cancellationToken) ?? [];
        }
        catch (System.Text.Json.JsonException e)
        {
            return Problems.Validation([new DefinitionError("", $"the body must be a JSON object ({e.Message})")]);
        }
        if (await instances.GetAsync(instanceId, cancellationToken) is not { } info)
        {
            return Problems.NotFound($"No instance {instanceId}.");
        }
        var eventId = request.Headers["Idempotency-Key"].FirstOrDefault() ?? Guid.NewGuid().ToString("N");
        var raised = new CustomerEvent(eventId, "admin", name, time.GetUtcNow(), info.State.CustomerId, data);
        await instances.SignalAsync(instanceId, JourneySignal.Of(raised), cancellationToken);
        return TypedResults.Accepted((string?)null, new RaisedEvent(instanceId, eventId));
    }

    /// <summary>
    /// The control as the instance applies it (<see cref="InstanceControl"/>): 200 with the instance as it now is once it
    /// has (within <see cref="RetentionOptions.InstanceControlWait"/>), else 202 with the instance as it was; 409 when its
    /// status does not allow the control.
    /// </summary>
    private static async Task<Results<Ok<InstanceSummary>, Accepted<InstanceSummary>, ProblemHttpResult>> ControlAsync(
        string instanceId, JourneySignal signal, Func<InstanceStatus, bool> allowed, InstanceControl control, IOptions<RetentionOptions> options,
        ILoggerFactory loggers, HttpContext http, CancellationToken cancellationToken)
    {
        var outcome = await control.ApplyAsync(instanceId, signal, allowed, options.Value.InstanceControlWait, cancellationToken);
        if (outcome is ControlApplied or ControlRequested)
        {
            var logger = loggers.CreateLogger("Retention.Admin");
            if (logger.IsEnabled(LogLevel.Information))
            {
                logger.InstanceControl(signal.Kind.ToString(), instanceId, http.User.Identity?.Name);
            }
        }
        switch (outcome)
        {
            case ControlApplied applied:
                AuditDetails.Record(http, new JsonObject { ["status"] = applied.Before.Status.ToString() }, new JsonObject { ["status"] = applied.Now.Status.ToString() });
                return TypedResults.Ok(Summary(applied.Now));
            case ControlRequested requested:
                AuditDetails.Record(http, new JsonObject { ["status"] = requested.Before.Status.ToString() },
                    new JsonObject { ["status"] = requested.Before.Status.ToString(), ["requested"] = signal.Kind.ToString().ToLowerInvariant() });
                return TypedResults.Accepted((string?)null, Summary(requested.Before));
            case ControlRefused refused:
                return Problems.Of(StatusCodes.Status409Conflict, "Conflict", $"The instance is {refused.Status}; {signal.Kind.ToString().ToLowerInvariant()} does not apply.");
            default:
                return Problems.NotFound($"No instance {instanceId}.");
        }
    }

    /// <summary>202 with the instance as it now is (pending again); 409 when it is not failed.</summary>
    private static async Task<Results<Accepted<InstanceSummary>, ProblemHttpResult>> RestartAsync(
        string instanceId, IJourneyInstances instances, TimeProvider time, ILoggerFactory loggers, HttpContext http, CancellationToken cancellationToken)
    {
        if (await instances.GetAsync(instanceId, cancellationToken) is not { } info)
        {
            return Problems.NotFound($"No instance {instanceId}.");
        }
        if (info.State.Status != InstanceStatus.Failed || !await RestartOneAsync(info, instances, time, loggers, http, cancellationToken))
        {
            return Problems.Of(StatusCodes.Status409Conflict, "Conflict", $"The instance is {info.State.Status}; only a failed instance can be restarted.");
        }
        AuditDetails.Record(http, FailureAudit(info), new JsonObject { ["status"] = InstanceStatus.Pending.ToString(), ["restarted"] = true });
        var now = await instances.GetAsync(instanceId, cancellationToken);
        return TypedResults.Accepted((string?)null, Summary(now?.State ?? info.State));
    }

    /// <summary>
    /// One page of <paramref name="journeyId"/>'s failed instances, those that failed at or after <paramref name="since"/>
    /// restarted: a request reads one page, so any number of failures is restarted in bounded requests.
    /// </summary>
    private static async Task<Results<Accepted<RestartedInstances>, ProblemHttpResult>> RestartFailedAsync(
        string? journeyId, string? since, [PageSize(PageSize)] int? pageSize, string? continuationToken,
        IJourneyInstances instances, TimeProvider time, ILoggerFactory loggers, HttpContext http, CancellationToken cancellationToken)
    {
        List<DefinitionError> errors = [];
        if (string.IsNullOrWhiteSpace(journeyId))
        {
            errors.Add(new DefinitionError("/journeyId", "the journey whose failed instances to restart is required"));
        }
        if (!DateTimeOffset.TryParse(since, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var from))
        {
            errors.Add(new DefinitionError("/since", "the time from which failures are restarted is required, as ISO 8601 (such as 2026-03-02T00:00:00Z)"));
        }
        errors.AddRange(Paging.Check(pageSize, PageSize, continuationToken, out var size, out var storageToken));
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }
        var page = await instances.QueryFailedAsync(journeyId!, size, storageToken, cancellationToken);
        var restarted = new List<string>();
        foreach (var info in page.Items.Where(i => (i.Failure?.At ?? i.State.EndedAt ?? i.State.UpdatedAt) >= from))
        {
            if (await RestartOneAsync(info, instances, time, loggers, http, cancellationToken))
            {
                restarted.Add(info.State.InstanceId);
            }
        }
        AuditDetails.Target(http, journeyId!);
        AuditDetails.Record(http, new JsonObject { ["journeyId"] = journeyId, ["since"] = from, ["status"] = InstanceStatus.Failed.ToString() },
            new JsonObject { ["restarted"] = new JsonArray([.. restarted.Select(id => (JsonNode)id)]) });
        return TypedResults.Accepted((string?)null, new RestartedInstances(restarted.Count, restarted, Retention.Storage.PageToken.Encode(page.ContinuationToken)));
    }

    private static async Task<bool> RestartOneAsync(JourneyInstanceInfo info, IJourneyInstances instances, TimeProvider time, ILoggerFactory loggers, HttpContext http,
        CancellationToken cancellationToken)
    {
        var actor = http.User.Identity?.Name;
        var failure = info.Failure;
        var entry = new HistoryEntry(time.GetUtcNow(), HistoryKinds.Restarted, failure?.StepId,
            failure is null ? $"restarted by {actor}" : $"restarted by {actor} after {failure.Activity ?? "the journey"} failed on {failure.Input}: {failure.ExceptionType}");
        if (!await instances.RestartAsync(info.State.InstanceId, entry, cancellationToken))
        {
            return false;
        }
        var logger = loggers.CreateLogger("Retention.Admin");
        if (logger.IsEnabled(LogLevel.Information))
        {
            logger.InstanceControl("Restart", info.State.InstanceId, actor);
        }
        return true;
    }

    /// <summary>What the audit keeps of a failure: where and what type, not the message, which may carry personal data.</summary>
    private static JsonObject FailureAudit(JourneyInstanceInfo info) => new()
    {
        ["status"] = info.State.Status.ToString(),
        ["stepId"] = info.Failure?.StepId,
        ["input"] = info.Failure?.Input,
        ["exceptionType"] = info.Failure?.ExceptionType,
    };

    private static async Task<Results<NoContent, ProblemHttpResult>> PurgeAsync(string instanceId, IJourneyInstances instances, CustomerInstanceIndex index, CancellationToken cancellationToken)
    {
        if (await instances.GetAsync(instanceId, cancellationToken) is not { } info)
        {
            return Problems.NotFound($"No instance {instanceId}.");
        }
        if (!info.State.Status.IsFinished())
        {
            return Problems.Of(StatusCodes.Status409Conflict, "Conflict", $"The instance is {info.State.Status}; only finished instances can be purged. Terminate it first.");
        }
        await instances.PurgeAsync(instanceId, cancellationToken);
        await index.RemoveAsync(info.State.CustomerId, instanceId, cancellationToken);
        return TypedResults.NoContent();
    }

    private static InstanceSummary Summary(JourneyInstanceState s) =>
        new(s.InstanceId, s.JourneyId, s.Version, s.CustomerId, s.Status.ToString(), s.CurrentStepId, s.Outcome, s.StartedAt, s.UpdatedAt);
}
