using System.Text.Json.Nodes;
using Retention.Core.Conditions;
using Retention.Core.Customers;

namespace Retention.Core.Runtime;

public static class CustomerUpdateExtensions
{
    /// <summary>
    /// Applies an update step's changes to a profile: the instance's copy, the stored profile and the simulator's all
    /// change the same way.
    /// </summary>
    public static void ApplyTo(this UpdateCustomer update, JsonObject profile)
    {
        var attributes = CustomerSnapshot.Attributes(profile);
        foreach (var (name, value) in update.SetAttributes)
        {
            attributes[name] = value?.DeepClone();
        }
        foreach (var (name, amount) in update.AddToAttributes ?? new Dictionary<string, decimal>())
        {
            attributes[name] = (JsonNumbers.TryGetDecimal(attributes[name], out var before) ? before : 0m) + amount;
        }
        var tags = CustomerSnapshot.Tags(profile);
        foreach (var tag in update.AddTags.Where(t => !tags.Any(x => x?.GetValue<string>() == t)))
        {
            tags.Add(tag);
        }
        foreach (var existing in tags.Where(x => update.RemoveTags.Contains(x?.GetValue<string>() ?? "")).ToList())
        {
            tags.Remove(existing);
        }
    }
}
