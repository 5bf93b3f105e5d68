using Azure.Data.Tables;
using Microsoft.AspNetCore.Http.HttpResults;
using Retention.Api.Composition;
using Retention.Api.Security;
using Retention.Core.Definitions;
using Retention.Core.Events;
using Retention.Core.Runtime;
using Retention.Storage;
using Retention.Journeys;
using Retention.Storage.Journeys;

namespace Retention.Api.Admin;

/// <param name="Scanned">Instances read for this report.</param>
/// <param name="Truncated">True when the journey has more instances than one report reads (<see cref="ReportsEndpoints.MaxInstances"/>).</param>
public sealed record FunnelReport(string JourneyId, IReadOnlyList<FunnelStep> Steps, int Scanned, bool Truncated);

/// <param name="Type">The step's type in the active version; null for a step only older versions have.</param>
public sealed record FunnelStep(string StepId, string? Type, int Entered);

public sealed record ConversionCount(int Count, int Converted);

/// <param name="Lift">Treated conversion rate minus holdout conversion rate; null while either group is empty.</param>
/// <param name="Ci95">A 95% (Wald) interval for the lift; null while either group is empty.</param>
public sealed record LiftReport(string JourneyId, ConversionCount Treated, ConversionCount Holdout, double? Lift, IReadOnlyList<double>? Ci95, int Scanned, bool Truncated);

/// <param name="Total">Complaints seen, including those still open and not yet breached.</param>
/// <param name="Compliance">Within target ÷ (within target + breached); null before any complaint is settled.</param>
public sealed record SlaRow(string Severity, int Total, int WithinTarget, int Breached, double? Compliance);

public sealed record MessageCountRow(string Channel, string Status, string? Reason, int Count);

/// <summary>
/// Read-only reports for the admin workspace, computed on request from what storage already holds: instance state
/// rows (the funnel from each instance's step occurrences, conversions and the holdout flag), instance histories (SLA
/// timeouts of complaint journeys) and the message log. Each request reads a bounded number of rows, so a large
/// account gets a report over the first <see cref="MaxInstances"/> instances or <see cref="MaxMessages"/> messages,
/// marked truncated, rather than a slow page.
/// </summary>
public static class ReportsEndpoints
{
    public const int MaxInstances = 5000;
    public const int MaxMessages = 20000;
    private const int MaxReasonGroups = 200;

