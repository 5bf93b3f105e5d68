using Microsoft.AspNetCore.Http.HttpResults;
using Retention.Core.Definitions;

namespace Retention.Api.Composition;

/// <summary>RFC 7807 problems, one shape for every validation failure: each error with its JSON Pointer.</summary>
public static class Problems
{
    public static ProblemHttpResult Validation(IReadOnlyList<DefinitionError> errors, string title = "The request is not valid") =>
        TypedResults.Problem(
            statusCode: StatusCodes.Status400BadRequest,
            title: title,
            detail: string.Join("; ", errors.Take(5).Select(e => $"{(e.Path.Length == 0 ? "/" : e.Path)}: {e.Message}")) + (errors.Count > 5 ? $"; and {errors.Count - 5} more" : ""),
            type: "https://retention.dev/problems/validation",
            extensions: new Dictionary<string, object?>
            {
                ["errors"] = errors.Take(200).Select(e => new Dictionary<string, string> { ["path"] = e.Path, ["message"] = e.Message }).ToList(),
            });

    public static ProblemHttpResult Of(int status, string title, string detail) =>
        TypedResults.Problem(statusCode: status, title: title, detail: detail);

    public static ProblemHttpResult NotFound(string what) => Of(StatusCodes.Status404NotFound, "Not found", what);
}
