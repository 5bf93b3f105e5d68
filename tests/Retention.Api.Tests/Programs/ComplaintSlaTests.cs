using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Retention.Core.Definitions;
using Retention.Storage.Tasks;
using Retention.Testing;

namespace Retention.Api.Tests.Programs;

/// <summary>
/// The shipped complaint journeys (first response and resolution) under virtual time, on the mainland China business
/// calendar (09:00-18:00 Asia/Shanghai, Monday to Friday, public holidays off).
/// </summary>
public sealed class ComplaintSlaJourneys : IDisposable
{
    private static readonly DateTimeOffset MondayTen = RetentionFactory.Epoch.AddHours(2); // 2026-03-02 10:00 in Shanghai
    private readonly ProgramHost _host = new("complaint-first-response", "complaint-resolution");

    public void Dispose() => _host.Dispose();

    private static DateTimeOffset Shanghai(int month, int day, int hour, int minute = 0) => new(2026, month, day, hour, minute, 0, TimeSpan.FromHours(8));

    private Task OpenAsync(string customerId, string complaintId, string severity) =>
        _host.PostAsync("complaint.opened", new JsonObject
        {
            ["customerId"] = customerId, ["complaintId"] = complaintId, ["severity"] = severity, ["category"] = "fees", ["ownerId"] = "agent-3",
        });

    private Task ComplaintEventAsync(string type, string complaintId, string? status = null)
    {
        var data = new JsonObject { ["complaintId"] = complaintId };
        if (status is not null)
        {
            data["status"] = status;
        }
        return _host.PostAsync(type, data);
    }

    private static (string Journey, string Step, string Assignee, DateTimeOffset CreatedAt) Row(StaffTask t) => (t.JourneyId, t.StepId, t.Assignee, t.CreatedAt);

    [Fact]
    public async Task ACriticalComplaintIsAcknowledgedAtOnceThenWarnedAndEscalatedUpTheRegion()
    {
        await _host.PostAsync("customer.upserted", ProgramHost.Customer("K1", "+8613800000011", region: "north", marketing: "opted-out"));
        await _host.AdvanceToAsync(MondayTen);
        await OpenAsync("K1", "CP1", "critical");

        // A service message: sent at once although marketing consent is withdrawn.
        var ack = Assert.Single(await _host.MessagesAsync("K1"));
        Assert.Equal(("acknowledge", MondayTen), (ack.StepId, ack.SentAt));
        Assert.Contains("CP1", ack.Body, StringComparison.Ordinal);

        await _host.AdvanceToAsync(Shanghai(3, 3, 18));
        Assert.Equal(
            [
                ("complaint-first-response", "warn-owner", "owner:agent-3", Shanghai(3, 2, 10, 45)),      // 75% of 1 h
                ("complaint-first-response", "escalate-to-supervisor", "owner:supervisor-north", Shanghai(3, 2, 11)),
                ("complaint-first-response", "escalate-to-manager", "owner:manager-north", Shanghai(3, 2, 12)), // twice the target
                ("complaint-resolution", "warn-owner", "owner:agent-3", Shanghai(3, 2, 16)),            // 75% of 8 h
                ("complaint-resolution", "escalate-to-supervisor", "owner:supervisor-north", Shanghai(3, 2, 18)),
                ("complaint-resolution", "escalate-to-manager", "owner:manager-north", Shanghai(3, 3, 17)), // 16 working hours
            ],
            (await _host.TasksAsync("K1")).Select(Row).OrderBy(r => r.CreatedAt));

        // The SLA report counts each of the complaint's clocks (two journeys, two clocks), both breached.
        var critical = Assert.Single((await _host.Admin.GetFromJsonAsync<JsonArray>("/api/reports/sla"))!, r => r!["severity"]!.GetValue<string>() == "critical")!;
        Assert.Equal((2, 0, 2), (critical["total"]!.GetValue<int>(), critical["withinTarget"]!.GetValue<int>(), critical["breached"]!.GetValue<int>()));

        // The funnel names every step by its type, clock steps included.
        var funnel = (await _host.Admin.GetFromJsonAsync<JsonObject>("/api/reports/journeys/complaint-first-response/funnel"))!["steps"]!.AsArray();
        Assert.All(funnel, s => Assert.Contains(s!["type"]?.GetValue<string>(), StepTypes.All));
        var clock = Assert.Single(funnel, s => s!["stepId"]!.GetValue<string>() == "start-clock")!;
        Assert.Equal((StepTypes.Clock, 1), (clock["type"]!.GetValue<string>(), clock["entered"]!.GetValue<int>()));
    }

