using Azure;
using Azure.Data.Tables;
using Retention.Core.Ports;
using Retention.Core.Runtime;

namespace Retention.Storage.Tasks;

/// <param name="Id">A short stable id for URLs, derived from the task key.</param>
public sealed record StaffTask(string Id, string TaskKey, string CustomerId, string JourneyId, string InstanceId, string StepId, string Kind, string Title,
    string? AssigneeId, string? Role, DateTimeOffset DueAt, string Status, DateTimeOffset CreatedAt, DateTimeOffset? CompletedAt, string? Outcome)
{
    public string Assignee => TaskStore.Assignee(AssigneeId, Role);
}

/// <summary>
/// Staff tasks (calls, visits, service recovery, escalations), partitioned by assignee — an owner id or a role — so
/// an inbox is one query; a lookup row finds a task by its id. Created idempotently by task key.
/// </summary>
public sealed class TaskStore(StorageAccount account, TimeProvider time) : ITaskSink
{
    private const string LookupKind = "task";
    private readonly TableClient _table = account.Table("tasks");
    private readonly TableClient _lookups = account.Table("lookups");

    public static string Assignee(string? ownerId, string? role) => ownerId is not null ? $"owner:{ownerId}" : $"role:{role ?? "unassigned"}";

    public static string IdOf(string taskKey) => StableHash.Hex(taskKey);

    public async Task CreateAsync(CreateTask task, CancellationToken cancellationToken)
    {
        var assignee = Assignee(task.AssigneeId, task.Role);
        await _lookups.UpsertEntityAsync(new TableEntity(LookupKind, IdOf(task.TaskKey)) { ["Assignee"] = assignee }, TableUpdateMode.Replace, cancellationToken);
        try
        {
            await _table.AddEntityAsync(ToEntity(new StaffTask(IdOf(task.TaskKey), task.TaskKey, task.CustomerId, task.JourneyId, task.InstanceId, task.StepId,
                task.Kind, task.Title, task.AssigneeId, task.Role, task.DueAt, "open", time.GetUtcNow(), null, null)), cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            // Created before a crash or redelivery: the task exists once.
        }
    }

    public async Task<StaffTask?> FindAsync(string id, CancellationToken cancellationToken)
    {
        var lookup = await _lookups.GetEntityIfExistsAsync<TableEntity>(LookupKind, id, cancellationToken: cancellationToken);
        if (!lookup.HasValue)
        {
            return null;
        }
        var assignee = lookup.Value!.GetString("Assignee")!;
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {KeyEncoding.Encode(assignee)} and Id eq {id}");
        await foreach (var e in _table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            return ToTask(e);
        }
        return null;
    }

    /// <summary>One page of an assignee's tasks (with <paramref name="status"/> when given), soonest due first within the page.</summary>
    public async Task<TablePage<StaffTask>> ListAsync(string assignee, string? status, int pageSize, string? continuationToken, CancellationToken cancellationToken)
    {
        var filter = status is null
            ? TableClient.CreateQueryFilter($"PartitionKey eq {KeyEncoding.Encode(assignee)}")
            : TableClient.CreateQueryFilter($"PartitionKey eq {KeyEncoding.Encode(assignee)} and Status eq {status}");
        var page = await _table.ReadPageAsync(filter, pageSize, continuationToken, ToTask, cancellationToken);
        return page with { Items = [.. page.Items.OrderBy(t => t.DueAt)] };
    }

    public async Task<IReadOnlyList<StaffTask>> ForCustomerAsync(string customerId, CancellationToken cancellationToken)
    {
        var tasks = new List<StaffTask>();
        await foreach (var e in _table.QueryAsync<TableEntity>($"CustomerId eq '{customerId.Replace("'", "''", StringComparison.Ordinal)}'", cancellationToken: cancellationToken))
        {
            tasks.Add(ToTask(e));
        }
        return tasks;
    }

    public async Task<StaffTask> CompleteAsync(StaffTask task, string? outcome, CancellationToken cancellationToken)
    {
        var done = task with { Status = "completed", CompletedAt = time.GetUtcNow(), Outcome = outcome };
        await _table.UpsertEntityAsync(ToEntity(done), TableUpdateMode.Replace, cancellationToken);
        return done;
    }

    /// <summary>Moves a task to another owner or role: the new row first, so a crash leaves it findable, never lost.</summary>
    public async Task<StaffTask> ReassignAsync(StaffTask task, string? ownerId, string? role, CancellationToken cancellationToken)
    {
        var moved = task with { AssigneeId = ownerId, Role = ownerId is null ? role : null };
        await _table.UpsertEntityAsync(ToEntity(moved), TableUpdateMode.Replace, cancellationToken);
        await _lookups.UpsertEntityAsync(new TableEntity(LookupKind, task.Id) { ["Assignee"] = moved.Assignee }, TableUpdateMode.Replace, cancellationToken);
        if (moved.Assignee != task.Assignee)
        {
            await _table.DeleteEntityAsync(KeyEncoding.Encode(task.Assignee), KeyEncoding.Encode(task.TaskKey), cancellationToken: cancellationToken);
        }
        return moved;
    }

    private static TableEntity ToEntity(StaffTask t) => new(KeyEncoding.Encode(t.Assignee), KeyEncoding.Encode(t.TaskKey))
    {
        ["Id"] = t.Id,
        ["TaskKey"] = t.TaskKey,
        ["CustomerId"] = t.CustomerId,
        ["JourneyId"] = t.JourneyId,
        ["InstanceId"] = t.InstanceId,
        ["StepId"] = t.StepId,
        ["Kind"] = t.Kind,
        ["Title"] = t.Title,
        ["AssigneeId"] = t.AssigneeId,
        ["Role"] = t.Role,
        ["DueAt"] = t.DueAt,
        ["Status"] = t.Status,
        ["CreatedAt"] = t.CreatedAt,
        ["CompletedAt"] = t.CompletedAt,
        ["Outcome"] = t.Outcome,
    };

    private static StaffTask ToTask(TableEntity e) => new(
        e.GetString("Id") ?? IdOf(e.GetString("TaskKey") ?? e.RowKey), e.GetString("TaskKey") ?? e.RowKey, e.GetString("CustomerId") ?? "",
        e.GetString("JourneyId") ?? "", e.GetString("InstanceId") ?? "", e.GetString("StepId") ?? "", e.GetString("Kind") ?? "", e.GetString("Title") ?? "",
        e.GetString("AssigneeId"), e.GetString("Role"), e.GetDateTimeOffset("DueAt") ?? default, e.GetString("Status") ?? "open",
        e.GetDateTimeOffset("CreatedAt") ?? default, e.GetDateTimeOffset("CompletedAt"), e.GetString("Outcome"));
}
