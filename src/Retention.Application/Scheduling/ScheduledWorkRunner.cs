using Retention.Journeys;

namespace Retention.Application.Scheduling;

/// <summary>Carries out a scheduled occurrence for the <c>ScheduledWork</c> orchestration.</summary>
public sealed class ScheduledWorkRunner(ScheduledJourneyStarter journeys, SystemJobs jobs) : IScheduledWorkRunner
{
    public Task RunAsync(ScheduledWork work, CancellationToken cancellationToken) => work.Kind switch
    {
        ScheduledWork.JourneyKind => journeys.RunAsync(work, cancellationToken),
        ScheduledWork.JobKind => jobs.RunAsync(work, cancellationToken),
        _ => throw new InvalidOperationException($"Unknown scheduled work {work.Kind}."),
    };
}
