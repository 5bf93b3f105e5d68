using Azure;
using Azure.Data.Tables;
using Retention.Core.Ports;
using Retention.Core.Runtime;

namespace Retention.Storage.Tasks;

public sealed record StaffTask(string TaskKey, string CustomerId, string JourneyId, string InstanceId, string StepId, string Kind, string Title,
    string? AssigneeId, string? Role, DateTimeOffset DueAt, string Status, DateTimeOffset CreatedAt);

/// <summary>Staff tasks, partitioned by assignee (an owner id or a role) so an inbox is one query.</summary>
public sealed class TaskStore(StorageAccount account, TimeProvider time) : ITaskSink
{
    private readonly TableClient _table = account.Table("tasks");

    public static string Assignee(string? ownerId, string? role) => ownerId is not null ? $"owner:{ownerId}" : $"role:{role ?? "unassigned"}";

    public async Task CreateAsync(CreateTask task, CancellationToken cancellationToken)
    {
        try
        {
            await _table.AddEntityAsync(new TableEntity(KeyEncoding.Encode(Assignee(task.AssigneeId, task.Role)), KeyEncoding.Encode(task.TaskKey))
            {
                ["TaskKey"] = task.TaskKey,
                ["CustomerId"] = task.CustomerId,
                ["JourneyId"] = task.JourneyId,
                ["InstanceId"] = task.InstanceId,
                ["StepId"] = task.StepId,
                ["Kind"] = task.Kind,
                ["Title"] = task.Title,
                ["AssigneeId"] = task.AssigneeId,
                ["Role"] = task.Role,
                ["DueAt"] = task.DueAt,
                ["Status"] = "open",
                ["CreatedAt"] = time.GetUtcNow(),
            }, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            // Created before a crash or redelivery: the task exists once.
        }
    }

    public async Task<IReadOnlyList<StaffTask>> ListAsync(string assignee, CancellationToken cancellationToken)
    {
        var partition = KeyEncoding.Encode(assignee);
        var tasks = new List<StaffTask>();
        await foreach (var e in _table.QueryAsync<TableEntity>(e => e.PartitionKey == partition, cancellationToken: cancellationToken))
        {
            tasks.Add(ToTask(e));
        }
        return tasks;
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

    private static StaffTask ToTask(TableEntity e) => new(
        e.GetString("TaskKey") ?? e.RowKey, e.GetString("CustomerId") ?? "", e.GetString("JourneyId") ?? "", e.GetString("InstanceId") ?? "",
        e.GetString("StepId") ?? "", e.GetString("Kind") ?? "", e.GetString("Title") ?? "", e.GetString("AssigneeId"), e.GetString("Role"),
        e.GetDateTimeOffset("DueAt") ?? default, e.GetString("Status") ?? "open", e.GetDateTimeOffset("CreatedAt") ?? default);
}
