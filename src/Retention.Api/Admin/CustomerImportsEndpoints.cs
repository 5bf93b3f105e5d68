using Microsoft.AspNetCore.Http.HttpResults;
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
            .WithSummary("Import customers from an NDJSON or CSV file of customer.upserted data; the same file again changes nothing");
        group.MapGet("/{id}", GetAsync).RequireAuthorization(Roles.Viewer).WithSummary("An import's status, lines read, rows accepted and rejected, and row errors");
        return app;
    }

    private static async Task<Results<Accepted<CustomerImportResource>, Ok<CustomerImportResource>, ProblemHttpResult>> SubmitAsync(
        HttpRequest request, CustomerImports imports, CustomerImportService runner, CancellationToken cancellationToken)
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
        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body, cancellationToken);
        switch (await imports.SubmitAsync(body.ToArray(), format.Value, cancellationToken))
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

    private static async Task<Results<Ok<CustomerImportResource>, ProblemHttpResult>> GetAsync(string id, CustomerImports imports, CancellationToken cancellationToken) =>
        await imports.GetAsync(id, cancellationToken) is { } import ? TypedResults.Ok(CustomerImportResource.Of(import)) : Problems.NotFound($"No import {id}.");
}
