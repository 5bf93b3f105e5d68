using Microsoft.AspNetCore.Http.HttpResults;
using Retention.Api.Composition;
using Retention.Api.Security;
using Retention.Application.Journeys;

namespace Retention.Api.Admin;

/// <summary>A migration's progress: publishing with "migrate" or "end" answers 202 with this resource and moves the instances behind it.</summary>
public static class MigrationsEndpoints
{
    public static string Href(string migrationId) => "/api/migrations/" + Uri.EscapeDataString(migrationId);

    public static IEndpointRouteBuilder MapMigrationsEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/migrations").WithTags("Journeys")
            .MapGet("/{id}", GetAsync).RequireAuthorization(Roles.Viewer)
            .WithSummary("A migration's progress (id journey.vN): instances signalled, moved, ended and failed to move");
        return app;
    }

    private static async Task<Results<Ok<MigrationProgressView>, ProblemHttpResult>> GetAsync(string id, MigrationProgressReader progress, CancellationToken cancellationToken) =>
        await progress.ReadAsync(id, cancellationToken) is { } view ? TypedResults.Ok(view) : Problems.NotFound($"No migration {id}.");
}
