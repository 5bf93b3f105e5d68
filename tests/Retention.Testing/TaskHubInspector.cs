using System.Text;
using Azure.Data.Tables;
using Azure.Storage.Queues;

namespace Retention.Testing;

/// <summary>
/// Reads a task hub's own tables and queues (DTFx's Azure Storage layout) to say where a stuck instance stands: its
/// instance row, every history row, and what the control and work-item queues hold for it. For stall reports.
/// </summary>
public static class TaskHubInspector
{
    public static async Task<string> DescribeAsync(string connectionString, string taskHub, string instanceId, int partitionCount = 4)
    {
        var report = new StringBuilder();
        var instances = new TableClient(connectionString, taskHub + "Instances");
        await foreach (var row in instances.QueryAsync<TableEntity>(e => e.PartitionKey == instanceId))
        {
            report.AppendLine($"  instance row: {Describe(row, "RuntimeStatus", "ExecutionId", "CreatedTime", "LastUpdatedTime", "CompletedTime", "Generation")}");
        }
        var history = new TableClient(connectionString, taskHub + "History");
        await foreach (var row in history.QueryAsync<TableEntity>(e => e.PartitionKey == instanceId))
        {
            report.AppendLine($"  history {row.RowKey}: {Describe(row, "EventType", "EventId", "ExecutionId", "Name", "TaskScheduledId", "TimerId", "FireAt", "Timestamp", "_Timestamp", "CheckpointCompletedTimestamp")}");
        }
        var queues = new QueueServiceClient(connectionString);
        string[] names = [.. Enumerable.Range(0, partitionCount).Select(i => $"{taskHub.ToLowerInvariant()}-control-{i:00}"), $"{taskHub.ToLowerInvariant()}-workitems"];
        foreach (var name in names)
        {
            var queue = queues.GetQueueClient(name);
            var properties = await queue.GetPropertiesAsync();
            // Peeking shows visible messages only (at most 32): a pending timer or a message being worked on is hidden.
            var mine = (await queue.PeekMessagesAsync(32)).Value.Where(m => m.Body.ToString().Contains(instanceId, StringComparison.Ordinal)).ToList();
            report.AppendLine($"  queue {name}: about {properties.Value.ApproximateMessagesCount} messages; visible for this instance: {mine.Count}");
            foreach (var message in mine)
            {
                report.AppendLine($"    dequeued {message.DequeueCount}x: {Shorten(message.Body.ToString())}");
            }
        }
        return report.ToString();
    }

    private static string Describe(TableEntity row, params string[] keys) =>
        string.Join(", ", keys.Where(row.ContainsKey).Select(k => $"{k}={row[k]}"));

    private static string Shorten(string text) => text.Length <= 400 ? text : text[..400] + "…";
}
