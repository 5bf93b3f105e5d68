using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Retention.Application.Ingest;
using Retention.Functions.Durable;
using Retention.Storage.Ingest;

namespace Retention.Functions.Timers;

/// <summary>
/// Applies accepted webhook events behind their acknowledgement: every 5 seconds it drains the ingest inbox while
/// requests wait (up to 4 minutes a run, inside the Flex Consumption function timeout). The events start and signal
/// orchestrations, so it runs with the Durable client bound; the Functions timer runs one invocation at a time across
/// instances, and the drain's lease keeps it so with any other host on the same storage.
/// </summary>
public sealed class IngestDrainFunction(IngestDrain drain, DurableClientScope scope)
{
    public const string Name = "IngestDrain";

    /// <summary>Every 5 seconds (six-field NCRONTAB).</summary>
    public const string EveryFiveSeconds = "*/5 * * * * *";

    private static readonly TimeSpan Budget = TimeSpan.FromMinutes(4);

    [Function(Name)]
    public Task<DrainRound> RunAsync([TimerTrigger(EveryFiveSeconds)] TimerInfo timer, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken) =>
        scope.Use(client, () => drain.DrainAsync(Budget, cancellationToken));
}
