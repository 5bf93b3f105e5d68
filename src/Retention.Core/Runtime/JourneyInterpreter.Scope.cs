using System.Text.Json.Nodes;
using Retention.Core.Conditions;
using Retention.Core.Events;

namespace Retention.Core.Runtime;

public sealed partial class JourneyInterpreter
{
    /// <summary>The values conditions and templates read: the trigger, the customer, the journey and its clocks.</summary>
    private sealed partial class Run
    {
        private ValueScope Scope(CustomerEvent? received) =>
            new(state.Customer, state.Trigger, state.Context, received?.ToJson(), JourneyInfo());

        private JsonObject JourneyInfo() => new()
        {
            ["id"] = journey.Id,
            ["name"] = journey.Name,
            ["version"] = journey.Version,
            ["instanceId"] = state.InstanceId,
            ["clocks"] = ClockValues(),
        };

        private JsonObject TemplateVariables() => new()
        {
            ["customer"] = state.Customer.DeepClone(),
            ["trigger"] = state.Trigger.DeepClone(),
            ["context"] = state.Context.DeepClone(),
            ["journey"] = JourneyInfo(),
        };
    }
}
