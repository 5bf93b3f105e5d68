using System.Text.Json.Nodes;
using Retention.Core.Contact;
using Retention.Core.Customers;
using Retention.Core.Definitions;
using Retention.Core.Events;
using Retention.Core.Messages;
using Retention.Core.Ports;
using Retention.Core.Runtime;
using Retention.Core.Time;

namespace Retention.Application.Simulation;

public sealed record SimulatedEvent(DateTimeOffset At, string Type, JsonObject Data);

/// <param name="Version">The version number, or <c>"draft"</c> for a draft or an unsaved definition.</param>
/// <param name="Customer">The profile, with its <c>customerId</c>.</param>
/// <param name="Events">In time order; all at or after <paramref name="Start"/>.</param>
/// <param name="RecentContacts">
/// The customer's real recent messages by category (<c>marketing</c>, <c>service</c>), across all journeys: the
/// frequency caps count them with the simulated journey's own.
/// </param>
public sealed record SimulationInput(
    JourneyDefinition Journey,
    JsonNode Version,
    JsonObject Customer,
    DateTimeOffset Start,
    string TriggerType,
    JsonObject TriggerData,
    IReadOnlyList<SimulatedEvent> Events,
    DateTimeOffset Until,
    IReadOnlyDictionary<string, IReadOnlyList<RecentContact>>? RecentContacts = null);

/// <param name="Kind">entered, step, wait, event, message, task, update, exited or clock.</param>
/// <param name="LocalAt">The same instant in the customer's time zone.</param>
public sealed record SimulationEntry(DateTimeOffset At, DateTimeOffset LocalAt, string Kind, string? StepId, JsonObject Detail);

public sealed record SimulationResult(string JourneyId, JsonNode Version, DateTimeOffset Start, DateTimeOffset End, string Outcome, IReadOnlyList<SimulationEntry> Timeline);

/// <summary>
/// Runs a journey for one customer under virtual time with production's decisions: the <see cref="JourneyInterpreter"/>,
/// <see cref="ContactPolicy.Decide"/> (fallback, consent, quiet hours, frequency caps, expiry), <see cref="ProfileChange"/>
/// for what events do to the profile, business calendars and <see cref="IMessageRenderer"/>. Timers, deferred sends,
/// the recent contacts caps count and the timeline's events are kept in memory and taken in time order; nothing is sent
/// and nothing is stored. The same input always gives the same answer: the interpreter is pure and splits and holdouts
/// come from a stable hash.
/// </summary>
public sealed class JourneySimulator(JourneyInterpreter interpreter, ContactPolicy policy, IMessageRenderer renderer)
{
    /// <summary>A safety stop for journeys that loop through waits for ever within the horizon.</summary>
    public const int MaxInputs = 5_000;

    private JourneyInterpreter Interpreter => interpreter;
    private ContactPolicy Policy => policy;
    private IMessageRenderer Renderer => renderer;

    public SimulationResult Run(SimulationInput input) => new SimulationRun(this, input).Execute();

    private sealed class SimulationRun(JourneySimulator owner, SimulationInput input)
    {
        private readonly JourneyDefinition _journey = input.Journey;
        private readonly JsonObject _profile = (JsonObject)input.Customer.DeepClone();
        private readonly List<SimulationEntry> _timeline = [];
        private readonly List<(DateTimeOffset Due, long Token)> _timers = [];
        private readonly List<(DateTimeOffset Due, SendMessage Send)> _deferred = [];
        private readonly Dictionary<string, IReadOnlyList<RecentContact>> _contacts = (input.RecentContacts ?? new Dictionary<string, IReadOnlyList<RecentContact>>())
            .ToDictionary(kv => kv.Key, kv => (IReadOnlyList<RecentContact>)[.. kv.Value.Where(c => c.At <= input.Start)]); // none from the simulation's future
        private readonly string _customerId = CustomerSnapshot.Text(input.Customer, "customerId") ?? "simulated-customer";
        private JourneyInstanceState? _state;
        private CustomerActivity _activity = CustomerActivity.Of(input.Customer);
        private DateTimeOffset _now = input.Start;

        private TimeZoneInfo Zone => LocalClock.ResolveZone(CustomerSnapshot.Text(_profile, "timeZone"), owner.Interpreter.Settings.DefaultTimeZone);

