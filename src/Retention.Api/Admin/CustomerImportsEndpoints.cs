using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Retention.Api.Composition;
using Retention.Api.Hosting;
using Retention.Api.Security;
using Retention.Application.Customers;
using Retention.Core.Ports;

namespace Retention.Api.Admin;

public sealed record CustomerImportError(string Path, string Message);

public sealed record CustomerImportResource(string Id, string Status, string Format, int Lines, int LinesRead, int Accepted, int Rejected,
    IReadOnlyList<CustomerImportError> Errors, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static CustomerImportResource Of(CustomerImport i) => new(i.Id, i.Status, i.Format == CustomerImportFormat.Csv ? "csv" : "ndjson", i.Lines, i.LinesRead,
        i.Accepted, i.Rejected, [.. i.Errors.Select(e => new CustomerImportError(e.Path, e.Message))], i.CreatedAt, i.UpdatedAt);
}

/// <summary>Bulk customer imports (docs/customers.md): an NDJSON or CSV upload applied in chunks behind a 202, with its progress.</summary>
public static class CustomerImportsEndpoints
{
    public static IEndpointRouteBuilder MapCustomerImportsEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/customers/imports").WithTags("Customers");
        group.MapPost("", SubmitAsync).ReadsOwnBody().RequireAuthorization(Roles.Importer)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .AddOpenApiOperationTransformer(DescribeUpload)
            .WithSummary("Import customers from an NDJSON or CSV file of customer.upserted data; the same file again changes nothing");
        group.MapGet("", ListAsync).RequireAuthorization(Roles.Viewer)
            .WithSummary("Every import, newest first, a page at a time, each with its status and progress");
        group.MapGet("/{id}", GetAsync).RequireAuthorization(Roles.Viewer).WithSummary("An import's status, lines read, rows accepted and rejected, and row errors");
        return app;
    }

    private static async Task<Results<Accepted<CustomerImportResource>, Ok<CustomerImportResource>, ProblemHttpResult>> SubmitAsync(
        HttpRequest request, CustomerImports imports, CustomerImportService runner, IOptions<CustomerImportOptions> options, CancellationToken cancellationToken)
    {
        CustomerImportFormat? format = request.ContentType?.Split(';')[0].Trim().ToLowerInvariant() switch
        {
            "application/x-ndjson" => CustomerImportFormat.Ndjson,
            "text/csv" => CustomerImportFormat.Csv,
            _ => null,
        };
        if (format is null)
        {
            return Problems.Of(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", "Send application/x-ndjson or text/csv.");
        }
        if (await ReadUploadAsync(request, options.Value.MaxUploadBytes, cancellationToken) is not { } content)
        {
            return Problems.Of(StatusCodes.Status413PayloadTooLarge, "Upload too large",
                $"The file is over the import's limit of {options.Value.MaxUploadBytes} bytes ({CustomerImportOptions.Section}:MaxUploadBytes); nothing was stored. Split it into smaller files.");
        }
        switch (await imports.SubmitAsync(content, format.Value, cancellationToken))
        {
            case CustomerImportAccepted { Created: true } accepted:
                runner.Enqueue(accepted.Import.Id);
                return TypedResults.Accepted($"/api/customers/imports/{accepted.Import.Id}", CustomerImportResource.Of(accepted.Import));
            case CustomerImportAccepted existing:
                return TypedResults.Ok(CustomerImportResource.Of(existing.Import));
            case CustomerImportRefused refused:
                return Problems.Validation(refused.Errors, refused.Detail);
            default:
                throw new InvalidOperationException("Unknown submission outcome.");
        }
    }

    /// <summary>
    /// The file in the OpenAPI document. Described here rather than by <c>Accepts</c>, which would also make routing
    /// refuse every other content type before the endpoint answers with its own problem.
    /// </summary>
    private static Task DescribeUpload(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var limit = context.ApplicationServices.GetRequiredService<IOptions<CustomerImportOptions>>().Value.MaxUploadBytes;
        var file = new OpenApiSchema { Type = JsonSchemaType.String };
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Description = $"At most {limit} bytes ({CustomerImportOptions.Section}:MaxUploadBytes): a larger file is refused with 413, naming the limit, before the rest of it is read, and nothing is stored.",
            Content = new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal)
            {
                ["application/x-ndjson"] = new() { Schema = file },
                ["text/csv"] = new() { Schema = file },
            },
        };
        return Task.CompletedTask;
    }

    /// <summary>
    /// The upload, or null when it is over <paramref name="limit"/>: refused by its declared length before a byte is
    /// read, or as soon as more than the limit has arrived (a chunked upload), never read whole first. The server's own
    /// request limit (Kestrel's 30 MB) is raised to the import's for this request.
    /// </summary>
    private static async Task<byte[]?> ReadUploadAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit)
        {
            return null;
        }
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } serverLimit)
        {
            serverLimit.MaxRequestBodySize = limit;
        }
        using var body = new MemoryStream(request.ContentLength is { } length ? (int)length : 0);
        var buffer = new byte[81920];
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(buffer, cancellationToken)) > 0)
            {
                if (body.Length + read > limit)
                {
                    return null;
                }
                body.Write(buffer, 0, read);
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return null; // the server's own limit, where it could not be raised
        }
        return body.Length == body.Capacity ? body.GetBuffer() : body.ToArray();
    }

    /// <summary>The default page: the workspace shows the latest imports.</summary>
    private const int PageSize = 20;

    private static async Task<Results<Ok<ListPage<CustomerImportResource>>, ProblemHttpResult>> ListAsync([PageSize(PageSize)] int? pageSize, string? continuationToken,
        CustomerImports imports, CancellationToken cancellationToken)
    {
        if (Paging.Read(pageSize, PageSize, continuationToken, out var size, out var storageToken) is { } problem)
        {
            return problem;
        }
        var page = await imports.ListAsync(size, storageToken, cancellationToken);
        return TypedResults.Ok(Paging.Answer([.. page.Items.Select(CustomerImportResource.Of)], page.ContinuationToken));
    }

    private static async Task<Results<Ok<CustomerImportResource>, ProblemHttpResult>> GetAsync(string id, CustomerImports imports, CancellationToken cancellationToken) =>
        await imports.GetAsync(id, cancellationToken) is { } import ? TypedResults.Ok(CustomerImportResource.Of(import)) : Problems.NotFound($"No import {id}.");
}
