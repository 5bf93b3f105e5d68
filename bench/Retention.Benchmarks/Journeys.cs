namespace Retention.Benchmarks;

/// <summary>The journeys the benchmark publishes through the host's journeys folder.</summary>
public static class Journeys
{
    /// <summary>Figures 1, 3 and 4 under load: two timers, two SMS (service, so no quiet hours or caps), exit.</summary>
    public const string Timers = "bench-timers";

    /// <summary>Figure 4 at idle: one five-second timer, exit.</summary>
    public const string Idle = "bench-idle";

    /// <summary>Figure 6: waits for an event that never comes, with no timeout, so no timer per instance.</summary>
    public const string Waiting = "bench-waiting";

    /// <summary>The wait of <see cref="Idle"/>, for the lateness cross-check from history.</summary>
    public static readonly TimeSpan IdleWait = TimeSpan.FromSeconds(5);

    public static readonly string[] All =
    [
        """
        { "id": "bench-timers", "name": "Benchmark: two timers, two SMS", "trigger": { "type": "event", "event": "bench.start" },
          "entry": { "policy": "oncePerKey", "key": "trigger.data.saleId" },
          "start": "w1", "steps": [
            { "id": "w1", "type": "wait", "duration": "PT2S", "next": "s1" },
            { "id": "s1", "type": "send", "channel": "sms", "template": "t", "category": "service", "next": "w2" },
            { "id": "w2", "type": "wait", "duration": "PT2S", "next": "s2" },
            { "id": "s2", "type": "send", "channel": "sms", "template": "t", "category": "service", "next": "done" },
            { "id": "done", "type": "exit", "outcome": "done" } ],
          "templates": { "t": { "sms": { "en": "Hi {{ customer.name | default: 'there' }}, this is a benchmark message about {{ trigger.data.product | default: 'your purchase' }}." } } } }
        """,
        """
        { "id": "bench-idle", "name": "Benchmark: one timer", "trigger": { "type": "event", "event": "bench.start" },
          "entry": { "policy": "oncePerKey", "key": "trigger.data.saleId" },
          "start": "w", "steps": [
            { "id": "w", "type": "wait", "duration": "PT5S", "next": "done" },
            { "id": "done", "type": "exit", "outcome": "done" } ] }
        """,
        """
        { "id": "bench-waiting", "name": "Benchmark: waits for an event", "trigger": { "type": "event", "event": "bench.start" },
          "entry": { "policy": "oncePerKey", "key": "trigger.data.saleId" },
          "start": "w", "steps": [
            { "id": "w", "type": "waitForEvent", "event": "bench.never", "onEvent": "done" },
            { "id": "done", "type": "exit", "outcome": "done" } ] }
        """,
    ];
}
