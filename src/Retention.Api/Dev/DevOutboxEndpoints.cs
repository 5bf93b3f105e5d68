using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Retention.Api.Composition;
using Retention.Application.Inbound;
using Retention.Core.Contact;
using Retention.Core.Definitions;
using Retention.Storage.DevOutbox;

namespace Retention.Api.Dev;

public sealed record InboundSms(string? From, string? To, string? Message);

/// <param name="CustomerId">The first of <paramref name="CustomerIds"/>: the customer a reply went to.</param>
/// <param name="CustomerIds">Everyone it reached: all customers with the number for STOP or START, the one asked for a reply.</param>
public sealed record InboundAccepted(string CustomerId, IReadOnlyList<string> CustomerIds, string MessageId, string Result);

/// <summary>The dev outbox (API.md): read what was "sent", and simulate a customer's SMS reply.</summary>
public static class DevOutboxEndpoints
{
    public const int PageSize = Paging.MaxPageSize;

    /// <summary>The response header with the next page's token: the documented body is a bare array, so the token cannot go in it.</summary>
    public const string ContinuationHeader = "X-Continuation-Token";

    public static IEndpointRouteBuilder MapDevOutboxEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/dev").WithTags("Dev outbox");
        group.MapGet("/outbox", ListAsync)
            .WithSummary($"Messages sent through the dev outbox, a page at a time: the body is the page's array (as API.md documents it), and the {ContinuationHeader} header carries the next page's token")
            .WithDescription($"Pass the {ContinuationHeader} response header back as ?continuationToken= for the next page; the header is absent on the last page.")
            .AddOpenApiOperationTransformer(DescribeContinuationHeader);
        group.MapPost("/inbound-sms", InboundAsync).WithSummary("Simulate an SMS reply from a customer");
        return app;
    }

    /// <summary>The 200 answer declares <see cref="ContinuationHeader"/>, so a client generator reads the next page's token.</summary>
    private static Task DescribeContinuationHeader(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        if (operation.Responses?.TryGetValue("200", out var ok) == true && ok is OpenApiResponse response)
        {
            response.Headers ??= new Dictionary<string, IOpenApiHeader>(StringComparer.Ordinal);
            response.Headers[ContinuationHeader] = new OpenApiHeader
            {
                Description = "The next page's token, to pass back as ?continuationToken=; absent on the last page.",
                Required = false,
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            };
        }
        return Task.CompletedTask;
    }

    private static async Task<Results<Ok<IReadOnlyList<OutboxMessage>>, ProblemHttpResult>> ListAsync(string? to, string? channel, string? customerId,
        [PageSize(PageSize)] int? pageSize, string? continuationToken, DevOutboxStore outbox, HttpResponse response, CancellationToken cancellationToken)
    {
        if (Paging.Read(pageSize, PageSize, continuationToken, out var size, out var storageToken) is { } problem)
        {
            return problem;
        }
        var page = await outbox.ListAsync(to, channel, customerId, size, storageToken, cancellationToken);
        if (Retention.Storage.PageToken.Encode(page.ContinuationToken) is { } next)
        {
            response.Headers[ContinuationHeader] = next;
        }
        return TypedResults.Ok(page.Items);
    }

    private static async Task<Results<Accepted<InboundAccepted>, ProblemHttpResult>> InboundAsync(
        InboundSms sms, InboundSmsHandler inbound, TimeProvider time, CancellationToken cancellationToken)
    {
        var errors = new List<DefinitionError>();
        if (string.IsNullOrWhiteSpace(sms.From))
        {
            errors.Add(new DefinitionError("/from", "is required: the customer's phone number"));
        }
        else if (ContactAddress.Phone(sms.From) is null)
        {
            errors.Add(new DefinitionError("/from", "must be a phone number with its country code, such as +8613800138000 (the '+' may be left out)"));
        }
        if (sms.Message is null || sms.Message.Length is 0 or > 2048)
        {
            errors.Add(new DefinitionError("/message", "is required, at most 2048 characters"));
        }
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }
        var now = time.GetUtcNow();
        var messageId = Retention.Core.Runtime.StableHash.Hex($"{sms.From}|{sms.Message}|{now.UtcTicks}");
        var outcome = await inbound.HandleAsync(messageId, sms.From!, sms.To, sms.Message!, now, cancellationToken);
        return outcome.Result switch
        {
            InboundSmsResult.NoCustomer => Problems.NotFound("No customer has this phone number (a STOP or START still applies to the number)."),
            InboundSmsResult.NotUnderstood => Problems.Of(StatusCodes.Status422UnprocessableEntity, "Not understood", $"The message was not applied: {outcome.Reason}."),
            _ => TypedResults.Accepted((string?)null, new InboundAccepted(outcome.CustomerIds[0], outcome.CustomerIds, messageId, outcome.Result.ToString())),
        };
    }
}
