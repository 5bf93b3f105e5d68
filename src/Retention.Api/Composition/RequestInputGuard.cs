using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.Options;
using Retention.Core.Definitions;
using Retention.Core.Runtime;

namespace Retention.Api.Composition;

/// <summary>
/// Marks an endpoint that reads a JSON object body from the raw request (any content type), for the guard to check as
/// it checks the bodies the framework binds (<see cref="IAcceptsMetadata"/>).
/// </summary>
public sealed record JsonBodyMetadata(bool IsOptional);

/// <summary>Marks an endpoint that reads and checks its body itself (webhooks: the signature covers the raw bytes and is checked first).</summary>
public sealed class ReadsOwnBodyMetadata
{
    public static readonly ReadsOwnBodyMetadata Instance = new();
}

/// <summary>
/// The one place where what a request carries besides its route is checked before any endpoint runs, each fault a
/// <c>400</c> problem naming its path:
/// <list type="bullet">
/// <item>route and query values with control characters (<c>/id</c>; a NUL in the path itself is refused by the
/// server's URL decoder before any application code runs), and a customer id, in the route or the query, that is not
/// one (<c>/customerId</c>: the same rule as the events that create customers);</item>
/// <item>the JSON body of every endpoint that declares one (<see cref="IAcceptsMetadata"/>, <see cref="JsonBodyMetadata"/>): well-formed, no member name
/// twice in one object, an object at the top, present when required, and of the declared request type (a wrong type
/// is named at its JSON Pointer, such as <c>/data</c>).</item>
/// </list>
/// So a new endpoint that reads a body is covered by declaring it, and a request's own fault never reaches the
/// endpoint as an exception (which would be mistaken for a storage outage).
/// </summary>
public sealed class RequestInputGuard(RequestDelegate next, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json)
{
    /// <summary>The largest body read for checking: above every body an admin endpoint accepts (a draft is at most 450,000 characters).</summary>
    public const int MaxBodyBytes = 2 * 1024 * 1024;

    public const string CustomerIdRule = "must be a customer id: 1-128 letters, digits or . _ @ : -";

    public async Task InvokeAsync(HttpContext context)
    {
        var endpoint = context.GetEndpoint();
        var errors = new List<DefinitionError>();
        foreach (var (name, value) in context.Request.RouteValues)
        {
            if (value is string text && text.Any(char.IsControl))
            {
                errors.Add(new DefinitionError("/" + name, "must not contain control characters such as NUL"));
            }
        }
        foreach (var (name, values) in context.Request.Query)
        {
            if (values.Any(v => v is not null && v.Any(char.IsControl)))
            {
                errors.Add(new DefinitionError("/" + name, "must not contain control characters such as NUL"));
            }
        }
        if (endpoint is not null)
        {
            CheckCustomerId(context.Request.RouteValues["customerId"] as string, errors);
            foreach (var value in context.Request.Query["customerId"])
            {
                CheckCustomerId(value, errors);
            }
        }
        var accepts = endpoint?.Metadata.GetMetadata<IAcceptsMetadata>();
        var raw = endpoint?.Metadata.GetMetadata<JsonBodyMetadata>();
        if (errors.Count == 0 && (accepts is not null || raw is not null)
            && endpoint!.Metadata.GetMetadata<ReadsOwnBodyMetadata>() is null
            && (HttpMethods.IsPost(context.Request.Method) || HttpMethods.IsPut(context.Request.Method) || HttpMethods.IsPatch(context.Request.Method)))
        {
            if (await CheckBodyAsync(context, raw?.IsOptional ?? accepts!.IsOptional, raw is null ? accepts!.RequestType : null, errors) is { } tooLarge)
            {
                await tooLarge.ExecuteAsync(context);
                return;
            }
        }
        if (errors.Count > 0)
        {
            await Problems.Validation(errors, "The request is not valid").ExecuteAsync(context);
            return;
        }
        await next(context);
    }

