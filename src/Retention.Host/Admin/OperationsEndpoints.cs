using Microsoft.AspNetCore.Http.HttpResults;
using Retention.Host.Security;
using Retention.Storage.Work;

namespace Retention.Host.Admin;

public sealed record PoisonMessage(string MessageId, long DequeueCount, DateTimeOffset? InsertedOn, string Body);

public sealed record Requeued(int Count);

/// <summary>Work that failed <c>maxDequeueCount</c> times stays visible here, and can be sent back for another try.</summary>
public static class OperationsEndpoints
{
    public static IEndpointRouteBuilder MapOperationsEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/operations").WithTags("Operations");
        group.MapGet("/poison", async (WorkQueue queue, CancellationToken ct) =>
            TypedResults.Ok((await queue.PeekPoisonAsync(ct)).Select(m => new PoisonMessage(m.MessageId, m.DequeueCount, m.InsertedOn, m.Body.ToString())).ToList()))
            .RequireAuthorization(Roles.Viewer).WithSummary("Messages in the poison queue (up to 32)");
        group.MapPost("/poison/requeue", async (WorkQueue queue, HttpContext http, CancellationToken ct) =>
        {
            AuditDetails.Target(http, Retention.Storage.StorageAccount.WorkQueueName + Retention.Storage.StorageAccount.PoisonQueueSuffix);
            return TypedResults.Ok(new Requeued(await queue.RequeuePoisonAsync(ct)));
        })
            .RequireAuthorization(Roles.Operator).WithSummary("Move every poison message back to the work queue");
        return app;
    }
}
