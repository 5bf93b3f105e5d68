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
    public const int PageSize = 200;

    public static IEndpointRouteBuilder MapComplaintsEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/complaints").WithTags("Complaints")
            .MapGet("", ListAsync).RequireAuthorization(Roles.Viewer)
            .WithSummary("Complaints with their SLA clocks and time to breach, a page of instances at a time: ?status=open (default) or all")
            .WithDescription("Each page reads one page of one clock-running journey's instances, soonest due first within the page. A complaint whose clocks run "
                + "in two journeys (first response and resolution) appears on a page of each, with that journey's clocks: merge pages by complaintId.");
        return app;
    }

    private static async Task<Results<Ok<ListPage<OpenComplaint>>, ProblemHttpResult>> ListAsync(string? status, [PageSize(PageSize)] int? pageSize,
        string? continuationToken, IJourneyCatalog catalog, IJourneyInstances instances, BusinessCalendars calendars, TimeProvider time, CancellationToken cancellationToken)
    {
        if (status is not (null or "open" or "all"))
        {
            return Problems.Validation([new DefinitionError("/status", "must be open or all")]);
        }
        if (Paging.Read(pageSize, PageSize, continuationToken, out var size, out var position) is { } problem)
        {
            return problem;
        }
        var now = time.GetUtcNow();
        var clocked = catalog.Active.Where(j => j.Clocks.Count > 0 && j.Trigger is EventTrigger { Event: KnownEventTypes.ComplaintOpened })
            .Select(j => j.Id).Order(StringComparer.Ordinal).ToList();
        var (journeyId, instancesToken) = Position.Read(position, clocked);
        if (journeyId is null)
        {
            return TypedResults.Ok(Paging.Answer<OpenComplaint>([], null));
        }
        var page = await instances.QueryAsync(journeyId, null, size, instancesToken, cancellationToken);
        var states = page.Items.Select(i => i.State).Where(s => !s.Status.IsFinished() || status == "all");
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
        return TypedResults.Ok(Paging.Answer(complaints, Position.Next(journeyId, page.ContinuationToken, clocked)));
    }

    /// <summary>Where the board's pages are: the clock-running journey being read, in id order, and the instance store's token within it.</summary>
    private static class Position
    {
        private const char Separator = '\n';

        public static (string? JourneyId, string? InstancesToken) Read(string? position, IReadOnlyList<string> clocked)
        {
            if (position is null)
            {
                return (clocked.Count > 0 ? clocked[0] : null, null);
            }
            var at = position.IndexOf(Separator, StringComparison.Ordinal);
            return at < 0 ? (position, null) : (position[..at], position[(at + 1)..]);
        }

        /// <summary>The rest of this journey, else the next clock-running journey from its start, else null: the last page.</summary>
        public static string? Next(string journeyId, string? instancesToken, IReadOnlyList<string> clocked) =>
            instancesToken is not null ? $"{journeyId}{Separator}{instancesToken}"
            : clocked.FirstOrDefault(id => string.CompareOrdinal(id, journeyId) > 0);
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
