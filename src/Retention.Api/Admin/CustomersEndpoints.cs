using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Retention.Api.Composition;
using Retention.Api.Security;
using Retention.Core.Ports;
using Retention.Core.Customers;
using Retention.Journeys;
using Retention.Storage.Customers;
using Retention.Storage.Messages;
using Retention.Storage.Routing;
using Retention.Storage.Tasks;

namespace Retention.Api.Admin;

/// <param name="DeferredUntil">For a message held back (quiet hours, a frequency cap): when it is due to go.</param>
public sealed record TimelineItem(DateTimeOffset At, string Kind, string Summary, string? InstanceId, string? JourneyId, JsonNode? Detail, DateTimeOffset? DeferredUntil = null);

/// <summary>Customer profiles and timelines (API.md).</summary>
public static class CustomersEndpoints
{
    public static IEndpointRouteBuilder MapCustomersEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/customers").WithTags("Customers");
        group.MapGet("/{customerId}", GetAsync).RequireAuthorization(Roles.Viewer).WithSummary("Profile, status, tier and consent");
        group.MapGet("/{customerId}/timeline", TimelineAsync).RequireAuthorization(Roles.Viewer).WithSummary("Events, journey steps, messages and tasks in time order");
        return app;
    }

    private static async Task<Results<Ok<JsonObject>, ProblemHttpResult>> GetAsync(string customerId, CustomerProfileStore profiles, CancellationToken cancellationToken) =>
        await profiles.GetAsync(customerId, cancellationToken) is { } profile ? TypedResults.Ok(CustomerSnapshot.AsResource(profile)) : Problems.NotFound($"No customer {customerId}.");

    /// <summary>404 for a customer the service knows nothing of: no profile and nothing on the timeline, as the customer itself is.</summary>
    private static async Task<Results<Ok<List<TimelineItem>>, ProblemHttpResult>> TimelineAsync(
        string customerId, CustomerProfileStore profiles, CustomerEventLog events, CustomerInstanceIndex index, IJourneyInstances instances, TaskStore tasks, MessageLog messages, CancellationToken cancellationToken)
    {
        var id = customerId;
        var items = new List<TimelineItem>();
        foreach (var e in await events.SinceAsync(id, DateTimeOffset.MinValue, 1000, cancellationToken))
        {
            items.Add(new TimelineItem(e.Time, "event", e.Type, null, null, e.ToJson()));
        }
        foreach (var entry in await index.ListAsync(id, activeOnly: false, cancellationToken))
        {
            foreach (var h in (await instances.GetAsync(entry.InstanceId, cancellationToken))?.History ?? [])
            {
                items.Add(new TimelineItem(h.At, $"step:{h.Kind}", h.Detail, entry.InstanceId, entry.JourneyId, h.StepId is null ? null : JsonValue.Create(h.StepId)));
            }
        }
        foreach (var m in await messages.ForCustomerAsync(id, cancellationToken))
        {
            var summary = m.Status switch
            {
                MessageStatus.Deferred => $"{m.Status} until {m.DeferredUntil:O}: {m.Reason}",
                MessageStatus.Suppressed or MessageStatus.Failed or MessageStatus.Undelivered => $"{m.Status}: {m.Reason}",
                _ => m.Status,
            };
            items.Add(new TimelineItem(m.UpdatedAt, $"message:{m.Channel}", summary, m.InstanceId, m.JourneyId, new JsonObject
            {
                ["sendKey"] = m.SendKey, ["stepId"] = m.StepId, ["status"] = m.Status, ["category"] = m.Category, ["reason"] = m.Reason,
            }, m.Status == MessageStatus.Deferred ? m.DeferredUntil : null));
        }
        foreach (var t in await tasks.ForCustomerAsync(id, cancellationToken))
        {
            items.Add(new TimelineItem(t.CreatedAt, $"task:{t.Kind}", t.Title, t.InstanceId, t.JourneyId, JsonValue.Create(t.Status)));
        }
        if (items.Count == 0 && await profiles.GetAsync(id, cancellationToken) is null)
        {
            return Problems.NotFound($"No customer {id}.");
        }
        return TypedResults.Ok(items.OrderBy(i => i.At).ToList());
    }
}
