using Retention.Core.Definitions;

namespace Retention.Api.Composition;

/// <summary>The one rule for a list's page size, for every list endpoint: from 1 to <see cref="MaxPageSize"/>.</summary>
public static class Paging
{
    public const int MaxPageSize = 1000;

    /// <summary>The page size asked for, else the list's default; an error naming <c>/pageSize</c> when it is out of range.</summary>
    public static DefinitionError? ReadPageSize(int? pageSize, int defaultSize, out int size)
    {
        size = pageSize ?? defaultSize;
        return size is >= 1 and <= MaxPageSize ? null : new DefinitionError("/pageSize", $"must be from 1 to {MaxPageSize}");
    }
}

/// <summary>A list's page size parameter, declared in the OpenAPI document as 1 to <see cref="Paging.MaxPageSize"/> with this default.</summary>
[AttributeUsage(AttributeTargets.Parameter)]
public sealed class PageSizeAttribute(int defaultSize) : Attribute
{
    public int DefaultSize { get; } = defaultSize;
}
