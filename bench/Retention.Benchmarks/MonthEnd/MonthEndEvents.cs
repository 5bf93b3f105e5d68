using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Retention.Testing;

namespace Retention.Benchmarks.MonthEnd;

/// <summary>The scenario's data: the customer file, the burst's events and the timer journey the burst starts.</summary>
public static class MonthEndEvents
{
    /// <summary>Started by <c>bench.timer</c>: one short wait, then exit; its history gives the timer's lateness.</summary>
    public const string TimerJourney = "bench-month-end-timer";

    public static readonly TimeSpan TimerWait = TimeSpan.FromSeconds(20);

    public static string TimerJourneyDefinition => $$"""
        { "id": "{{TimerJourney}}", "name": "Benchmark: a short timer during the month-end burst", "trigger": { "type": "event", "event": "bench.timer" },
          "entry": { "policy": "oncePerKey", "key": "trigger.data.timerId" },
          "start": "w", "steps": [
            { "id": "w", "type": "wait", "duration": "PT{{(int)TimerWait.TotalSeconds}}S", "next": "done" },
            { "id": "done", "type": "exit", "outcome": "done" } ] }
        """;

    private static readonly string[] Tiers = ["top", "high", "medium", "base", "base", "base"];

    public static string CustomerId(int i) => $"C{i:D7}";

    /// <summary>One <c>customer.upserted</c> data object per line: a phone, a birthday, a tier, consent.</summary>
    public static byte[] CustomerFile(int customers)
    {
        var file = new StringBuilder(customers * 300);
        for (var i = 0; i < customers; i++)
        {
            file.Append(Customer(i).ToJsonString()).Append('\n');
        }
        return Encoding.UTF8.GetBytes(file.ToString());
    }

    private static JsonObject Customer(int i) => new()
    {
        ["customerId"] = CustomerId(i),
        ["name"] = $"Customer {i}",
        ["phone"] = $"+86138{i:D8}",
        ["email"] = $"c{i}@example.com",
        ["locale"] = i % 3 == 0 ? "en" : "zh-CN",
        ["timeZone"] = "Asia/Shanghai",
        ["birthday"] = new DateOnly(1960 + i % 40, 1 + i % 12, 1 + i % 28).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        ["ownerId"] = $"am-{i % 50}",
        ["region"] = i % 2 == 0 ? "north" : "south",
        ["consent"] = new JsonObject { ["sms"] = "opted-in", ["email"] = "opted-in" },
        ["attributes"] = new JsonObject { ["tier"] = Tiers[i % Tiers.Length] },
    };

    /// <summary>
    /// The burst's event <paramref name="n"/> (of run <paramref name="run"/>): 40% sales, 30% transactions, 10% survey
    /// answers, 10% profile updates, 10% <c>bench.timer</c> (a timer journey each).
    /// </summary>
    public static JsonObject Burst(string run, long n, int customers)
    {
        var customer = BurstCustomer(n, customers);
        var id = $"{run}-{n}";
        return (n % 10) switch
        {
            < 4 => Webhooks.Sale(customer, "S" + id),
            < 7 => Webhooks.Event("transaction.posted", new JsonObject { ["customerId"] = customer, ["transactionId"] = "T" + id, ["amount"] = 100 + n % 900, ["currency"] = "CNY" }),
            7 => Webhooks.Event("survey.answered", new JsonObject { ["customerId"] = customer, ["surveyId"] = "Q" + id, ["score"] = 1 + n % 5 }),
            8 => Webhooks.Event("customer.upserted", new JsonObject { ["customerId"] = customer, ["region"] = n % 2 == 0 ? "east" : "west", ["attributes"] = new JsonObject { ["lastSeen"] = id } }),
            _ => Webhooks.Event("bench.timer", new JsonObject { ["customerId"] = customer, ["timerId"] = id }),
        };
    }

    /// <summary>The customer of the burst's event <paramref name="n"/>: spread over every imported customer.</summary>
    public static string BurstCustomer(long n, int customers) => CustomerId((int)(n * 7919 % customers));

    /// <summary>A sale that starts a post-sale follow-up (waiting until 10:00 the next day): the waiting journeys beyond the birthdays.</summary>
    public static JsonObject Seed(long n, int customers) => Webhooks.Sale(CustomerId((int)(n % customers)), $"seed-{n}");
}
