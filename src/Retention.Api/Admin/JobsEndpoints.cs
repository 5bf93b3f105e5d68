using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Retention.Api.Composition;
using Retention.Api.Security;
using Retention.Application.Scheduling;
using Retention.Storage.Scheduling;

namespace Retention.Api.Admin;

/// <param name="LastOccurrence">The latest scheduled occurrence claimed (manual runs do not move it).</param>
/// <param name="LastResult">The latest completed run, scheduled or manual, with its figures.</param>
public sealed record JobView(
    string Name, string Kind, string Cron, string TimeZone, bool Enabled,
    DateTimeOffset? LastOccurrence, DateTimeOffset? NextOccurrence, JobResultView? LastResult);

public sealed record JobResultView(DateTimeOffset Occurrence, bool Manual, DateTimeOffset CompletedAt, JsonObject Figures);

public sealed record JobRunAccepted(string Job, DateTimeOffset Occurrence);

/// <summary>The configured system jobs (<c>Retention:Jobs</c>): their schedules and last results, and "run now".</summary>
public static class JobsEndpoints
{
    public static IEndpointRouteBuilder MapJobsEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/jobs").WithTags("Jobs");
        group.MapGet("", ListAsync).RequireAuthorization(Roles.Viewer).WithSummary("Every system job with its schedule, last and next occurrence, and last result");
        group.MapPost("/{name}/run", RunAsync).RequireAuthorization(Roles.Operator).WithSummary("Queue a run of the job now, outside its schedule");
        return app;
    }

    private static async Task<Ok<List<JobView>>> ListAsync(SystemJobs jobs, ScheduleLedger ledger, TimeProvider time, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var views = new List<JobView>();
        foreach (var job in jobs.All)
        {
            var result = await ledger.LastResultAsync(job.ScheduleName, cancellationToken);
            views.Add(new JobView(job.Name, job.Options.Kind, job.Options.Cron, job.Options.TimeZone, job.Schedule is not null,
                await ledger.LastRunAsync(job.ScheduleName, cancellationToken), job.Schedule?.NextAfter(now),
                result is null ? null : new JobResultView(result.Occurrence, result.Manual, result.CompletedAt, result.Figures)));
        }
        return TypedResults.Ok(views);
    }

    private static async Task<Results<Accepted<JobRunAccepted>, ProblemHttpResult>> RunAsync(string name, SystemJobs jobs, CancellationToken cancellationToken)
    {
        if (jobs.Find(name) is not { } job)
        {
            return Problems.NotFound($"No job {name}.");
        }
        var run = await jobs.RunNowAsync(job, cancellationToken);
        return TypedResults.Accepted("/api/jobs", new JobRunAccepted(run.Name, run.Occurrence));
    }
}
