using Microsoft.AspNetCore.Http.HttpResults;
using Retention.Core.Definitions;
using Retention.Storage;

namespace Retention.Api.Composition;

/// <summary>One page of a list, as every paged list answers: its items and the token of the next page (null on the last).</summary>
public sealed record ListPage<T>(IReadOnlyList<T> Items, string? ContinuationToken);

/// <summary>The one rule for a list's page size, for every list endpoint: from 1 to <see cref="MaxPageSize"/>.</summary>
public static class Paging
{
    public const int MaxPageSize = 1000;

    /// <summary>The page size asked for, else the list's default; an error naming <c>/pageSize</c> when it is out of range.</summary>
    private static DefinitionError? ReadPageSize(int? pageSize, int defaultSize, out int size)
    {
        size = pageSize ?? defaultSize;
        return size is >= 1 and <= MaxPageSize ? null : new DefinitionError("/pageSize", $"must be from 1 to {MaxPageSize}");
    }

    /// <summary>
    /// Reads a list's page size and continuation token together: null when both are good, else a problem naming
    /// <c>/pageSize</c> or <c>/continuationToken</c>. <paramref name="storageToken"/> is the token the store hands out (null for the first page).
    /// </summary>
    public static ProblemHttpResult? Read(int? pageSize, int defaultSize, string? continuationToken, out int size, out string? storageToken)
    {
        var errors = Check(pageSize, defaultSize, continuationToken, out size, out storageToken);
        return errors.Count == 0 ? null : Problems.Validation(errors);
    }

    /// <summary>
    /// The same rule as <see cref="Read"/>, as errors, for a list that checks other parameters too and answers them
    /// all in one problem.
    /// </summary>
    public static IReadOnlyList<DefinitionError> Check(int? pageSize, int defaultSize, string? continuationToken, out int size, out string? storageToken)
    {
        List<DefinitionError> errors = [];
        if (ReadPageSize(pageSize, defaultSize, out size) is { } sizeError)
        {
            errors.Add(sizeError);
        }
        if (!PageToken.TryDecode(continuationToken, out storageToken))
        {
            errors.Add(new DefinitionError("/continuationToken", PageToken.Rule));
        }
        return errors;
    }

    /// <summary>A store's page as the list answers it, its token wrapped so only tokens this service handed out are taken back.</summary>
    public static ListPage<T> Answer<T>(IReadOnlyList<T> items, string? storageToken) => new(items, PageToken.Encode(storageToken));
}

/// <summary>A list's page size parameter, declared in the OpenAPI document as 1 to <see cref="Paging.MaxPageSize"/> with this default.</summary>
[AttributeUsage(AttributeTargets.Parameter)]
public sealed class PageSizeAttribute(int defaultSize) : Attribute
{
    public int DefaultSize { get; } = defaultSize;
}
