namespace Retention.Benchmarks;

/// <summary>The journeys the benchmark publishes through the host's journeys folder.</summary>
public static class Journeys
{
    /// <summary>Phases 1 and 4b: two timers, two SMS. Six steps per instance after the start (which writes two more).</summary>
    public const string Timers = "bench-timers";

    /// <summary>Phase 4a: one timer, ten seconds after the start.</summary>
    public const string Idle = "bench-idle";

    /// <summary>Phase 5: waits for an event that never comes, with no timeout, so no timer per instance.</summary>
    public const string Waiting = "bench-waiting";

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
            { "id": "w", "type": "wait", "duration": "PT10S", "next": "done" },
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
