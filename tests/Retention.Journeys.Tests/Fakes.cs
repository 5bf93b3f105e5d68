using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Retention.Core.Events;
using Retention.Core.Ports;
using Retention.Core.Runtime;
using Retention.Journeys;

namespace Retention.Journeys.Tests;

/// <summary>A send as the provider saw it, with the virtual time it happened at.</summary>
internal sealed record Dispatch(SendMessage Message, DateTimeOffset At, SendStatus Status);

/// <summary>Sends by recording; answers with the scripted outcomes first, then Sent.</summary>
internal sealed class FakeMessageSender(TimeProvider clock) : IMessageSender
{
    private readonly ConcurrentQueue<Dispatch> _dispatches = new();

    public ConcurrentQueue<SendOutcome> Script { get; } = new();

    private int _failuresLeft;

    public IReadOnlyList<Dispatch> Dispatches => [.. _dispatches];

    /// <summary>The next this many sends throw, as an unreachable provider would.</summary>
    public int FailuresLeft { set => _failuresLeft = value; }

    public Task<SendOutcome> SendAsync(SendMessage message, CancellationToken cancellationToken)
    {
        if (Interlocked.Decrement(ref _failuresLeft) >= 0)
        {
            throw new InvalidOperationException("the provider is unreachable");
        }
        var outcome = Script.TryDequeue(out var scripted) ? scripted : new SendOutcome(SendStatus.Sent, $"msg-{_dispatches.Count + 1}", null);
        _dispatches.Enqueue(new Dispatch(message, clock.GetUtcNow(), outcome.Status));
        return Task.FromResult(outcome);
    }
}

internal sealed class FakeTaskSink : ITaskSink
{
    public ConcurrentQueue<CreateTask> Created { get; } = new();

    public Task CreateAsync(CreateTask task, CancellationToken cancellationToken)
    {
        Created.Enqueue(task);
        return Task.CompletedTask;
    }
}

internal sealed class FakeCustomerProfiles : ICustomerProfiles
{
    public ConcurrentQueue<UpdateCustomer> Updates { get; } = new();

    public Task<JsonObject?> GetAsync(string customerId, CancellationToken cancellationToken) => Task.FromResult<JsonObject?>(null);

    public Task ApplyAsync(UpdateCustomer update, CancellationToken cancellationToken)
    {
        Updates.Enqueue(update);
        return Task.CompletedTask;
    }
}

internal sealed class FakeCustomerEventSink : ICustomerEventSink
{
    public ConcurrentQueue<CustomerEvent> Accepted { get; } = new();

    public Task AcceptAsync(CustomerEvent customerEvent, CancellationToken cancellationToken)
    {
        Accepted.Enqueue(customerEvent);
        return Task.CompletedTask;
    }
}

internal sealed class FakeInstanceIndex : IInstanceIndex
{
    public ConcurrentQueue<FinishedInstance> Finished { get; } = new();

    public Task MarkFinishedAsync(FinishedInstance finished, CancellationToken cancellationToken)
    {
        Finished.Enqueue(finished);
        return Task.CompletedTask;
    }
}

internal sealed class FakeScheduledWorkRunner : IScheduledWorkRunner
{
    public ConcurrentQueue<ScheduledWork> Ran { get; } = new();

    public Task RunAsync(ScheduledWork work, CancellationToken cancellationToken)
    {
        Ran.Enqueue(work);
        return Task.CompletedTask;
    }
}

/// <summary>The customer's event log: what a test logged before an instance started.</summary>
internal sealed class FakeRecentEvents : IRecentCustomerEvents
{
    private readonly List<(DateTimeOffset ReceivedAt, CustomerEvent Event)> _log = [];

    public void Log(CustomerEvent customerEvent, DateTimeOffset receivedAt)
    {
        lock (_log)
        {
            _log.Add((receivedAt, customerEvent));
        }
    }

    public Task<IReadOnlyList<CustomerEvent>> SinceAsync(string customerId, DateTimeOffset since, int take, CancellationToken cancellationToken)
    {
        lock (_log)
        {
            return Task.FromResult<IReadOnlyList<CustomerEvent>>([.. _log.Where(e => e.Event.CustomerId == customerId && e.ReceivedAt >= since).Select(e => e.Event).Take(take)]);
        }
    }
}

/// <summary>Each subject's facts as last recorded, and the published definitions by journey and version.</summary>
internal sealed class FakeFactCounters : IFactCounters, IPublishedDefinitions
{
    /// <summary>What each subject counts for, by journey and day as the store's partitions hold them.</summary>
    private readonly ConcurrentDictionary<(string JourneyId, DateOnly Day, string Subject), CountedFacts> _subjects = new();

    public ConcurrentDictionary<(string JourneyId, int Version), string> Definitions { get; } = new();

    public Task RecordAsync(CountedFacts facts, CancellationToken cancellationToken)
    {
        _subjects[(facts.JourneyId, facts.Day, facts.Subject)] = facts;
        return Task.CompletedTask;
    }

    public Task<bool> RecordIfAsync(CountedFacts facts, IReadOnlyList<string> had, CancellationToken cancellationToken)
    {
        lock (_subjects)
        {
            var counted = _subjects.TryGetValue((facts.JourneyId, facts.Day, facts.Subject), out var stored) ? stored.Facts : [];
            if (!counted.ToHashSet(StringComparer.Ordinal).SetEquals(had))
            {
                return Task.FromResult(false);
            }
            _subjects[(facts.JourneyId, facts.Day, facts.Subject)] = facts;
            return Task.FromResult(true);
        }
    }

    public Task<IReadOnlyList<FactCount>> ReadAsync(string journeyId, IReadOnlyCollection<string> factPrefixes, DateOnly? since, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<FactCount>>([.. _subjects.Values.Where(s => s.JourneyId == journeyId && (since is null || s.Day >= since))
            .SelectMany(s => s.Facts.Where(f => factPrefixes.Any(p => f.StartsWith(p, StringComparison.Ordinal))).Select(f => (s.Version, s.Day, Fact: f)))
            .GroupBy(f => f).Select(g => new FactCount(journeyId, g.Key.Version, g.Key.Day, g.Key.Fact, g.Count()))]);

    public Task<string?> ReadJsonAsync(string journeyId, int version, CancellationToken cancellationToken) =>
        Task.FromResult(Definitions.TryGetValue((journeyId, version), out var json) ? json : null);
}
