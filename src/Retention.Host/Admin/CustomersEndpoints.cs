using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Retention.Channels.Messages;
using Retention.Host.Composition;
using Retention.Host.Security;
using Retention.Storage.Customers;
using Retention.Journeys;
using Retention.Storage.Routing;
using Retention.Storage.Tasks;

namespace Retention.Host.Admin;

public sealed record TimelineItem(DateTimeOffset At, string Kind, string Summary, string? InstanceId, string? JourneyId, JsonNode? Detail);

/// <summary>Customer profiles and timelines (API.md).</summary>
public static class CustomersEndpoints
{
    public static IEndpointRouteBuilder MapCustomersEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/customers").WithTags("Customers");
        group.MapGet("/{id}", GetAsync).RequireAuthorization(Roles.Viewer).WithSummary("Profile, status, tier and consent");
        group.MapGet("/{id}/timeline", TimelineAsync).RequireAuthorization(Roles.Viewer).WithSummary("Events, journey steps, messages and tasks in time order");
        return app;
    }

    private static async Task<Results<Ok<JsonObject>, ProblemHttpResult>> GetAsync(string id, CustomerProfileStore profiles, CancellationToken cancellationToken) =>
        await profiles.GetAsync(id, cancellationToken) is { } profile ? TypedResults.Ok(profile) : Problems.NotFound($"No customer {id}.");

    private static async Task<Ok<List<TimelineItem>>> TimelineAsync(
        string id, CustomerEventLog events, CustomerInstanceIndex index, IJourneyInstances instances, TaskStore tasks, MessageLog messages, CancellationToken cancellationToken)
    {
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
            }));
        }
        foreach (var t in await tasks.ForCustomerAsync(id, cancellationToken))
        {
            items.Add(new TimelineItem(t.CreatedAt, $"task:{t.Kind}", t.Title, t.InstanceId, t.JourneyId, JsonValue.Create(t.Status)));
        }
        return TypedResults.Ok(items.OrderBy(i => i.At).ToList());
    }
}
