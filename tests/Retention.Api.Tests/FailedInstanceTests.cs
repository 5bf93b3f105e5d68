using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Retention.Channels.Providers;
using Retention.Core.Ports;
using Retention.Core.Runtime;
using Retention.Storage.DevOutbox;
using Retention.Testing;

namespace Retention.Api.Tests;

/// <summary>
/// Failed instances on the real Durable Task engine (DTFx on Azurite): an effect that fails for good (an SMS provider
/// that throws, retried twice) fails the instance, which says why in words and logs it without personal data; a
/// restart runs it again from its generation's start, with its state and the signals it had received.
/// </summary>
public sealed class FailedInstancesOnTheRealEngine : IDisposable
{
    private const string Fragile = """
        { "id": "fragile", "trigger": { "type": "event", "event": "sale.completed" }, "entry": { "policy": "oncePerKey", "key": "trigger.data.saleId" },
          "start": "e1", "steps": [
            { "id": "e1", "type": "waitForEvent", "event": "step.done", "filter": { "path": "event.data.n", "op": "eq", "value": "1" }, "onEvent": "e2" },
            { "id": "e2", "type": "waitForEvent", "event": "step.done", "filter": { "path": "event.data.n", "op": "eq", "value": "2" }, "onEvent": "done" },
            { "id": "done", "type": "send", "channel": "sms", "template": "t", "category": "service", "next": "e3" },
            { "id": "e3", "type": "waitForEvent", "event": "step.done", "filter": { "path": "event.data.n", "op": "eq", "value": "3" }, "onEvent": "bye" },
            { "id": "bye", "type": "send", "channel": "sms", "template": "b", "category": "service" } ],
          "templates": { "t": { "sms": { "en": "Done" } }, "b": { "sms": { "en": "Bye" } } } }
        """;

    private const string Other = """
        { "id": "other", "trigger": { "type": "event", "event": "sale.completed" }, "entry": { "policy": "oncePerKey", "key": "trigger.data.saleId" },
          "start": "s", "steps": [ { "id": "s", "type": "send", "channel": "sms", "template": "t", "category": "service" } ],
          "templates": { "t": { "sms": { "en": "Other" } } } }
        """;

    /// <summary>Valid, but a case due on the calendar's last day puts its first wait past the calendar's end: the instance fails on its first event.</summary>
    private const string Broken = """
        { "id": "broken", "trigger": { "type": "event", "event": "case.opened" }, "entry": { "policy": "oncePerKey", "key": "trigger.data.caseId" },
          "start": "far", "steps": [
            { "id": "far", "type": "wait", "untilDate": { "path": "trigger.data.due", "offset": "P2D" }, "next": "end" },
            { "id": "end", "type": "exit", "outcome": "never" } ] }
        """;

    private readonly BreakableSms _sms = new();
    private readonly CapturedLogs _logs = new();
    private readonly RetentionFactory _host;

    public FailedInstancesOnTheRealEngine()
    {
        // Two inputs per generation, so the failure falls in a generation that continued as new; two attempts per effect, so it fails in seconds.
        _host = new RetentionFactory(virtualTime: false, [Fragile, Other, Broken], new()
        {
            ["Retention:InputsPerGeneration"] = "2",
            ["Retention:EffectRetryAttempts"] = "2",
        }, services =>
        {
            services.AddSingleton<ISmsProvider>(sp => _sms.Over(sp.GetRequiredService<DevOutboxProvider>()));
            services.AddLogging(logging =>
            {
                logging.AddProvider(_logs);
                logging.AddFilter<CapturedLogs>("Retention", LogLevel.Trace);
            });
        });
    }

    public void Dispose() => _host.Dispose();