    [Fact]
    public async Task ThePendingCustomerPauseHoldsTheClockAndAReopenResumesItWhereItStopped()
    {
        await _host.PostAsync("customer.upserted", ProgramHost.Customer("K2", "+8613800000012"));
        await _host.AdvanceToAsync(MondayTen);
        await OpenAsync("K2", "CP2", "critical");
        await _host.AdvanceToAsync(Shanghai(3, 2, 10, 30));
        await ComplaintEventAsync("complaint.responded", "CP2");

        await _host.AdvanceToAsync(Shanghai(3, 2, 12));
        await ComplaintEventAsync("complaint.status_changed", "CP2", "pending_customer"); // 2 of 8 working hours used
        await _host.AdvanceToAsync(Shanghai(3, 3, 10));
        Assert.Empty(await _host.TasksAsync("K2"));                                       // no warning while paused
        Assert.Equal(("paused", 120.0, (DateTimeOffset?)null), await ResolutionClockOnTheBoardAsync("CP2"));
        await ComplaintEventAsync("complaint.status_changed", "CP2", "in_progress");
        Assert.Equal(("running", 120.0, (DateTimeOffset?)Shanghai(3, 3, 16)), await ResolutionClockOnTheBoardAsync("CP2"));

        await _host.AdvanceToAsync(Shanghai(3, 3, 15));
        await ComplaintEventAsync("complaint.resolved", "CP2");                             // stopped at 7 of 8 hours
        await _host.AdvanceToAsync(Shanghai(3, 5, 10));
        await ComplaintEventAsync("complaint.reopened", "CP2");                             // resumes at 7 hours
        await _host.AdvanceToAsync(Shanghai(3, 5, 18));

        Assert.Equal(
            [
                ("complaint-resolution", "warn-owner", "owner:agent-3", Shanghai(3, 3, 14)),               // 6 h: 2 before the pause, 4 after
                ("complaint-resolution", "escalate-to-supervisor", "owner:supervisor-hq", Shanghai(3, 5, 11)), // the last hour after the reopen
            ],
            (await _host.TasksAsync("K2")).Select(Row));
        Assert.Equal(
            [("acknowledge", MondayTen), ("survey", Shanghai(3, 4, 10))],
            (await _host.MessagesAsync("K2")).Select(m => (m.StepId, m.SentAt)));
        var firstResponse = (await _host.InstancesAsync("K2")).Single(i => i["journeyId"]!.GetValue<string>() == "complaint-first-response");
        Assert.Equal(("Completed", "responded"), (firstResponse["status"]!.GetValue<string>(), firstResponse["outcome"]!.GetValue<string>()));
    }

    [Fact]
    public async Task TheBoardPagesThroughEachClockJourneyAndShowsEveryComplaintOncePerJourney()
    {
        await _host.AdvanceToAsync(MondayTen);
        string[] complaints = ["CPG1", "CPG2", "CPG3"];
        foreach (var (complaint, i) in complaints.Select((c, i) => (c, i)))
        {
            await _host.PostAsync("customer.upserted", ProgramHost.Customer($"KG{i}", $"+861380000002{i}"));
            await OpenAsync($"KG{i}", complaint, "normal");
        }

        var pages = await ListPages.AllAsync(_host.Admin, "/api/complaints?status=all&pageSize=2");

        Assert.Equal(2, pages[0].Count); // a full page, and a token to the rest
        var shown = pages.SelectMany(page => page).Select(c => (Id: c!["complaintId"]!.GetValue<string>(), Journey: c["clocks"]![0]!["journeyId"]!.GetValue<string>())).ToList();
        Assert.Equal(shown.Count, shown.Distinct().Count()); // nothing twice
        Assert.Equal(
            complaints.SelectMany(c => new[] { (c, "complaint-first-response"), (c, "complaint-resolution") }).Order(),
            shown.Order());
        Assert.All(pages, page => Assert.True(page.Count <= 2));
    }

    private async Task<(string Status, double ElapsedMinutes, DateTimeOffset? DueAt)> ResolutionClockOnTheBoardAsync(string complaintId)
    {
        // The board pages by journey: a complaint is on a page of each journey that runs its clocks, with that journey's clocks.
        var board = await ListPages.ItemsAsync(_host.Admin, "/api/complaints");
        var clock = Assert.Single(board.Where(c => c["complaintId"]!.GetValue<string>() == complaintId).SelectMany(c => c["clocks"]!.AsArray()),
            c => c!["name"]!.GetValue<string>() == "resolution")!;
        return (clock["status"]!.GetValue<string>(), clock["elapsedMinutes"]!.GetValue<double>(), clock["dueAt"]?.GetValue<DateTimeOffset>());
    }

    [Fact]
    public async Task BusinessHoursSkipTheQingmingHoliday()
    {
        await _host.PostAsync("customer.upserted", ProgramHost.Customer("K3", "+8613800000013"));
        await _host.AdvanceToAsync(Shanghai(4, 3, 17)); // Friday 17:00; 4-6 April are public holidays
        await OpenAsync("K3", "CP3", "normal");
        await _host.AdvanceToAsync(Shanghai(4, 7, 15));

        // 75% of 8 h is 6 h: one on Friday, five from Tuesday 09:00.
        var warning = Assert.Single(await _host.TasksAsync("K3"));
        Assert.Equal(("complaint-first-response", "warn-owner", "owner:agent-3", Shanghai(4, 7, 14)), Row(warning));
    }

    [Fact]
    public async Task ADoubleDeliveredStatusChangeChangesNothing()
    {
        await _host.PostAsync("customer.upserted", ProgramHost.Customer("K4", "+8613800000014"));
        await _host.AdvanceToAsync(MondayTen);
        await OpenAsync("K4", "CP4", "critical");
        await ComplaintEventAsync("complaint.responded", "CP4");
        await _host.AdvanceToAsync(Shanghai(3, 2, 12));
        var pause = Webhooks.Event("complaint.status_changed", new JsonObject { ["complaintId"] = "CP4", ["status"] = "pending_customer" }, id: "status-1", time: _host.Now);
        await _host.PostAsync(pause);
        await _host.AdvanceToAsync(Shanghai(3, 3, 10));
        await ComplaintEventAsync("complaint.status_changed", "CP4", "in_progress");
        await _host.AdvanceToAsync(Shanghai(3, 3, 11));
        await _host.PostAsync((JsonObject)pause.DeepClone()); // redelivered late: must not pause the clock again

        await _host.AdvanceToAsync(Shanghai(3, 3, 18));
        var warning = Assert.Single(await _host.TasksAsync("K4"), t => t.Kind == "sla-warning");
        Assert.Equal(Shanghai(3, 3, 14), warning.CreatedAt);
    }
}