        public SimulationResult Execute()
        {
            var triggerData = (JsonObject)input.TriggerData.DeepClone();
            triggerData["customerId"] = _customerId;
            var trigger = Ingest(new CustomerEvent("simulation-trigger", "simulation", input.TriggerType, input.Start, _customerId, triggerData));
            if (NotEnteredBecause(trigger) is { } reason)
            {
                Add("exited", null, new JsonObject { ["status"] = "not-entered", ["outcome"] = reason });
                return Result($"not-entered: {reason}", input.Start);
            }
            var enter = (Enter)EntryPolicy.Decide(_journey, trigger, null, _now);
            Apply(owner.Interpreter.Interpret(_journey, null, new StartInstance(enter.InstanceId, enter.EntryKey, trigger, (JsonObject)_profile.DeepClone(), []), _now));
            var events = new Queue<SimulatedEvent>(input.Events);
            for (var inputs = 0; inputs < MaxInputs; inputs++)
            {
                if (_state!.Status.IsFinished() && _deferred.Count == 0)
                {
                    return Result(_state.Outcome ?? "finished", _now);
                }
                _timers.RemoveAll(t => t.Token != _state.Timer?.Token); // superseded timers would fire stale: skip them
                // At the same instant: held-back messages, then timers, then the timeline's events in the order given.
                var deferred = _deferred.Count > 0 ? _deferred.MinBy(d => d.Due) : default;
                var timer = _timers.Count > 0 ? _timers.MinBy(t => t.Due) : default;
                var next = new[]
                {
                    (Due: _deferred.Count > 0 ? deferred.Due : DateTimeOffset.MaxValue, Kind: 0),
                    (Due: _timers.Count > 0 && !_state.Status.IsFinished() ? timer.Due : DateTimeOffset.MaxValue, Kind: 1),
                    (Due: events.Count > 0 && !_state.Status.IsFinished() ? events.Peek().At : DateTimeOffset.MaxValue, Kind: 2),
                }.OrderBy(n => n.Due).ThenBy(n => n.Kind).First();
                if (next.Due > input.Until)
                {
                    break;
                }
                _now = next.Due < _now ? _now : next.Due;
                switch (next.Kind)
                {
                    case 0:
                        _deferred.Remove(deferred);
                        Deliver(deferred.Send);
                        break;
                    case 1:
                        _timers.Remove(timer);
                        Apply(owner.Interpreter.Interpret(_journey, _state, new TimerFired(timer.Token), _now));
                        break;
                    default:
                        OnEvent(events.Dequeue(), inputs);
                        break;
                }
            }
            return Result(_state!.Status.IsFinished() ? _state.Outcome ?? "finished" : _state.Status.ToString().ToLowerInvariant(), input.Until);
        }

        private SimulationResult Result(string outcome, DateTimeOffset end) =>
            new(_journey.Id, input.Version, input.Start, end, outcome, _timeline);

        /// <summary>What the router and the entry policy check before an instance exists.</summary>
        private string? NotEnteredBecause(CustomerEvent trigger)
        {
            if (!_journey.Trigger.Selects(_profile, trigger))
            {
                return "the trigger's filter does not match this customer and event";
            }
            return EntryPolicy.Decide(_journey, trigger, null, _now) is Skip skip ? skip.Reason : null;
        }

        /// <summary>
        /// What ingest does with an event before journeys see it: a transaction is counted (a first payment is marked as
        /// such) and the profile changes, which the next journey to start and marketing sends read.
        /// </summary>
        private CustomerEvent Ingest(CustomerEvent e)
        {
            if (e.Type == KnownEventTypes.TransactionPosted)
            {
                var transaction = PostedTransaction.Of(e);
                if (_activity.IsFirstPayment(transaction))
                {
                    e = PostedTransaction.MarkFirstPayment(e);
                }
                _activity = _activity.Apply(transaction, _now);
            }
            ProfileChange.Of(e)?.ApplyTo(_profile);
            return e;
        }

        private void OnEvent(SimulatedEvent simulated, int index)
        {
            var data = (JsonObject)simulated.Data.DeepClone();
            data["customerId"] = _customerId;
            var received = Ingest(new CustomerEvent($"simulation-{index}", "simulation", simulated.Type, _now, _customerId, data));
            var detail = new JsonObject { ["type"] = simulated.Type, ["data"] = received.Data.DeepClone() };
            Add("event", _state!.CurrentStepId, detail);
            var result = owner.Interpreter.Interpret(_journey, _state, new EventReceived(received), _now);
            if (!result.Changed)
            {
                detail["ignored"] = result.IgnoredReason;
            }
            Apply(result);
        }