    private static void CheckCustomerId(string? value, List<DefinitionError> errors)
    {
        if (value is not null && !EntryPolicy.CustomerIdPattern().IsMatch(value) && errors.All(e => e.Path != "/customerId"))
        {
            errors.Add(new DefinitionError("/customerId", CustomerIdRule));
        }
    }

    /// <returns>A 413 problem when the body is over <see cref="MaxBodyBytes"/>; otherwise null, with any fault added to <paramref name="errors"/>.</returns>
    private async Task<IResult?> CheckBodyAsync(HttpContext context, bool optional, Type? requestType, List<DefinitionError> errors)
    {
        var request = context.Request;
        if (request.ContentLength > MaxBodyBytes)
        {
            return Problems.Of(StatusCodes.Status413PayloadTooLarge, "Payload too large", $"The body is over the {MaxBodyBytes} byte limit.");
        }
        request.EnableBuffering(bufferThreshold: 64 * 1024, bufferLimit: MaxBodyBytes);
        byte[] body;
        using (var copy = new MemoryStream())
        {
            try
            {
                await request.Body.CopyToAsync(copy, context.RequestAborted);
            }
            catch (IOException) when (!context.RequestAborted.IsCancellationRequested)
            {
                return Problems.Of(StatusCodes.Status413PayloadTooLarge, "Payload too large", $"The body is over the {MaxBodyBytes} byte limit.");
            }
            body = copy.ToArray();
        }
        request.Body.Position = 0;
        if (body.AsSpan().Trim(" \t\r\n"u8).IsEmpty)
        {
            if (!optional)
            {
                errors.Add(new DefinitionError("", "the body is required: a JSON object"));
            }
            return null;
        }
        if (StrictJson.Check(body) is { } malformed)
        {
            errors.Add(malformed with { Message = "the body " + malformed.Message.TrimStart() });
            return null;
        }
        if (JsonNode.Parse(body) is not JsonObject)
        {
            errors.Add(new DefinitionError("", "the body must be a JSON object"));
            return null;
        }
        if (requestType is { } type && type != typeof(JsonObject) && type != typeof(JsonNode))
        {
            try
            {
                JsonSerializer.Deserialize(body, type, json.Value.SerializerOptions);
            }
            catch (JsonException e)
            {
                errors.Add(new DefinitionError(StrictJson.PointerOf(e.Path), WrongType(e)));
            }
        }
        return null;
    }

    private static string WrongType(JsonException e)
    {
        var message = e.Message;
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return "has the wrong type" + (cut > 0 ? $": {message[..cut]}" : "");
    }
}

/// <summary>
/// The framework's own refusals of a request (a body it cannot bind, a missing required value, a wrong content type)
/// as problems with the status the framework chose, so they are never taken for a storage outage.
/// </summary>
public sealed class BadRequestProblemHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad || httpContext.Response.HasStarted)
        {
            return false;
        }
        var path = exception.InnerException is JsonException json ? StrictJson.PointerOf(json.Path) : "";
        httpContext.Response.StatusCode = bad.StatusCode;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails =
            {
                Status = bad.StatusCode,
                Title = "The request is not valid",
                Detail = bad.Message,
                Type = "https://retention.dev/problems/validation",
                Extensions = { ["errors"] = new List<Dictionary<string, string>> { new() { ["path"] = path, ["message"] = bad.Message } } },
            },
        });
    }
}

public static class RequestInputGuardRegistration
{
    public static IServiceCollection AddRequestInputGuard(this IServiceCollection services) =>
        services.AddExceptionHandler<BadRequestProblemHandler>();

    public static IApplicationBuilder UseRequestInputGuard(this IApplicationBuilder app) => app.UseMiddleware<RequestInputGuard>();

    /// <summary>The endpoint reads a JSON object from the raw body; the guard checks it first.</summary>
    public static TBuilder ReadsJsonBody<TBuilder>(this TBuilder builder, bool optional = false) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new JsonBodyMetadata(optional));

    /// <summary>The endpoint reads and checks its body itself; the guard leaves it alone.</summary>
    public static TBuilder ReadsOwnBody<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(ReadsOwnBodyMetadata.Instance);
}
