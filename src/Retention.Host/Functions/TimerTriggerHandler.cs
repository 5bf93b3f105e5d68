using Retention.Host.Composition;

namespace Retention.Host.Functions;

/// <summary>
/// A timer trigger in custom-handler mode. The Functions host holds the schedule and a blob lease, so each occurrence
/// runs once across all instances. A failure is replied non-2xx, so the host records a failed run; the next occurrence
/// runs as scheduled.
/// </summary>
public sealed class TimerTriggerHandler(IServiceProvider services, ILogger<TimerTriggerHandler> logger)
{
    public async Task<IResult> HandleAsync(TimerFunction function, FunctionInvocation invocation, CancellationToken cancellationToken)
    {
        var tick = TimerTick.From(invocation);
        if (tick.IsPastDue)
        {
            logger.TimerPastDue(function.Name, tick.Last);
        }
        try
        {
            await function.RunAsync(services, tick, cancellationToken);
            return TypedResults.Json(FunctionInvocationResult.Empty($"{function.Name}: done"), FunctionsJsonContext.Default.FunctionInvocationResult);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            logger.TimerFailed(e, function.Name);
            return Problems.Of(StatusCodes.Status500InternalServerError, "The scheduled work failed", $"{function.Name} failed ({e.GetType().Name}); it runs again at its next occurrence.");
        }
    }
}