        /// <summary>Turns an interpretation into timeline entries, in the order the steps ran, and carries out its commands in memory.</summary>
        private void Apply(InterpretResult result)
        {
            _state = result.State;
            var sends = new Queue<SendMessage>(result.Commands.OfType<SendMessage>());
            var tasks = new Queue<CreateTask>(result.Commands.OfType<CreateTask>());
            var updates = new Queue<UpdateCustomer>(result.Commands.OfType<UpdateCustomer>());
            foreach (var h in result.History)
            {
                switch (h.Kind)
                {
                    case HistoryKinds.Started:
                        Add("entered", null, new JsonObject { ["version"] = input.Version.DeepClone(), ["trigger"] = input.TriggerType, ["detail"] = h.Detail });
                        break;
                    case HistoryKinds.Send when sends.TryDequeue(out var send):
                        Deliver(send);
                        break;
                    case HistoryKinds.Task when tasks.TryDequeue(out var task):
                        Add("task", task.StepId, new JsonObject
                        {
                            ["kind"] = task.Kind,
                            ["title"] = task.Title,
                            ["assignee"] = task.AssigneeId is { } owner ? $"owner:{owner}" : $"role:{task.Role}",
                            ["dueAt"] = task.DueAt,
                        });
                        break;
                    case HistoryKinds.Update when updates.TryDequeue(out var update):
                        update.ApplyTo(_profile); // as the update activity changes the stored profile
                        Add("update", h.StepId, new JsonObject
                        {
                            ["set"] = new JsonObject(update.SetAttributes.Select(kv => KeyValuePair.Create(kv.Key, kv.Value?.DeepClone()))),
                            ["addTags"] = new JsonArray([.. update.AddTags.Select(t => JsonValue.Create(t))]),
                            ["removeTags"] = new JsonArray([.. update.RemoveTags.Select(t => JsonValue.Create(t))]),
                        });
                        break;
                    case HistoryKinds.Waiting:
                        Add("wait", h.StepId, new JsonObject { ["until"] = result.State.Timer?.DueAt });
                        break;
                    case HistoryKinds.WaitingForEvent:
                        var wait = h.StepId is null ? null : _journey.FindStep(h.StepId) as WaitForEventStep;
                        var detail = new JsonObject { ["event"] = wait?.Event };
                        if ((wait?.Timeout is not null || wait?.Deadline is not null) && result.State.Timer is { } timeout)
                        {
                            detail["timeoutAt"] = timeout.DueAt;
                        }
                        Add("wait", h.StepId, detail);
                        break;
                    case var kind when HistoryKinds.IsEnd(kind):
                        Add("exited", h.StepId, new JsonObject { ["status"] = h.Kind, ["outcome"] = h.Detail });
                        break;
                    default:
                        Add(HistoryKinds.IsClock(h.Kind) ? "clock" : "step", h.StepId, new JsonObject { ["kind"] = h.Kind, ["detail"] = h.Detail });
                        break;
                }
            }
            foreach (var timer in result.Commands.OfType<ScheduleTimer>())
            {
                _timers.Add((timer.DueAt, timer.Token));
            }
        }

        /// <summary>The sender's decision on a send, with the recent contacts in memory and no provider.</summary>
        private void Deliver(SendMessage send)
        {
            var customer = ContactPolicy.ReadsLiveProfile(send) ? _profile : ContactPolicy.InstanceCopy(send);
            var category = ContactPolicy.Name(send.Category);
            switch (owner.Policy.Decide(send, customer, _contacts.GetValueOrDefault(category) ?? [], _now))
            {
                case Fallback fallback:
                    Message(send, customer, null, "fallback", fallback.Reason);
                    Deliver(fallback.Send);
                    return;
                case Suppress suppress:
                    Message(send, customer, null, suppress.Expired ? "expired" : "suppressed", suppress.Reason);
                    return;
                case Defer defer:
                    Message(send, customer, null, "deferred", defer.Reason, defer.Until);
                    _deferred.Add((defer.Until, send));
                    return;
                case Allow allow:
                    if (allow.Recent is { } counted)
                    {
                        _contacts[category] = counted;
                    }
                    Message(send, customer, allow.To, "sent", null);
                    return;
                default:
                    throw new InvalidOperationException("Unhandled contact decision.");
            }
        }

        /// <summary>One message entry, rendered whatever its status, so the timeline shows what would have gone out.</summary>
        private void Message(SendMessage send, JsonObject customer, string? to, string status, string? reason, DateTimeOffset? deferredUntil = null)
        {
            var detail = new JsonObject
            {
                ["channel"] = ContactPolicy.Name(send.Channel),
                ["template"] = send.Template,
                ["category"] = ContactPolicy.Name(send.Category),
                ["to"] = to ?? ContactPolicy.Address(customer, send.Channel),
            };
            if (_journey.Templates.TryGetValue(send.Template, out var template)
                && (send.Channel == MessageChannel.Sms ? template.Sms.Count : template.Email.Count) > 0)
            {
                var variables = (JsonObject)send.Variables.DeepClone();
                variables["customer"] = customer.DeepClone();
                var rendered = owner.Renderer.Render(template, send.Channel, variables);
                detail["locale"] = rendered.Locale;
                if (rendered.Subject is not null)
                {
                    detail["subject"] = rendered.Subject;
                }
                detail["body"] = rendered.Body;
                if (send.Channel == MessageChannel.Sms)
                {
                    var count = SmsSegments.Count(rendered.Body);
                    detail["segments"] = count.Segments;
                    detail["encoding"] = count.Encoding.ToString();
                }
            }
            detail["status"] = status;
            if (reason is not null)
            {
                detail["reason"] = reason;
            }
            if (deferredUntil is { } until)
            {
                detail["deferredUntil"] = until;
            }
            Add("message", send.StepId, detail);
        }

        private void Add(string kind, string? stepId, JsonObject detail) =>
            _timeline.Add(new SimulationEntry(_now, TimeZoneInfo.ConvertTime(_now, Zone), kind, stepId, detail));
    }
}
