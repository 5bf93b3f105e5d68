using Microsoft.Extensions.Options;
using Retention.Api.Composition;
using Retention.Engine;
using Retention.Journeys;
using Retention.Storage.Journeys;
using Retention.Storage;

namespace Retention.Host.Hosting;

/// <summary>
/// Creates the task hub and runs the Durable Task worker in this process (unless <c>Retention:RunWorker</c> is off,
/// for a replica that only serves HTTP). Starts after <see cref="RuntimeStartup"/> has prepared storage.
/// </summary>
public sealed class DurableWorkerService(IJourneyInstances instances, IOptions<RetentionOptions> options) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (instances is not DurableTaskEngine engine)
        {
            return; // another engine (the tests' virtual-time one) runs the orchestrations
        }
        if (options.Value.RunWorker)
        {
            await engine.StartWorkerAsync(cancellationToken);
        }
        else
        {
            await engine.EnsureTaskHubAsync();
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (instances is DurableTaskEngine engine)
        {
            await engine.StopWorkerAsync(cancellationToken); // graceful until the host's shutdown timeout
        }
    }
}

/// <summary>Ticks the cron scheduler, sleeping until the next occurrence (at most a minute).</summary>
public sealed class SchedulerService(Retention.Application.Scheduling.Scheduler scheduler, IOptions<RetentionOptions> options, TimeProvider time, ILogger<SchedulerService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.RunWorker)
        {
            return;
        }
        while (!stoppingToken.IsCancellationRequested)
        {
            var wait = TimeSpan.FromMinutes(1);
            try
            {
                if (await scheduler.TickAsync(stoppingToken) is { } next && next - time.GetUtcNow() < wait)
                {
                    wait = next - time.GetUtcNow();
                }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                Retention.Application.Logs.SchedulerTickFailed(logger, e);
                wait = TimeSpan.FromSeconds(10);
            }
            await Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }
}

/// <summary>
/// Applies accepted webhook events behind their acknowledgement. It wakes when this replica accepts a request and
/// otherwise polls, backing off to <see cref="IdlePoll"/>, for requests other replicas accepted; only the replica
/// holding the drain lease drains. It also keeps the backlog figures of <c>/metrics</c> and <c>/healthz</c> current.
/// </summary>
public sealed class IngestDrainService(
    Retention.Application.Ingest.IngestDrain drain,
    Retention.Storage.Ingest.IngestInbox inbox,
    Retention.Application.Ingest.IngestMetrics metrics,
    IOptions<RetentionOptions> options,
    TimeProvider time,
    ILogger<IngestDrainService> logger) : BackgroundService
{
    private static readonly TimeSpan FirstPoll = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan IdlePoll = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan RetryAfterStorageFailure = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan BacklogMeasureInterval = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan DrainBudget = TimeSpan.FromSeconds(30);
    private const int BacklogMeasureCap = 100_000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.RunWorker)
        {
            return;
        }
        var poll = FirstPoll;
        while (!stoppingToken.IsCancellationRequested)
        {
            // Taken before draining, so a request accepted while this drain runs wakes the next one.
            var accepted = inbox.NextAcceptance;
            var wait = poll;
            try
            {
                var round = await drain.DrainAsync(DrainBudget, stoppingToken);
                (wait, poll) = round switch
                {
                    { StorageFailed: true } => (RetryAfterStorageFailure, FirstPoll),
                    { Progressed: true } => (TimeSpan.Zero, FirstPoll),
                    { Requests: > 0 } => (TimeSpan.FromSeconds(1), FirstPoll), // requests waiting out a retry delay
                    _ => (poll, poll * 2 < IdlePoll ? poll * 2 : IdlePoll),
                };
                // The drain measures the backlog itself whenever it sees all of it (an empty inbox, a short round): count
                // the inbox only when it has not, because the backlog outgrew a round or another replica drains.
                if (time.GetUtcNow() - metrics.BacklogMeasuredAt >= BacklogMeasureInterval)
                {
                    metrics.Backlog = await inbox.MeasureAsync(BacklogMeasureCap, stoppingToken);
                }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                Retention.Application.Logs.IngestDrainFailed(logger, e);
                wait = RetryAfterStorageFailure;
            }
            if (wait > TimeSpan.Zero)
            {
                await ((Task)Task.WhenAny(accepted, Task.Delay(wait, time, stoppingToken))).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await drain.ReleaseAsync(cancellationToken);
        }
        catch (Exception e) when (e is OperationCanceledException || Retention.Storage.StorageFailures.IsOutage(e, CancellationToken.None))
        {
            // Out of time or no storage: the lease lapses by itself.
        }
    }
}
