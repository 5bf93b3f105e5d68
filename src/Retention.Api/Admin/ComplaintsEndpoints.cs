using Microsoft.AspNetCore.Http.HttpResults;
using Retention.Api.Composition;
using Retention.Api.Security;
using Retention.Core.Calendars;
using Retention.Core.Conditions;
using Retention.Core.Definitions;
using Retention.Core.Events;
using Retention.Core.Ports;
using Retention.Core.Runtime;
using Retention.Journeys;
using Retention.Storage.Routing;

namespace Retention.Api.Admin;

/// <param name="DueAt">When the clock reaches its target if it keeps running; null while paused or stopped.</param>
public sealed record ComplaintClock(string Name, string JourneyId, string InstanceId, string Status, double TargetMinutes, double ElapsedMinutes,
    DateTimeOffset? DueAt, bool Breached);

public sealed record OpenComplaint(string ComplaintId, string CustomerId, string? Severity, string? OwnerId, string InstanceId, DateTimeOffset OpenedAt,
    IReadOnlyList<ComplaintClock> Clocks);

/// <summary>The complaints board: each complaint's SLA clocks, read from the instances of journeys that run clocks.</summary>
public static class ComplaintsEndpoints
{
    private const int MaxInstancesRead = 5000;

    public static IEndpointRouteBuilder MapComplaintsEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/complaints").WithTags("Complaints")
            .MapGet("", ListAsync).RequireAuthorization(Roles.Viewer)
            .WithSummary("Complaints with their SLA clocks and time to breach: ?status=open (default) or all");
        return app;
    }

    private static async Task<Results<Ok<List<OpenComplaint>>, ProblemHttpResult>> ListAsync(
        string? status, IJourneyCatalog catalog, IJourneyInstances instances, BusinessCalendars calendars, TimeProvider time, CancellationToken cancellationToken)
    {
        if (status is not (null or "open" or "all"))
        {
            return Problems.Validation([new DefinitionError("/status", "must be open or all")]);
        }
        var now = time.GetUtcNow();
        var clocked = catalog.Active.Where(j => j.Clocks.Count > 0 && j.Trigger is EventTrigger { Event: KnownEventTypes.ComplaintOpened }).Select(j => j.Id);
        var states = new List<JourneyInstanceState>();
        foreach (var journeyId in clocked)
        {
            string? continuation = null;
            do
            {
                var page = await instances.QueryAsync(journeyId, null, 500, continuation, cancellationToken);
                states.AddRange(page.Items.Select(i => i.State).Where(s => !s.Status.IsFinished() || status == "all"));
                continuation = page.ContinuationToken;
            }
            while (continuation is not null && states.Count < MaxInstancesRead);
        }
        var complaints = ByComplaint(states)
            .Select(g =>
            {
                var clocks = g.SelectMany(s => s.Clocks.Select(c => Clock(s, c.Key, c.Value, calendars.ById, now))).ToList();
                var first = g.OrderBy(s => s.StartedAt).First();
                return new OpenComplaint(g.Key, first.CustomerId, Text(first, "severity"), Text(first, "ownerId"), first.InstanceId,
                    first.Trigger["time"]?.GetValue<DateTimeOffset>() ?? first.StartedAt, clocks);
            })
            .Where(c => status == "all" || c.Clocks.Any(k => k.Status != "stopped"))
            .OrderBy(c => c.Clocks.Where(k => k.DueAt is not null).Select(k => k.DueAt).Min() ?? DateTimeOffset.MaxValue)
            .ToList();
        return TypedResults.Ok(complaints);
    }

    /// <summary>Instances that run a complaint's SLA clocks (its first-response and resolution journeys), by complaint id.</summary>
    internal static IEnumerable<IGrouping<string, JourneyInstanceState>> ByComplaint(IEnumerable<JourneyInstanceState> states) =>
        states.Where(s => s.Clocks.Count > 0 && s.Trigger["type"]?.GetValue<string>() == KnownEventTypes.ComplaintOpened && Text(s, "complaintId") is not null)
            .GroupBy(s => Text(s, "complaintId")!, StringComparer.Ordinal);

    internal static string? Text(JourneyInstanceState state, string field) => Condition.AsTextOrNull(state.Trigger["data"]?[field]);

    private static ComplaintClock Clock(JourneyInstanceState state, string name, ClockState clock, IReadOnlyDictionary<string, BusinessCalendar> calendars, DateTimeOffset now)
    {
        var elapsed = clock.ElapsedAt(now, calendars);
        return new ComplaintClock(name, state.JourneyId, state.InstanceId, clock.Status, clock.Clock.Target.TotalMinutes, Math.Round(elapsed.TotalMinutes, 1),
            clock.DueAt(now, calendars), elapsed >= clock.Clock.Target);
    }
}