    public static IEndpointRouteBuilder MapReportsEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/reports").WithTags("Reports");
        group.MapGet("/journeys/{id}/funnel", FunnelAsync).RequireAuthorization(Roles.Viewer).WithSummary("Instances that reached each step, in step order");
        group.MapGet("/journeys/{id}/lift", LiftAsync).RequireAuthorization(Roles.Viewer).WithSummary("Conversion against the holdout, with a 95% interval");
        group.MapGet("/sla", SlaAsync).RequireAuthorization(Roles.Viewer).WithSummary("Complaint SLA compliance by severity");
        group.MapGet("/messages", MessagesAsync).RequireAuthorization(Roles.Viewer).WithSummary("Messages by channel, status and reason over the last days, of one journey (?journeyId=) or all");
        return app;
    }

    private static async Task<Results<Ok<FunnelReport>, ProblemHttpResult>> FunnelAsync(string id, JourneyCatalog catalog, IJourneyInstances instances, CancellationToken cancellationToken)
    {
        if (catalog.Heads.All(h => h.JourneyId != id))
        {
            return Problems.NotFound($"No journey {id}.");
        }
        var (states, truncated) = await ScanAsync(instances, id, cancellationToken);
        var reached = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var state in states)
        {
            // Occurrences counts every step an instance ran, so one instance counts once per step it reached.
            foreach (var stepId in state.Occurrences.Keys)
            {
                reached[stepId] = reached.GetValueOrDefault(stepId) + 1;
            }
        }
        var active = catalog.Active.FirstOrDefault(d => d.Id == id);
        var steps = (active?.Steps ?? []).Select(s => new FunnelStep(s.Id, StepTypes.Of(s), reached.GetValueOrDefault(s.Id))).ToList();
        steps.AddRange(reached.Keys.Where(k => steps.All(s => s.StepId != k)).Order(StringComparer.Ordinal).Select(k => new FunnelStep(k, null, reached[k])));
        return TypedResults.Ok(new FunnelReport(id, steps, states.Count, truncated));
    }

    private static async Task<Results<Ok<LiftReport>, ProblemHttpResult>> LiftAsync(string id, JourneyCatalog catalog, IJourneyInstances instances, CancellationToken cancellationToken)
    {
        if (catalog.Heads.All(h => h.JourneyId != id))
        {
            return Problems.NotFound($"No journey {id}.");
        }
        var (states, truncated) = await ScanAsync(instances, id, cancellationToken);
        var treated = new ConversionCount(states.Count(s => !s.Holdout), states.Count(s => !s.Holdout && s.Converted));
        var holdout = new ConversionCount(states.Count(s => s.Holdout), states.Count(s => s.Holdout && s.Converted));
        var (lift, ci) = Difference(treated, holdout);
        return TypedResults.Ok(new LiftReport(id, treated, holdout, lift, ci, states.Count, truncated));
    }

    /// <summary>The difference of two proportions with its Wald 95% interval (normal approximation).</summary>
    public static (double? Lift, IReadOnlyList<double>? Ci95) Difference(ConversionCount treated, ConversionCount holdout)
    {
        if (treated.Count == 0 || holdout.Count == 0)
        {
            return (null, null);
        }
        var p1 = (double)treated.Converted / treated.Count;
        var p0 = (double)holdout.Converted / holdout.Count;
        var standardError = Math.Sqrt((p1 * (1 - p1) / treated.Count) + (p0 * (1 - p0) / holdout.Count));
        var lift = p1 - p0;
        return (lift, [lift - (1.96 * standardError), lift + (1.96 * standardError)]);
    }

    /// <summary>
    /// A complaint is the instances its <c>complaint.opened</c> started that run SLA clocks (first response, resolution),
    /// grouped by severity. It is breached when any of its clocks passed its target, within target when every clock
    /// stopped in time, and still open otherwise; read from the clocks in instance state, not from histories.
    /// </summary>
    private static async Task<Ok<List<SlaRow>>> SlaAsync(IJourneyInstances instances, BusinessCalendars calendars, TimeProvider time, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var (states, _) = await ScanAsync(instances, null, cancellationToken);
        var rows = new Dictionary<string, (int Total, int Within, int Breached)>(StringComparer.Ordinal);
        foreach (var complaint in ComplaintsEndpoints.ByComplaint(states))
        {
            var severity = ComplaintsEndpoints.Text(complaint.First(), "severity") ?? "unknown";
            var clocks = complaint.SelectMany(s => s.Clocks.Values).ToList();
            var breached = clocks.Any(c => c.ElapsedAt(now, calendars.ById) >= c.Clock.Target);
            var within = !breached && clocks.All(c => c.Stopped);
            var row = rows.GetValueOrDefault(severity);
            rows[severity] = (row.Total + 1, row.Within + (within ? 1 : 0), row.Breached + (breached ? 1 : 0));
        }
        string[] order = ["critical", "high", "normal", "low"];
        return TypedResults.Ok(rows.OrderBy(r => Array.IndexOf(order, r.Key) is var i and >= 0 ? i : order.Length).ThenBy(r => r.Key, StringComparer.Ordinal)
            .Select(r => new SlaRow(r.Key, r.Value.Total, r.Value.Within, r.Value.Breached,
                r.Value.Within + r.Value.Breached == 0 ? null : (double)r.Value.Within / (r.Value.Within + r.Value.Breached)))
            .ToList());
    }

    private static async Task<Results<Ok<List<MessageCountRow>>, ProblemHttpResult>> MessagesAsync(int? days, string? journeyId, StorageAccount account, TimeProvider time, CancellationToken cancellationToken)
    {
        var window = days ?? 30;
        if (window is < 1 or > 366)
        {
            return Problems.Validation([new DefinitionError("/days", "must be from 1 to 366")]);
        }
        var since = time.GetUtcNow().AddDays(-window);
        var counts = new Dictionary<(string Channel, string Status, string? Reason), int>();
        var read = 0;
        // The message log is partitioned by customer; a report reads across partitions, only the three columns it counts.
        var filter = journeyId is null
            ? TableClient.CreateQueryFilter($"UpdatedAt ge {since}")
            : TableClient.CreateQueryFilter($"UpdatedAt ge {since} and JourneyId eq {journeyId}");
        var query = account.Table("messages").QueryAsync<TableEntity>(filter,
            maxPerPage: 1000, select: ["Channel", "Status", "Reason"], cancellationToken: cancellationToken);
        await foreach (var e in query)
        {
            var reason = ReasonGroup(e.GetString("Reason"));
            var key = (e.GetString("Channel") ?? "", e.GetString("Status") ?? "", reason);
            if (counts.ContainsKey(key) || counts.Count < MaxReasonGroups)
            {
                counts[key] = counts.GetValueOrDefault(key) + 1;
            }
            if (++read >= MaxMessages)
            {
                break;
            }
        }
        return TypedResults.Ok(counts.OrderBy(c => c.Key.Channel, StringComparer.Ordinal).ThenBy(c => c.Key.Status, StringComparer.Ordinal)
            .ThenByDescending(c => c.Value).Select(c => new MessageCountRow(c.Key.Channel, c.Key.Status, c.Key.Reason, c.Value)).ToList());
    }

    /// <summary>Reasons carry times and counts ("quiet hours until 08:00…"); the part before them groups alike reasons.</summary>
    private static string? ReasonGroup(string? reason)
    {
        if (string.IsNullOrWhiteSpace(reason))
        {
            return null;
        }
        var cut = reason.IndexOfAny([':', '(', ';']);
        var head = (cut > 0 ? reason[..cut] : reason).Trim();
        var until = head.IndexOf(" until ", StringComparison.Ordinal);
        head = until > 0 ? head[..until] : head;
        return head.Length > 80 ? head[..80] : head;
    }

    private static async Task<(List<JourneyInstanceState> States, bool Truncated)> ScanAsync(IJourneyInstances instances, string? journeyId, CancellationToken cancellationToken)
    {
        var states = new List<JourneyInstanceState>();
        string? token = null;
        do
        {
            var page = await instances.QueryAsync(journeyId, null, 1000, token, cancellationToken);
            states.AddRange(page.Items.Select(i => i.State));
            token = page.ContinuationToken;
        }
        while (token is not null && states.Count < MaxInstances);
        return (states.Count > MaxInstances ? states[..MaxInstances] : states, token is not null || states.Count > MaxInstances);
    }
}
