using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Retention.Core.Ports;
using Retention.Core.Scheduling;
using Retention.Core.Time;
using Retention.Journeys;

namespace Retention.Application.Scheduling;

/// <summary>One system job as configured under <c>Retention:Jobs:&lt;name&gt;</c>.</summary>
public sealed class SystemJobOptions
{
    /// <summary>Which registered <see cref="ISystemJob"/> runs it, e.g. <c>pyramid</c>.</summary>
    public string Kind { get; set; } = "";

    /// <summary>5 fields, or 6 with seconds.</summary>
    public string Cron { get; set; } = "";

    /// <summary>IANA id; the cron follows local time in it across DST.</summary>
    public string TimeZone { get; set; } = "UTC";

    /// <summary>A disabled job keeps no schedule but can still be run by hand.</summary>
    public bool Enabled { get; set; } = true;
}

/// <summary><c>Retention:Jobs</c>: the configured system jobs by name, bound and checked when the host starts.</summary>
public sealed class SystemJobsOptions
{
    public const string Section = "Retention:Jobs";

    public Dictionary<string, SystemJobOptions> Jobs { get; } = new(StringComparer.Ordinal);

    /// <summary>What is wrong with the jobs, each naming its setting: a kind nobody runs, an unknown zone, a bad cron.</summary>
    public IReadOnlyList<string> Errors(IEnumerable<string> kinds)
    {
        var known = kinds.Order(StringComparer.Ordinal).ToList();
        var errors = new List<string>();
        foreach (var (name, options) in Jobs.OrderBy(j => j.Key, StringComparer.Ordinal))
        {
            if (!known.Contains(options.Kind, StringComparer.Ordinal))
            {
                errors.Add($"{Section}:{name}:Kind '{options.Kind}' is not a job kind; known kinds: {string.Join(", ", known)}.");
            }
            if (!options.Enabled)
            {
                continue;
            }
            if (!LocalClock.IsKnownZone(options.TimeZone))
            {
                errors.Add($"{Section}:{name}:TimeZone '{options.TimeZone}' is not a known time zone.");
            }
            else if (ScheduleOf(name, options) is { Error: { } cron })
            {
                errors.Add($"{Section}:{name}:Cron '{options.Cron}' is not a cron expression: {cron}");
            }
        }
        return errors;
    }

    /// <summary>An enabled job's schedule, or why its cron does not read.</summary>
    internal static (CronSchedule? Schedule, string? Error) ScheduleOf(string name, SystemJobOptions options)
    {
        try
        {
            return (new CronSchedule(SystemJobs.ScheduleNameOf(name), options.Cron, LocalClock.ResolveZone(options.TimeZone, TimeZoneInfo.Utc)), null);
        }
        catch (Cronos.CronFormatException e)
        {
            return (null, e.Message);
        }
    }
}

/// <summary>One occurrence of a job. <see cref="Tag"/> names it in the ids of whatever it raises, so a rerun raises nothing new.</summary>
public sealed record SystemJobRun(string Name, DateTimeOffset Occurrence, bool Manual)
{
    public string Tag => $"{Name}@{Occurrence.ToUniversalTime():O}";
}

/// <summary>
/// A kind of system job: the extension point for scheduled work that is not a journey (the pyramid recomputation,
/// SLA sweeps, greetings). Register an implementation in DI as <see cref="ISystemJob"/> and declare a schedule for it
/// in configuration. A run may be repeated (a crash, an expired queue lease), so it must be idempotent per
/// <see cref="SystemJobRun.Tag"/>.
/// </summary>
public interface ISystemJob
{
    string Kind { get; }

    /// <returns>Figures for operators (counts, durations), shown by <c>GET /api/jobs</c>.</returns>
    Task<JsonObject> RunAsync(SystemJobRun run, CancellationToken cancellationToken);
}

/// <summary>A configured job with its parsed schedule.</summary>
public sealed record SystemJob(string Name, SystemJobOptions Options, CronSchedule? Schedule)
{
    public string ScheduleName => SystemJobs.ScheduleNameOf(Name);
}

/// <summary>
/// The configured system jobs and the kinds that run them. Occurrences are claimed in the <see cref="IScheduleLedger"/>
/// by the <see cref="Scheduler"/> (once across replicas, missed ones collapsed) and run from the work queue.
/// </summary>
public sealed class SystemJobs
{
    private readonly Dictionary<string, ISystemJob> _kinds;
    private readonly IScheduleLedger _ledger;
    private readonly IJourneyInstances _engine;
    private readonly TimeProvider _time;
    private readonly ILogger<SystemJobs> _logger;

    /// <param name="options">Checked when the host starts (<see cref="SystemJobsOptions.Errors"/>), so every job reads.</param>
    public SystemJobs(IOptions<SystemJobsOptions> options, IEnumerable<ISystemJob> kinds, IScheduleLedger ledger, IJourneyInstances engine, TimeProvider time, ILogger<SystemJobs> logger)
    {
        _kinds = kinds.ToDictionary(k => k.Kind, StringComparer.Ordinal);
        _ledger = ledger;
        _engine = engine;
        _time = time;
        _logger = logger;
        All = [.. options.Value.Jobs.OrderBy(j => j.Key, StringComparer.Ordinal)
            .Select(j => new SystemJob(j.Key, j.Value, j.Value.Enabled ? SystemJobsOptions.ScheduleOf(j.Key, j.Value).Schedule : null))];
    }

    public IReadOnlyList<SystemJob> All { get; }

    public static string ScheduleNameOf(string job) => $"job:{job}";

    public SystemJob? Find(string name) => All.FirstOrDefault(j => j.Name == name);

    /// <summary>Queues a run of <paramref name="job"/> now, outside its schedule: an operator's "run now".</summary>
    public async Task<SystemJobRun> RunNowAsync(SystemJob job, CancellationToken cancellationToken)
    {
        var run = new SystemJobRun(job.Name, _time.GetUtcNow(), Manual: true);
        await _ledger.RecordManualRunAsync(job.ScheduleName, run.Occurrence, cancellationToken);
        var work = new ScheduledWork(ScheduledWork.JobKind, job.Name, run.Occurrence, Manual: true);
        await _engine.StartAsync(JourneyTasks.ScheduledWork, ScheduledWorkOrchestrator.InstanceIdOf(work), work, cancellationToken);
        return run;
    }

    /// <summary>Runs a queued occurrence and records its figures. Throws (so the work is retried) when the run fails.</summary>
    public async Task RunAsync(ScheduledWork message, CancellationToken cancellationToken)
    {
        if (Find(message.Name) is not { } job)
        {
            return; // removed from configuration since it was queued
        }
        var run = new SystemJobRun(job.Name, message.Occurrence, message.Manual);
        var started = _time.GetTimestamp();
        var figures = await _kinds[job.Options.Kind].RunAsync(run, cancellationToken);
        figures["seconds"] = Math.Round(_time.GetElapsedTime(started).TotalSeconds, 3);
        await _ledger.RecordResultAsync(job.ScheduleName, run.Occurrence, run.Manual, _time.GetUtcNow(), figures, cancellationToken);
        if (_logger.IsEnabled(LogLevel.Information))
        {
            _logger.SystemJobCompleted(job.Name, run.Occurrence, figures.ToJsonString());
        }
    }
}
