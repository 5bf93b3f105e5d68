using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Entities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Retention.Testing.Durable;

/// <summary>
/// One generation's view of the engine, as an orchestrator sees it. Everything here runs on the engine's pump, inside a
/// turn: the tasks it hands out complete only from the pump, so orchestrator code never runs concurrently with itself.
/// </summary>
internal sealed class VirtualOrchestrationContext(VirtualDurableEngine engine, VirtualDurableEngine.Execution execution) : TaskOrchestrationContext
{
    private int _guids;

    public override TaskName Name => execution.Instance.Name;

    public override string InstanceId => execution.Instance.Id;

    public override ParentOrchestrationInstance? Parent => null;

    /// <summary>The clock when the orchestrator code runs: the pump never moves the clock while it runs code.</summary>
    public override DateTime CurrentUtcDateTime => engine.Clock.GetUtcNow().UtcDateTime;

    public override bool IsReplaying => false;

    public override TaskOrchestrationEntityFeature Entities => throw new NotSupportedException("The virtual engine has no durable entities.");

    protected override ILoggerFactory LoggerFactory => engine.Services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;

    public override T? GetInput<T>() where T : default => (T?)execution.Input;

    public override async Task<T> CallActivityAsync<T>(TaskName name, object? input = null, TaskOptions? options = null)
    {
        engine.ThrowIfNotInTurn(execution);
        if (input is TaskOptions && options is null)
        {
            throw new ArgumentException("A TaskOptions value was given as the activity's input: did you mean the options?", nameof(input));
        }
        // As the real engine: the input is serialized when the activity is scheduled, the output when it completes.
        var json = VirtualDurableEngine.Converter.Serialize(input);
        var policy = options?.Retry?.Policy;
        if (options?.Retry?.Handler is not null)
        {
            throw new NotSupportedException("The virtual engine honours retry policies, not custom retry handlers.");
        }
        var taskId = execution.NextTaskId++;
        return await VirtualDurableEngine.AttemptAsync<T>(name.Name, policy, taskId, () => engine.ScheduleActivity(execution, name.Name, json));
    }

    public override Task<TResult> CallSubOrchestratorAsync<TResult>(TaskName orchestratorName, object? input = null, TaskOptions? options = null) =>
        throw new NotSupportedException("The virtual engine does not run sub-orchestrations; the journeys use none.");

    public override Task CreateTimer(DateTime fireAt, CancellationToken cancellationToken)
    {
        engine.ThrowIfNotInTurn(execution);
        return engine.CreateTimer(execution, fireAt.Kind == DateTimeKind.Local ? fireAt.ToUniversalTime() : fireAt, cancellationToken);
    }

    public override Task<T> WaitForExternalEvent<T>(string eventName, CancellationToken cancellationToken = default)
    {
        engine.ThrowIfNotInTurn(execution);
        return engine.WaitForEvent<T>(execution, eventName, cancellationToken);
    }

    public override void SendEvent(string instanceId, string eventName, object payload)
    {
        engine.ThrowIfNotInTurn(execution);
        execution.History.Schedule(GenerationHistory.EventSent(instanceId, eventName));
        engine.Raise(instanceId, eventName, VirtualDurableEngine.Converter.Serialize(payload));
    }

    public override void SetCustomStatus(object? customStatus)
    {
        engine.ThrowIfNotInTurn(execution);
        engine.SetCustomStatus(execution, VirtualDurableEngine.Converter.Serialize(customStatus));
    }

    public override void ContinueAsNew(object? newInput = null, bool preserveUnprocessedEvents = true)
    {
        engine.ThrowIfNotInTurn(execution);
        execution.ContinueAsNew = new VirtualDurableEngine.NextGeneration(VirtualDurableEngine.Converter.Serialize(newInput), preserveUnprocessedEvents);
    }

    /// <summary>Deterministic: a name-based id from the instance, the orchestration time and a counter, as the real engine derives it.</summary>
    public override Guid NewGuid() => NameBasedGuid(InstanceId, CurrentUtcDateTime, _guids++);

    public static Guid NameBasedGuid(string instanceId, DateTime now, int counter)
    {
        var name = string.Concat(instanceId, "_", now.ToString("o", CultureInfo.InvariantCulture), "_", counter.ToString(CultureInfo.InvariantCulture));
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(name));
        var bytes = hash.AsSpan(0, 16).ToArray();
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x50);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes);
    }
}

/// <summary>What an activity sees of its invocation.</summary>
internal sealed class VirtualActivityContext(string name, string instanceId) : TaskActivityContext
{
    public override TaskName Name { get; } = name;

    public override string InstanceId { get; } = instanceId;
}
