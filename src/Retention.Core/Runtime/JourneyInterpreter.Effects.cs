using System.Text.Json.Nodes;
using Retention.Core.Conditions;
using Retention.Core.Customers;
using Retention.Core.Definitions;

namespace Retention.Core.Runtime;

public sealed partial class JourneyInterpreter
{
    /// <summary>The steps that act: task assignment, emitted events, customer updates and split paths.</summary>
    private sealed partial class Run
    {
        /// <summary>The named person, else the customer's owner, else the role's holder in the customer's region, else the role's inbox.</summary>
        private (string? AssigneeId, string? Role, string Whom) Assign(TaskAssignee assignee)
        {
            if (assignee.Path is { } path && Condition.AsTextOrNull(Scope(null).Resolve(path)) is { Length: > 0 } named)
            {
                return (named, assignee.Role, path);
            }
            if (assignee.Owner && CustomerSnapshot.Text(state.Customer, "ownerId") is { Length: > 0 } ownerId)
            {
                return (ownerId, null, "the owner");
            }
            var role = assignee.Role ?? "unassigned";
            var holder = assignee.Role is null ? null : _settings.Staff.Resolve(CustomerSnapshot.Text(state.Customer, "region"), assignee.Role);
            return (holder, role, holder is null ? $"the {role} inbox" : $"the {role}");
        }

        private static SplitPath PickPath(SplitStep split, int bucket)
        {
            decimal upTo = 0;
            foreach (var path in split.Paths)
            {
                upTo += path.Percent * 100;
                if (bucket < upTo)
                {
                    return path;
                }
            }
            return split.Paths[^1];
        }

        private void Emit(EmitStep emit, int occurrence)
        {
            var scope = Scope(null);
            if (Condition.AsTextOrNull(scope.Resolve(emit.Customer)) is not { Length: > 0 } customerId)
            {
                Record(HistoryKinds.EmitSkipped, emit.Id, $"no customer at {emit.Customer}");
                return;
            }
            var data = new JsonObject { ["customerId"] = customerId };
            foreach (var (name, source) in emit.Data)
            {
                data[name] = Resolve(source, scope);
            }
            _commands.Add(new EmitEvent(new OccurrenceKey(state.InstanceId, emit.Id, occurrence).ToString(), emit.Event, customerId, now, data));
            Record(HistoryKinds.Emit, emit.Id, $"{emit.Event} for {(customerId == state.CustomerId ? "this customer" : "another customer")}");
        }

        private static JsonNode? Resolve(ValueSource source, ValueScope scope) =>
            source.Path is { } path ? scope.Resolve(path)?.DeepClone() : source.Literal?.DeepClone();

        private void ApplyUpdate(UpdateStep update, int occurrence)
        {
            var scope = Scope(null);
            var values = update.SetAttributes.ToDictionary(kv => kv.Key, kv => Resolve(kv.Value, scope));
            var sums = (update.AddToAttributes ?? new Dictionary<string, ValueSource>())
                .ToDictionary(kv => kv.Key, kv => JsonNumbers.TryGetDecimal(Resolve(kv.Value, scope), out var n) ? n : 0m);
            var command = new UpdateCustomer(state.CustomerId, values, update.AddTags, update.RemoveTags, sums, new OccurrenceKey(state.InstanceId, update.Id, occurrence).ToString());
            command.ApplyTo(state.Customer);
            _commands.Add(command);
            Record(HistoryKinds.Update, update.Id, string.Join(", ", values.Keys.Select(k => $"attributes.{k}")
                .Concat(sums.Select(kv => $"attributes.{kv.Key} += {kv.Value}"))
                .Concat(update.AddTags.Select(t => $"+{t}")).Concat(update.RemoveTags.Select(t => $"-{t}"))));
        }
    }
}
