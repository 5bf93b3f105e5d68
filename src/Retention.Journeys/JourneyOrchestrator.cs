using Microsoft.DurableTask;
using Retention.Core.Definitions;
using Retention.Core.Ports;
using Retention.Core.Reporting;
using Retention.Core.Runtime;

namespace Retention.Journeys;

/// <summary>
/// A journey instance as a Durable Task orchestration: a thin, replay-safe driver of the pure interpreter. It feeds
/// the interpreter the orchestration's time and the next input, runs the effects the interpreter asks for as
/// activities, waits with durable timers raced against the instance's signal, and bounds its history with
/// <c>ContinueAsNew</c>, carrying its state and keeping signals raised meanwhile.
/// </summary>
[DurableTask(JourneyTasks.Journey)]
public sealed class JourneyOrchestrator(PinnedInterpreters interpreters, ICurrentSettings current, JourneyDefinitions definitions, JourneyOrchestrationOptions options)
    : TaskOrchestrator<JourneyRun, JourneyInstanceView?>
{
    /// <returns>The view the instance finished with (see <see cref="JourneyInstanceRecords.ViewOf"/>); null when it continues as new.</returns>
    public override async Task<JourneyInstanceView?> RunAsync(TaskOrchestrationContext context, JourneyRun input)
    {
        Driver? driver = null;
        try
        {
            driver = new Driver(context, interpreters.For(input.Pinned), current, definitions, options, input);
            return await driver.RunAsync();
        }
        catch (Exception e)
        {
            // The instance fails on its own, visibly: the engine records it, the view says why, the metric and the
            // report counters count it. The same on replay, but for the metric.
            var failed = Failed(context, options, input, driver, e);
            if (driver is not null && failed is not null)
            {
                await driver.CountFailedAsync(failed);
            }
            throw;
        }
    }

    /// <summary>
    /// Publishes why the instance fails and logs it (ids, step, input kind, exception type: never the message).
    /// Returns the state the failed instance shows, when it got far enough to have a driver.
    /// </summary>
    private static JourneyInstanceState? Failed(TaskOrchestrationContext context, JourneyOrchestrationOptions options, JourneyRun run, Driver? driver, Exception e)
    {
        if (!context.IsReplaying)
        {
            options.Metrics?.InstanceFailed();
        }
        var (activity, type, message) = e is TaskFailedException failed
            ? (failed.TaskName, failed.FailureDetails.ErrorType, failed.FailureDetails.ErrorMessage)
            : ((string?)null, e.GetType().FullName ?? e.GetType().Name, e.Message);
        var failure = driver?.Failure(activity, type, message)
            ?? new JourneyFailure(new DateTimeOffset(context.CurrentUtcDateTime, TimeSpan.Zero), null, JourneyFailures.Describe(run.Start), activity, type, message);
        context.CreateReplaySafeLogger<JourneyOrchestrator>().InstanceFailed(context.InstanceId, failure.StepId, failure.Input, activity, type);
        return driver?.PublishFailed(failure);
    }

    /// <summary>One generation of one instance.</summary>
    private sealed class Driver(TaskOrchestrationContext context, JourneyInterpreter interpreter, ICurrentSettings current,
        JourneyDefinitions definitions, JourneyOrchestrationOptions options, JourneyRun run)
    {
        private JourneyDefinition _journey = definitions.Of(run).Definition;

        /// <summary>
        /// The definition's text when this generation carries it (an instance started before instances named their version),
        /// which the next generation carries too; null when it names its journey's version, as the next one will.
        /// </summary>
        private string? _definitionJson = run.Definition;
        private JourneyInstanceState? _state = run.ReadState();
        private readonly List<HistoryEntry> _history = [.. run.History ?? []];
        private JourneyInput? _applying;
        private string? _failedStep;

        /// <summary>The migration signal being applied, whose outcome the instance then reports.</summary>
        private JourneySignal? _migration;

        /// <summary>The report facts this generation last recorded; null until it records any.</summary>
        private IReadOnlyList<string>? _counted;

        /// <summary>The effects of the input that finished the instance marked it finished: no RecordFinished follows.</summary>
        private bool _finishRecorded;

        /// <summary>
        /// Where this generation ends, with its own limit, so a changed setting cannot move it in a replay. (A generation
        /// begun before settings were pinned reads the setting, as it always did, until its next generation pins it.)
        /// </summary>
        private readonly Generation _generation = new(run.Pinned?.InputsPerGeneration ?? current.Current.InputsPerGeneration);

        private const int RecentEventsRead = 200;

        private DateTimeOffset Now => new(context.CurrentUtcDateTime, TimeSpan.Zero);

        public async Task<JourneyInstanceView?> RunAsync()
        {
            if (_state is null)
            {
                var start = await WithRecentEventsAsync(run.Start ?? throw new InvalidOperationException("A new instance needs its start."));
                await TakeOverCountedAsync();
                await ApplyAsync(start);
            }
            else
            {
                context.SetCustomStatus(JourneyInstanceView.Of(_state, _history, run.Generation)); // a new generation shows its state at once
            }
            while (!_state!.Status.IsFinished())
            {
                if (_generation.IsFull)
                {
                    // Only with no signal waiter outstanding: a signal handed to a waiter of this generation would be lost
                    // with it, while one not yet waited for is carried over. Otherwise the instance nudges itself, so the
                    // waiter completes first.
                    if (_generation.SignalWaiter is null)
                    {
                        // The last action of this generation, never replayed: the next one pins what is in force now.
                        var pinned = run.Pinned?.Renewed(current.Current) ?? current.Current;
                        context.ContinueAsNew(new JourneyRun(_definitionJson, _journey.Version, null, JourneyRun.Serialize(_state), _history, run.Generation + 1, pinned, _journey.Id),
                            preserveUnprocessedEvents: true);
                        return null;
                    }
                    if (_generation.NudgeOnce())
                    {
                        context.SendEvent(context.InstanceId, JourneyTasks.Signal, new JourneySignal(SignalKind.Nudge));
                    }
                }
                if (await NextInputAsync() is { } input)
                {
                    await ApplyAsync(input);
                    await ReportMigrationAsync();
                }
            }
            var state = _state;
            if (!_finishRecorded)
            {
                // Its last facts when its last input ran no effect to carry them (a generation that counts with its effects).
                var facts = CarriesFacts ? FactsToCount(state) : null;
                await context.CallActivityAsync(JourneyTasks.RecordFinished, new WithFacts<FinishedInstance>(Finished(state), facts), options.EffectRetry);
                Counted(facts);
            }
            return JourneyInstanceView.Of(state, _history, run.Generation);
        }

        /// <summary>
        /// Takes over the facts the router recorded for this instance before starting it (<see cref="JourneyRun.Counted"/>):
        /// they stand as recorded when the instance starts on the day they were recorded under, so it counts only what
        /// differs; on a later day (a start across midnight) they are taken back, and it counts under its own day.
        /// </summary>
        private async Task TakeOverCountedAsync()
        {
            if (run is not { Counted: { } counted, Pinned.CountsFacts: true })
            {
                return;
            }
            if (counted.Day == DateOnly.FromDateTime(context.CurrentUtcDateTime) && counted.Version == _journey.Version && counted.Subject == context.InstanceId)
            {
                _counted = counted.Facts;
                return;
            }
            await context.CallActivityAsync(JourneyTasks.CountFacts, counted with { Facts = [] }, options.EffectRetry);
        }

        /// <summary>
        /// The customer's events that arrived before this instance started (an early answer, a refund that overtook its
        /// sale), read now that the instance has started: an event routed before then found it not started and left it
        /// to this read, one routed after is signalled. Only journeys that wait for or exit on events need them.
        /// </summary>
        private async Task<StartInstance> WithRecentEventsAsync(StartInstance start)
        {
            if (_journey.AwaitedEventTypes.Count == 0 && _journey.ExitOn.Count == 0)
            {
                return start;
            }
            var window = _journey.EventBufferWindow ?? interpreter.Settings.EventBufferWindow;
            var recent = await context.CallActivityAsync<IReadOnlyList<Core.Events.CustomerEvent>>(JourneyTasks.ReadRecentEvents,
                new RecentEventsRequest(start.Trigger.CustomerId, Now - window, RecentEventsRead), options.EffectRetry);
            return start with { RecentEvents = recent };
        }

        /// <summary>The instance's timer raced against its signal; the loser is cancelled. Null when nothing is due yet.</summary>
        private async Task<JourneyInput?> NextInputAsync()
        {
            var state = _state!;
            var signal = _generation.WaitForSignal(context);
            var timer = state.TimerElapsedWhileSuspended ? null : state.Timer;
            if (timer is null)
            {
                return await TakeSignalAsync(await signal);
            }
            using var cancel = new CancellationTokenSource();
            var fired = context.CreateTimer(options.FireAt(timer.DueAt), cancel.Token);
            var winner = await Task.WhenAny(signal, fired);
            if (winner == signal)
            {
                // Synchronously: the timer's cancellation callback must run on the orchestrator's thread, in its turn.
#pragma warning disable CA1849
                cancel.Cancel();
#pragma warning restore CA1849
                return await TakeSignalAsync(await signal);
            }
            // Never act before the due time, should a timer still come back early.
            if (Now < timer.DueAt)
            {
                return null;
            }
            if (!context.IsReplaying)
            {
                options.Metrics?.TimerLateness(context.CurrentUtcDateTime - timer.DueAt.UtcDateTime);
            }
            return new TimerFired(timer.Token);
        }

        /// <summary>The signal as an input; a migration's names its version, whose definition is read here (an activity).</summary>
        private async Task<JourneyInput?> TakeSignalAsync(JourneySignal signal)
        {
            _generation.SignalTaken();
            _migration = signal.Kind is SignalKind.Migrate or SignalKind.Terminate ? signal : null;
            if (signal is { Kind: SignalKind.Migrate, Definition: null, Version: { } target })
            {
                signal = signal with
                {
                    Definition = await context.CallActivityAsync<string>(JourneyTasks.ReadDefinition, new DefinitionRequest(_journey.Id, target), options.EffectRetry),
                };
            }
            return signal.Kind switch
            {
                SignalKind.Event when signal.Event is { } e => new EventReceived(e),
                SignalKind.Suspend => new SuspendInstance(signal.Reason ?? "suspended"),
                SignalKind.Resume => new ResumeInstance(signal.Reason ?? "resumed"),
                SignalKind.Terminate => new TerminateInstance(signal.Reason ?? "terminated"),
                SignalKind.Migrate when signal.Definition is { } json && signal.Version is { } version && signal.Mapping is { } mapping =>
                    Migrating(json, new MigrateInstance(definitions.Parse(json, version), mapping)),
                _ => null,
            };
        }

        /// <summary>What became of the instance on a migration's signal, for the migration's progress: moved, ended or failed to move.</summary>
        private async Task ReportMigrationAsync()
        {
            if (_migration is not { Migration: { } migration } signal)
            {
                return;
            }
            _migration = null;
            var state = _state!;
            var result = signal.Kind == SignalKind.Migrate && state.Version == signal.Version ? MigrationProgress.Moved
                : state.Status.IsFinished() ? MigrationProgress.Ended
                : MigrationProgress.Failed;
            await context.CallActivityAsync(JourneyTasks.CountFacts, MigrationProgress.Result(migration, state.InstanceId, result), options.EffectRetry);
        }

        private MigrateInstance Migrating(string json, MigrateInstance migrate)
        {
            _generation.MigratingTo = json;
            return migrate;
        }

        /// <summary>Why this generation fails: the failed effect's step, else the step the input found; the input by kind and id.</summary>
        public JourneyFailure Failure(string? activity, string exceptionType, string message) =>
            new(Now, _failedStep ?? _state?.CurrentStepId ?? _journey.Start, JourneyFailures.Describe(_applying ?? run.Start), activity, exceptionType, message);

        /// <summary>
        /// The view the failed instance keeps: its state as far as it got, and the failure at the end of its history.
        /// Returns the state it shows once the engine has failed it.
        /// </summary>
        public JourneyInstanceState PublishFailed(JourneyFailure failure)
        {
            var state = _state ?? new JourneyInstanceState
            {
                InstanceId = context.InstanceId,
                JourneyId = _journey.Id,
                Version = _journey.Version,
                CustomerId = run.Start?.Trigger.CustomerId ?? "",
                EntryKey = run.Start?.EntryKey,
                CurrentStepId = failure.StepId,
                StartedAt = Now,
                UpdatedAt = Now,
            };
            var history = _history.Append(new HistoryEntry(failure.At, HistoryKinds.Ended(InstanceStatus.Failed), failure.StepId,
                $"{failure.Activity ?? "the journey"} failed on {failure.Input}: {failure.ExceptionType}")).TakeLast(JourneyInstanceView.HistoryKept).ToList();
            var view = JourneyInstanceView.Of(state, history, run.Generation) with { Failure = failure };
            view.State.CurrentStepId = failure.StepId; // where it failed, though the interpreter had moved on past an effect that then failed
            view.State.Timer = null;
            context.SetCustomStatus(view);
            // What the instance shows once the engine has failed it (the view says failed only with the engine's
            // failure, so no reader sees a failed instance without its reason): its facts, a clock's SLA among them,
            // as they stood when it failed.
            var failed = JourneyInstanceView.Of(view.State, [], run.Generation).State;
            failed.Status = InstanceStatus.Failed;
            failed.EndedAt = failure.At;
            return failed;
        }

        /// <summary>
        /// Counts the failed instance's facts (its outcome <c>failed</c>, and where it got) when it fails, as the
        /// backfill would from its view. Should that fail too, the instance still fails with its own exception, and
        /// the backfill counts it.
        /// </summary>
        public async Task CountFailedAsync(JourneyInstanceState failed)
        {
            try
            {
                await CountAsync(failed);
            }
            catch (TaskFailedException)
            {
                // The backfill counts it.
            }
        }

        private async Task ApplyAsync(JourneyInput input)
        {
            _generation.Applied();
            _applying = input;
            var result = interpreter.Interpret(_journey, _state, input, Now);
            if (!context.IsReplaying)
            {
                options.Metrics?.InputApplied(input, result);
            }
            if (!result.Changed)
            {
                return;
            }
            _state = result.State;
            _history.AddRange(result.History);
            if (_history.Count > JourneyInstanceView.HistoryKept)
            {
                _history.RemoveRange(0, _history.Count - JourneyInstanceView.HistoryKept);
            }
            // The facts the input changed, and the finish when it finished the instance, ride on its first effect,
            // recorded once that effect is done.
            var facts = CarriesFacts ? FactsToCount(_state) : null;
            var finished = FinishesWithEffects && _state.Status.IsFinished() ? Finished(_state) : null;
            var (carried, finishing) = (facts, finished);
            var effects = new List<Task>();
            foreach (var command in result.Commands)
            {
                if (RunEffectAsync(command, carried, finishing) is { } effect)
                {
                    effects.Add(effect);
                    (carried, finishing) = (null, null);
                }
            }
            if (effects.Count > 0)
            {
                await Task.WhenAll(effects);
                Counted(facts);
                _finishRecorded = finished is not null;
            }
            // Published once its effects are done: a view that says Completed means its messages went out.
            context.SetCustomStatus(JourneyInstanceView.Of(_state, _history, run.Generation));
            if (input is MigrateInstance migrate && _state.Version == migrate.To.Version)
            {
                // The instance now runs the new version: the next generation carries its definition, or names it as this one did.
                _journey = migrate.To;
                _definitionJson = _definitionJson is null ? null : _generation.MigratingTo!;
                _generation.End();
            }
            // Counted on their own only when nothing carried them, and a finished instance's ride on RecordFinished.
            if (!CarriesFacts || (effects.Count == 0 && !_state.Status.IsFinished()))
            {
                await CountAsync(_state);
            }
        }

        /// <summary>Whether this generation's facts ride on the activities its inputs already run (<see cref="PinnedSettings.CountsWithEffects"/>).</summary>
        private bool CarriesFacts => run.Pinned is { CountsFacts: true, CountsWithEffects: true };

        /// <summary>Whether the finishing input's first effect marks the instance finished (<see cref="PinnedSettings.FinishesWithEffects"/>).</summary>
        private bool FinishesWithEffects => run.Pinned is { CountsFacts: true, CountsWithEffects: true, FinishesWithEffects: true };

        private static FinishedInstance Finished(JourneyInstanceState state) => new(state.CustomerId, state.InstanceId, state.JourneyId, state.Status, state.StartedAt);

        /// <summary>The state's report facts when they differ from those last recorded (always once per generation); null when the generation does not count.</summary>
        private CountedFacts? FactsToCount(JourneyInstanceState state)
        {
            if (run.Pinned is not { CountsFacts: true })
            {
                return null;
            }
            var counted = JourneyFacts.CountedOf(state, Now, interpreter.Settings.Calendars);
            return _counted is not null && _counted.SequenceEqual(counted.Facts, StringComparer.Ordinal) ? null : counted;
        }

        /// <summary>Remembers the facts an activity recorded, so the same ones are not recorded again.</summary>
        private void Counted(CountedFacts? facts)
        {
            if (facts is not null)
            {
                _counted = facts.Facts;
            }
        }

        /// <summary>Records the state's report facts with an activity of their own, when they differ from those last recorded.</summary>
        private async Task CountAsync(JourneyInstanceState state)
        {
            if (FactsToCount(state) is not { } facts)
            {
                return;
            }
            await context.CallActivityAsync(JourneyTasks.CountFacts, facts, options.EffectRetry);
            Counted(facts);
        }

        /// <summary>The command's activity, carrying <paramref name="facts"/> and <paramref name="finished"/>; null for a command that is no activity.</summary>
        private Task? RunEffectAsync(JourneyCommand command, CountedFacts? facts, FinishedInstance? finished) => command switch
        {
            SendMessage send => Effect(send.StepId, context.CallActivityAsync<Core.Ports.SendOutcome>(JourneyTasks.SendMessage, new WithFacts<SendMessage>(send, facts, finished), options.EffectRetry)),
            CreateTask task => Effect(task.StepId, context.CallActivityAsync(JourneyTasks.CreateTask, new WithFacts<CreateTask>(task, facts, finished), options.EffectRetry)),
            UpdateCustomer update => context.CallActivityAsync(JourneyTasks.UpdateCustomer, new WithFacts<UpdateCustomer>(update, facts, finished), options.EffectRetry),
            EmitEvent emit => context.CallActivityAsync(JourneyTasks.EmitEvent, new WithFacts<EmitEvent>(emit, facts, finished), options.EffectRetry),
            ScheduleTimer => null, // the timer is the state's: the wait loop creates it
            _ => throw new InvalidOperationException($"Unhandled command {command.GetType().Name}."),
        };

        /// <summary>An effect that names its step should it fail for good.</summary>
        private async Task Effect(string stepId, Task effect)
        {
            try
            {
                await effect;
            }
            catch (TaskFailedException)
            {
                _failedStep ??= stepId;
                throw;
            }
        }
    }

    /// <summary>
    /// Where a generation ends, as one piece of state: the inputs it has applied against its limit; the signal waiter
    /// still outstanding, which must complete before <c>ContinueAsNew</c> (a signal handed to a waiter of this generation
    /// would be lost with it); whether the instance has nudged itself so that it does; and the definition a migration
    /// moves the next generation to.
    /// </summary>
    private sealed class Generation(int inputsPerGeneration)
    {
        private int _inputs;
        private bool _nudged;

        public Task<JourneySignal>? SignalWaiter { get; private set; }

        /// <summary>The definition (JSON) of the version a migration in this generation moves to.</summary>
        public string? MigratingTo { get; set; }

        public bool IsFull => _inputs >= inputsPerGeneration;

        public void Applied() => _inputs++;

        /// <summary>Ends the generation after this input: the next one starts on the migrated definition.</summary>
        public void End() => _inputs = inputsPerGeneration;

        /// <summary>True the first time only: the instance sends itself one nudge per generation.</summary>
        public bool NudgeOnce()
        {
            if (_nudged)
            {
                return false;
            }
            _nudged = true;
            return true;
        }

        /// <summary>The outstanding signal waiter, created when there is none.</summary>
        public Task<JourneySignal> WaitForSignal(TaskOrchestrationContext context) =>
            SignalWaiter ??= context.WaitForExternalEvent<JourneySignal>(JourneyTasks.Signal);

        public void SignalTaken() => SignalWaiter = null;
    }
}
