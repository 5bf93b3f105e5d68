using Retention.Storage;

namespace Retention.Host.Functions;

/// <summary>
/// One function of the Functions app. Its folder <c>functions/&lt;Name&gt;/function.json</c> declares the trigger, and the
/// Functions host invokes it by <c>POST /&lt;Name&gt;</c> with the invocation payload. The contract tests check that the
/// folders and this catalog agree.
/// </summary>
public abstract record FunctionDefinition(string Name);

/// <summary>
/// An HTTP-triggered function serving one group of the app's routes. The Functions host serves it at
/// <c>/&lt;routePrefix&gt;/&lt;RouteLiteral&gt;[/…]</c>; the request it embeds is re-dispatched to <see cref="AppPath"/>
/// followed by whatever came after the literal.
/// </summary>
/// <param name="RouteLiteral">The fixed part of the function's route, e.g. <c>instances</c>.</param>
/// <param name="AppPath">Where that part lives in the app, e.g. <c>/api/instances</c>.</param>
/// <param name="CatchAll">Whether the route also takes any path below the literal (<c>instances/{*rest}</c>).</param>
public sealed record HttpFunction(string Name, string RouteLiteral, string AppPath, IReadOnlyList<string> Methods, bool CatchAll = true)
    : FunctionDefinition(Name)
{
    /// <summary>The trigger binding's name: the request arrives as <c>Data.req</c>.</summary>
    public const string TriggerName = "req";

    /// <summary>The HTTP output binding's name: the response goes back as <c>Outputs.res</c>.</summary>
    public const string OutputName = "res";

    /// <summary>The route as function.json spells it.</summary>
    public string Route => CatchAll ? RouteLiteral + "/{*rest}" : RouteLiteral;
}

/// <summary>A queue-triggered function: the Functions host's queue listener replaces our poller for this queue.</summary>
public sealed record QueueFunction(string Name, string QueueName) : FunctionDefinition(Name)
{
    /// <summary>The trigger binding's name: the message text arrives as <c>Data.msg</c>.</summary>
    public const string TriggerName = "msg";
}

/// <summary>
/// A timer-triggered function: the Functions host runs it on an NCRONTAB schedule (six fields, seconds first), once per
/// occurrence across all instances. Later schedules (nightly scans, birthdays) are new entries here plus their folder.
/// </summary>
public sealed record TimerFunction(string Name, string Schedule, Func<IServiceProvider, TimerTick, CancellationToken, Task> RunAsync)
    : FunctionDefinition(Name)
{
    /// <summary>The trigger binding's name: the tick arrives as <c>Data.timer</c>.</summary>
    public const string TriggerName = "timer";
}

/// <summary>Every function of the app.</summary>
public static class FunctionCatalog
{
    public static IReadOnlyList<FunctionDefinition> All { get; } =
    [
        // Webhooks from core systems; OPTIONS for Event Grid's CloudEvents validation on the planned /api/events/eventgrid.
        new HttpFunction("Events", "events", "/api/events", ["post", "options"]),
        new HttpFunction("Instances", "instances", "/api/instances", ["get", "post", "delete"]),
        new HttpFunction("Journeys", "journeys", "/api/journeys", ["get", "post", "put", "delete"]),
        new HttpFunction("Customers", "customers", "/api/customers", ["get"]),
        new HttpFunction("Operations", "operations", "/api/operations", ["get", "post"]),
        new HttpFunction("Health", "healthz", "/healthz", ["get"], CatchAll: false),

        new QueueFunction("JourneyWork", StorageAccount.WorkQueueName),

        // Refreshes the catalog of the instance it runs on; every instance also refreshes on use (CatalogFreshness).
        new TimerFunction("CatalogRefresh", "0 */5 * * * *", (services, _, cancellationToken) =>
            services.GetRequiredService<CatalogFreshness>().RefreshNowAsync(cancellationToken)),

        // Claims and queues due cron occurrences (once across instances); every 5 minutes, so an idle app can still scale to zero.
        new TimerFunction("ScheduleTick", "0 */5 * * * *", async (services, _, cancellationToken) =>
            await services.GetRequiredService<Retention.Storage.Scheduling.Scheduler>().TickAsync(cancellationToken)),
    ];

    public static FunctionDefinition? Find(string name) =>
        All.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase));
}
