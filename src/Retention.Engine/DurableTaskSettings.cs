namespace Retention.Engine;

/// <summary>
/// The Durable Task settings of <c>host.json</c> (<c>extensions.durableTask</c>), with the keys Durable Functions uses,
/// so one file configures the engine in both hosts. The defaults are chosen for this product (README, "The engine").
/// </summary>
public sealed class DurableTaskSettings
{
    public const string Section = "extensions:durableTask";

    public string HubName { get; set; } = "Retention";

    public DurableStorageProviderSettings StorageProvider { get; set; } = new();

    public int MaxConcurrentActivityFunctions { get; set; } = 32;

    public int MaxConcurrentOrchestratorFunctions { get; set; } = 32;

    /// <summary>
    /// Longer waits are chained timers of at most this length: an Azure Storage queue message can be hidden for at most
    /// 7 days, and a timer past that leaves the instance stuck.
    /// </summary>
    public TimeSpan MaximumTimerInterval { get; set; } = TimeSpan.FromDays(3);

    /// <summary>The task hub of this account: the storage prefix keeps tests and tenants sharing an account apart.</summary>
    public string TaskHubFor(string storagePrefix)
    {
        var name = new string((storagePrefix + HubName).Where(char.IsAsciiLetterOrDigit).ToArray());
        if (name.Length < 3 || !char.IsAsciiLetter(name[0]) || name.Length > 45)
        {
            throw new InvalidOperationException($"extensions:durableTask:hubName '{HubName}' with the storage prefix '{storagePrefix}' is not a task hub name: 3 to 45 letters and digits, starting with a letter.");
        }
        return name;
    }

    /// <summary>What is wrong with these settings, each naming its key; checked when the host starts.</summary>
    public IReadOnlyList<string> Errors()
    {
        var errors = new List<string>();
        if (MaximumTimerInterval <= TimeSpan.Zero || MaximumTimerInterval >= TimeSpan.FromDays(7))
        {
            errors.Add("extensions:durableTask:maximumTimerInterval must be more than zero and less than 7 days (a queue message is hidden at most 7 days).");
        }
        if (StorageProvider.IdleQueuePollingInterval < TimeSpan.Zero || StorageProvider.IdleQueuePollingInterval > TimeSpan.FromMinutes(5))
        {
            errors.Add("extensions:durableTask:storageProvider:idleQueuePollingInterval must be between zero and 5 minutes.");
        }
        if (StorageProvider.PartitionCount is < 1 or > 16)
        {
            errors.Add("extensions:durableTask:storageProvider:partitionCount must be between 1 and 16.");
        }
        return errors;
    }
}

public sealed class DurableStorageProviderSettings
{
    /// <summary>
    /// The connection setting of the task hub's own storage account (Durable Functions' <c>connectionName</c>, see
    /// <see cref="EngineStorage"/>); unset, the task hub lives in the service's account.
    /// </summary>
    public string? ConnectionName { get; set; }

    /// <summary>Control queues: the most workers that process orchestrations at once.</summary>
    public int PartitionCount { get; set; } = 4;

    /// <summary>The longest an idle queue goes unpolled: how late a timer can be on an idle worker, and the idle request rate.</summary>
    public TimeSpan MaxQueuePollingInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The standalone host's own setting (no Durable Functions key): the longest a queue of this worker that came back
    /// empty goes unpolled when this process has put nothing into it that is visible by then (<see cref="IdleQueuePolling"/>).
    /// It is how late a message put by another process is seen on an idle worker; zero polls as DTFx does.
    /// </summary>
    public TimeSpan IdleQueuePollingInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long a dequeued message stays hidden: after a crash, how long its work waits before another worker takes it.</summary>
    public TimeSpan ControlQueueVisibilityTimeout { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan WorkItemQueueVisibilityTimeout { get; set; } = TimeSpan.FromSeconds(30);

    public int ControlQueueBatchSize { get; set; } = 32;
}