    [Fact]
    public async Task AFailedInstanceSaysWhyAndARestartRunsItAgainFromItsGenerationsStartWithTheSignalsItHadReceived()
    {
        const string phone = "+8613900000071";
        var client = _host.CreateClient();
        var admin = _host.Admin();
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync(Webhooks.Customer("F1", phone: phone, name: "Qian Duoduo"), DateTimeOffset.UtcNow)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync(Webhooks.Sale("F1", "FS1"), DateTimeOffset.UtcNow)).StatusCode);
        const string id = "fragile:F1:FS1";
        await Eventually(async () => await DetailAsync(id) is { } d && d["currentStep"]?.GetValue<string>() == "e1" ? d : null);
        await Eventually(async () => await DetailAsync("other:F1:FS1") is { } d && d["status"]!.GetValue<string>() == "Completed" ? d : null);

        // n=1 ends the first generation (two inputs); in the second, n=2 reaches the send, which fails for good. n=3 is
        // raised while the first attempt is held, so the instance has received it before it fails.
        _sms.Broken = true;
        var held = _sms.Hold();
        await PostStepAsync(client, "F1", 1);
        await Eventually(async () => await DetailAsync(id) is { } d && d["generation"]!.GetValue<int>() == 1 && d["currentStep"]?.GetValue<string>() == "e2" ? d : null);
        var failing = await PostStepAsync(client, "F1", 2);
        await Eventually(() => Task.FromResult(_sms.Attempts > 0 ? this : null));
        await PostStepAsync(client, "F1", 3);
        await Eventually(async () => (await admin.GetFromJsonAsync<JsonObject>("/api/operations/ingest"))!["backlog"]!["events"]!.GetValue<int>() == 0 ? this : null);
        held.SetResult();
        var failed = await Eventually(async () => await DetailAsync(id) is { } d && d["status"]!.GetValue<string>() == "Failed" ? d : null, TimeSpan.FromSeconds(90));

        // Why, in words: the step, the input, the activity, the exception's type and message; the step is current, the failure is in the history.
        var failure = failed["failure"]!.AsObject();
        Assert.Equal("done", failure["stepId"]!.GetValue<string>());
        Assert.Equal($"event step.done ({failing})", failure["input"]!.GetValue<string>());
        Assert.Equal("SendMessage", failure["activity"]!.GetValue<string>());
        Assert.Equal(typeof(InvalidOperationException).FullName, failure["exceptionType"]!.GetValue<string>());
        Assert.Contains("provider down", failure["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("done", failed["currentStep"]!.GetValue<string>());
        Assert.Contains("failed at step done", failed["outcome"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HistoryKinds.Ended(InstanceStatus.Failed), failed["history"]!.AsArray().Last()!["kind"]!.GetValue<string>());

        // Logged at warning with ids, step and exception type, never the message (it named the phone number) or the customer's data.
        var warning = Assert.Single(_logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("[4002:", StringComparison.Ordinal) && l.Contains(id, StringComparison.Ordinal));
        Assert.Contains("done", warning, StringComparison.Ordinal);
        Assert.Contains(typeof(InvalidOperationException).FullName!, warning, StringComparison.Ordinal);
        string[] personal = [phone, phone[3..], "Qian", "Duoduo", "provider down"];
        var leaks = _logs.Lines.Where(l => personal.Any(p => l.Contains(p, StringComparison.OrdinalIgnoreCase))).ToList();
        Assert.True(leaks.Count == 0, string.Join('\n', leaks));

        // The provider is back: the restart runs the second generation again, its state (at e2) and its signals (n=2, n=3) kept.
        _sms.Broken = false;
        var restart = await admin.PostAsync($"/api/instances/{Uri.EscapeDataString(id)}/restart", null);
        Assert.Equal(HttpStatusCode.Accepted, restart.StatusCode);
        var done = await Eventually(async () => await DetailAsync(id) is { } d && d["status"]!.GetValue<string>() == "Completed" ? d : null, TimeSpan.FromSeconds(60));
        Assert.Equal(1, done["generation"]!.GetValue<int>());
        Assert.Null(done["failure"]);
        var history = done["history"]!.AsArray().Select(h => h!["kind"]!.GetValue<string>()).ToList();
        Assert.Contains(HistoryKinds.Restarted, history);
        Assert.DoesNotContain(HistoryKinds.Ended(InstanceStatus.Failed), history);
        var restarted = done["history"]!.AsArray().Single(h => h!["kind"]!.GetValue<string>() == HistoryKinds.Restarted)!;
        Assert.Contains("SendMessage failed", restarted["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(["e1", "e2", "e3"], done["history"]!.AsArray()
            .Where(h => h!["kind"]!.GetValue<string>() == HistoryKinds.EventReceived).Select(h => h!["stepId"]!.GetValue<string>()));
        var outbox = (await client.GetFromJsonAsync<JsonArray>("/api/dev/outbox?customerId=F1"))!;
        Assert.Equal(["Bye", "Done", "Other"], outbox.Select(m => m!["body"]!.GetValue<string>()).Order(StringComparer.Ordinal));

        // Not failed any more: a second restart is a conflict, as a problem; the restart is audited.
        var again = await admin.PostAsync($"/api/instances/{Uri.EscapeDataString(id)}/restart", null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("application/problem+json", again.Content.Headers.ContentType?.MediaType);
        var audit = (await admin.GetFromJsonAsync<JsonObject>("/api/audit"))!["items"]!.AsArray();
        var entry = audit.Single(e => e!["path"]!.GetValue<string>().EndsWith("/restart", StringComparison.Ordinal) && e["status"]!.GetValue<int>() == 202)!;
        Assert.Contains("Failed", entry["before"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.DoesNotContain("provider down", entry["before"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AJourneyThatFailsOnItsFirstEventSaysAtWhichStepOnWhichInputAndWithWhatException()
    {
        var client = _host.CreateClient();
        var opened = Webhooks.Event("case.opened", new JsonObject { ["customerId"] = "K1", ["caseId"] = "KC1", ["due"] = "9999-12-31" });
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync(opened, DateTimeOffset.UtcNow)).StatusCode);
        const string id = "broken:K1:KC1";
        var failed = await Eventually(async () => await DetailAsync(id) is { } d && d["status"]!.GetValue<string>() == "Failed" ? d : null);

        var failure = failed["failure"]!.AsObject();
        Assert.Equal("far", failure["stepId"]!.GetValue<string>());
        Assert.Equal($"start by case.opened ({opened["id"]!.GetValue<string>()})", failure["input"]!.GetValue<string>());
        Assert.Null(failure["activity"]);
        Assert.Equal(typeof(ArgumentOutOfRangeException).FullName, failure["exceptionType"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(failure["message"]!.GetValue<string>()));
        Assert.Equal("far", failed["currentStep"]!.GetValue<string>());
        Assert.Equal("K1", failed["customerId"]!.GetValue<string>());
        var history = Assert.Single(failed["history"]!.AsArray());
        Assert.Equal((HistoryKinds.Ended(InstanceStatus.Failed), "far"), (history!["kind"]!.GetValue<string>(), history["stepId"]!.GetValue<string>()));
        Assert.Contains(_logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("[4002:", StringComparison.Ordinal)
            && l.Contains(id, StringComparison.Ordinal) && l.Contains("far", StringComparison.Ordinal) && l.Contains(nameof(ArgumentOutOfRangeException), StringComparison.Ordinal));
        Assert.Contains(failed["outcome"]!.GetValue<string>(), (await _host.Admin().GetFromJsonAsync<JsonObject>("/api/operations/failed"))!["items"]!.AsArray()!
            .Where(f => f!["instanceId"]!.GetValue<string>() == id).Select(f => f!["reason"]!.GetValue<string>()));
    }

    [Fact]
    public async Task ABulkRestartRestartsExactlyTheJourneysFailuresSinceTheTimePageByPage()
    {
        var client = _host.CreateClient();
        var admin = _host.Admin();
        _sms.Broken = true;
        // Before "since": B0 fails (in both journeys). After it: B1 and B2 fail in "fragile" and "other".
        var early = await FailBothAsync(client, "B0");
        var since = early.Max(d => d["failure"]!["at"]!.GetValue<DateTimeOffset>()).AddMilliseconds(1);
        await Eventually(() => Task.FromResult(DateTimeOffset.UtcNow > since.AddSeconds(1) ? this : null));
        await FailBothAsync(client, "B1");
        await FailBothAsync(client, "B2");
        _sms.Broken = false;

        var invalid = await admin.PostAsync("/api/instances/restart", null);
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        var problem = (await invalid.Content.ReadFromJsonAsync<JsonObject>())!.ToJsonString();
        Assert.Contains("/journeyId", problem, StringComparison.Ordinal);
        Assert.Contains("/since", problem, StringComparison.Ordinal);
        var badTime = await admin.PostAsync("/api/instances/restart?journeyId=other&since=yesterday", null);
        Assert.Equal(HttpStatusCode.BadRequest, badTime.StatusCode);
        Assert.Contains("/since", await badTime.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var restarted = new List<string>();
        string? token = null;
        var requests = 0;
        do
        {
            var url = $"/api/instances/restart?journeyId=other&since={Uri.EscapeDataString(since.ToString("O"))}&pageSize=1"
                + (token is null ? "" : $"&continuationToken={Uri.EscapeDataString(token)}");
            var response = await admin.PostAsync(url, null);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            var page = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
            Assert.True(page["instanceIds"]!.AsArray().Count <= 1);
            restarted.AddRange(page["instanceIds"]!.AsArray().Select(i => i!.GetValue<string>()));
            token = page["continuationToken"]?.GetValue<string>();
            requests++;
        }
        while (token is not null && requests < 20);
        Assert.Equal(["other:B1:B1-S", "other:B2:B2-S"], restarted.Order(StringComparer.Ordinal));

        foreach (var customer in new[] { "B1", "B2" })
        {
            await Eventually(async () => await DetailAsync($"other:{customer}:{customer}-S") is { } d && d["status"]!.GetValue<string>() == "Completed" ? d : null, TimeSpan.FromSeconds(60));
        }
        // The failure before "since" and the other journey's failures are left as they were.
        Assert.Equal("Failed", (await DetailAsync("other:B0:B0-S"))!["status"]!.GetValue<string>());
        foreach (var customer in new[] { "B0", "B1", "B2" })
        {
            Assert.Equal("Failed", (await DetailAsync($"fragile:{customer}:{customer}-S"))!["status"]!.GetValue<string>());
        }
        var audit = (await admin.GetFromJsonAsync<JsonObject>("/api/audit"))!["items"]!.AsArray();
        Assert.Contains(audit, e => e!["route"]!.GetValue<string>().Contains("/api/instances/restart", StringComparison.Ordinal)
            && e["after"]?.GetValue<string>()?.Contains("other:B1:B1-S", StringComparison.Ordinal) == true);
    }

    /// <summary>Fails the customer's instance of both journeys: "other" at its send, "fragile" at its send after n=1 and n=2.</summary>
    private async Task<JsonObject[]> FailBothAsync(HttpClient client, string customer)
    {
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync(Webhooks.Customer(customer, phone: "+861390000009" + customer[^1]), DateTimeOffset.UtcNow)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync(Webhooks.Sale(customer, customer + "-S"), DateTimeOffset.UtcNow)).StatusCode);
        var fragile = $"fragile:{customer}:{customer}-S";
        await Eventually(async () => await DetailAsync(fragile) is { } d && d["currentStep"]?.GetValue<string>() == "e1" ? d : null);
        await PostStepAsync(client, customer, 1);
        await PostStepAsync(client, customer, 2);
        return
        [
            await Eventually(async () => await DetailAsync($"other:{customer}:{customer}-S") is { } d && d["status"]!.GetValue<string>() == "Failed" ? d : null, TimeSpan.FromSeconds(90)),
            await Eventually(async () => await DetailAsync(fragile) is { } d && d["status"]!.GetValue<string>() == "Failed" ? d : null, TimeSpan.FromSeconds(90)),
        ];
    }

    private static async Task<string> PostStepAsync(HttpClient client, string customer, int n)
    {
        var e = Webhooks.Event("step.done", new JsonObject { ["customerId"] = customer, ["n"] = n.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync(e, DateTimeOffset.UtcNow)).StatusCode);
        return e["id"]!.GetValue<string>();
    }

    private async Task<JsonObject?> DetailAsync(string instanceId)
    {
        var response = await _host.Admin().GetAsync($"/api/instances/{Uri.EscapeDataString(instanceId)}");
        return response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<JsonObject>() : null;
    }

    /// <summary>Polls every quarter second; the deadline is generous, since the waits are seconds long and the machine may be busy.</summary>
    private static async Task<T> Eventually<T>(Func<Task<T?>> probe, TimeSpan? within = null) where T : class
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (await probe() is { } value)
            {
                return value;
            }
            Assert.True(clock.Elapsed < (within ?? TimeSpan.FromSeconds(45)), "timed out waiting for the journey");
            await Task.Delay(250);
        }
    }

    /// <summary>The dev outbox behind a switch: broken, it throws naming the recipient, as a provider's exception may.</summary>
    private sealed class BreakableSms
    {
        private int _attempts;
        private TaskCompletionSource? _hold;

        public volatile bool Broken;

        public int Attempts => Volatile.Read(ref _attempts);

        /// <summary>Broken attempts wait until the returned source is set before they throw.</summary>
        public TaskCompletionSource Hold() => _hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public ISmsProvider Over(ISmsProvider inner) => new Provider(this, inner);

        private sealed class Provider(BreakableSms owner, ISmsProvider inner) : ISmsProvider
        {
            public string Name => inner.Name;

            public async Task<ProviderResult> SendAsync(SmsRequest request, CancellationToken cancellationToken)
            {
                if (owner.Broken)
                {
                    Interlocked.Increment(ref owner._attempts);
                    if (owner._hold is { } hold)
                    {
                        await hold.Task.WaitAsync(cancellationToken);
                    }
                    throw new InvalidOperationException($"provider down for {request.To}");
                }
                return await inner.SendAsync(request, cancellationToken);
            }
        }
    }

}

/// <summary>The in-memory engine restarts a failed instance as the Durable Task engines do, so virtual-time tests can use the API too.</summary>
public sealed class FailedInstancesOnTheInMemoryEngine : IDisposable
{
    /// <summary>A journey whose start fails for a trigger due 9999-12-31 (its wait, two days later, is past the last date); other tests page through such failed instances too.</summary>
    internal const string Broken = """
        { "id": "broken", "trigger": { "type": "event", "event": "case.opened" }, "entry": { "policy": "oncePerKey", "key": "trigger.data.caseId" },
          "start": "far", "steps": [
            { "id": "far", "type": "wait", "untilDate": { "path": "trigger.data.due", "offset": "P2D" }, "next": "end" },
            { "id": "end", "type": "exit", "outcome": "never" } ] }
        """;

    private readonly RetentionFactory _host = new(virtualTime: true, [Broken]);

    public void Dispose() => _host.Dispose();

    [Fact]
    public async Task ARestartRunsTheFailedStartAgainAndTheHistorySaysSo()
    {
        var client = _host.CreateClient();
        var admin = _host.Admin();
        var opened = Webhooks.Event("case.opened", new JsonObject { ["customerId"] = "V1", ["caseId"] = "VC1", ["due"] = "9999-12-31" }, time: _host.Now);
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync(opened, _host.Now)).StatusCode);
        await _host.RunUntilIdleAsync();
        const string path = "/api/instances/broken:V1:VC1";
        var failed = (await admin.GetFromJsonAsync<JsonObject>(path))!;
        Assert.Equal(("Failed", "far"), (failed["status"]!.GetValue<string>(), failed["failure"]!["stepId"]!.GetValue<string>()));

        Assert.Equal(HttpStatusCode.Accepted, (await admin.PostAsync(path + "/restart", null)).StatusCode);
        await _host.RunUntilIdleAsync();
        var again = (await admin.GetFromJsonAsync<JsonObject>(path))!;
        Assert.Equal("Failed", again["status"]!.GetValue<string>());
        Assert.Equal([HistoryKinds.Restarted, HistoryKinds.Ended(InstanceStatus.Failed)], again["history"]!.AsArray().Select(h => h!["kind"]!.GetValue<string>()));
        Assert.Contains("after the journey failed on start by case.opened", again["history"]![0]!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}
