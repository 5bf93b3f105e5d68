namespace Retention.Core.Definitions;

/// <summary>One fault in a journey definition, at a JSON Pointer such as <c>/steps/3/next</c>.</summary>
public sealed record DefinitionError(string Path, string Message);

/// <summary>Checks template text (Liquid syntax, known variables) for the definition validator; provided by the channels.</summary>
public interface ITemplateChecker
{
    /// <returns>null when the text is a valid template, otherwise what is wrong.</returns>
    string? Check(string template);
}

public sealed record DefinitionReadResult(JourneyDefinition? Definition, IReadOnlyList<DefinitionError> Errors)
{
    public bool IsValid => Definition is not null && Errors.Count == 0;
}
