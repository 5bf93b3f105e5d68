using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Retention.Api.Composition;
using Retention.Api.Security;
using Retention.Application.Ingest;
using Retention.Core.Definitions;
using Retention.Core.Events;
using Retention.Storage.Ingest;
using Retention.Storage.Tasks;

namespace Retention.Api.Admin;

public sealed record CompleteTaskRequest(string? Outcome);

public sealed record ReassignTaskRequest(string? OwnerId, string? Role);

/// <summary>
/// Staff tasks created by journeys: an inbox per owner or role, completion (raised to the customer's instances as
/// <c>task.completed</c>, which a journey can wait for) and reassignment.
/// </summary>
public static class TasksEndpoints
{
    public const string TaskCompleted = "task.completed";
    public const int PageSize = 100;

    public static IEndpointRouteBuilder MapTasksEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/tasks").WithTags("Tasks");
        group.MapGet("", ListAsync).RequireAuthorization(Roles.Viewer).WithSummary("A task inbox, a page at a time: ?assignee=owner:<id> or role:<role>, optional ?status=open|completed; soonest due first within a page");
        group.MapPost("/{id}/complete", CompleteAsync).RequireAuthorization(Roles.Operator).WithSummary("Complete a task; journeys waiting for task.completed continue");
        group.MapPost("/{id}/reassign", ReassignAsync).RequireAuthorization(Roles.Operator).WithSummary("Move a task to another owner or role");
        return app;
    }

    private static async Task<Results<Ok<ListPage<StaffTask>>, ProblemHttpResult>> ListAsync(string? assignee, string? status, [PageSize(PageSize)] int? pageSize,
        string? continuationToken, TaskStore tasks, CancellationToken cancellationToken)
    {
        if (assignee is null || !(assignee.StartsWith("owner:", StringComparison.Ordinal) || assignee.StartsWith("role:", StringComparison.Ordinal)) || assignee.Length < 6)
        {
            return Problems.Validation([new DefinitionError("/assignee", "is required: owner:<owner id> or role:<role>")]);
        }
        if (Paging.Read(pageSize, PageSize, continuationToken, out var size, out var storageToken) is { } problem)
        {
            return problem;
        }
        var page = await tasks.ListAsync(assignee, status, size, storageToken, cancellationToken);
        return TypedResults.Ok(Paging.Answer(page.Items, page.ContinuationToken));
    }

    private static async Task<Results<Ok<StaffTask>, ProblemHttpResult>> CompleteAsync(
        string id, CompleteTaskRequest? request, TaskStore tasks, EventIngestor ingestor, TimeProvider time, CancellationToken cancellationToken)
    {
        if (await tasks.FindAsync(id, cancellationToken) is not { } task)
        {
            return Problems.NotFound($"No task {id}.");
        }
        if (task.Status == "completed")
        {
            return Problems.Of(StatusCodes.Status409Conflict, "Conflict", "The task is already completed.");
        }
        var done = await tasks.CompleteAsync(task, request?.Outcome, cancellationToken);
        await ingestor.AcceptAsync(new CustomerEvent($"task-completed-{task.Id}", "staff", TaskCompleted, time.GetUtcNow(), task.CustomerId, new JsonObject
        {
            ["customerId"] = task.CustomerId,
            ["taskId"] = task.Id,
            ["kind"] = task.Kind,
            ["instanceId"] = task.InstanceId,
            ["journeyId"] = task.JourneyId,
            ["stepId"] = task.StepId,
            ["outcome"] = request?.Outcome,
        }), cancellationToken);
        return TypedResults.Ok(done);
    }

    private static async Task<Results<Ok<StaffTask>, ProblemHttpResult>> ReassignAsync(string id, ReassignTaskRequest request, TaskStore tasks, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.OwnerId) == string.IsNullOrWhiteSpace(request.Role))
        {
            return Problems.Validation([new DefinitionError("/ownerId", "give exactly one of ownerId and role")]);
        }
        if (await tasks.FindAsync(id, cancellationToken) is not { } task)
        {
            return Problems.NotFound($"No task {id}.");
        }
        return TypedResults.Ok(await tasks.ReassignAsync(task, request.OwnerId, request.Role, cancellationToken));
    }
}
