using Retention.Core.Definitions;

namespace Retention.Core.Ports;

/// <summary>The file formats a customer import accepts.</summary>
public enum CustomerImportFormat
{
    /// <summary>One <c>customer.upserted</c> data object per line (<c>application/x-ndjson</c>).</summary>
    Ndjson,

    /// <summary>A header row naming the <c>customer.upserted</c> fields, then one customer per row (<c>text/csv</c>).</summary>
    Csv,
}

public static class CustomerImportStatus
{
    public const string Running = "running";
    public const string Completed = "completed";
}

/// <summary>
/// A bulk customer import: which file (by its content hash), how far it got and what it found. The lines of the file
/// are stored apart, in chunks of <see cref="ChunkLines"/>, and applied in that order; <see cref="ChunksDone"/> is the
/// cursor a restart continues from.
/// </summary>
/// <param name="Header">A CSV file's header row; null for NDJSON.</param>
/// <param name="Lines">The file's lines, the CSV header included.</param>
/// <param name="Errors">The first rejected rows' faults, at <c>/lines/{line}/{field}</c>; capped, <see cref="Rejected"/> counts them all.</param>
/// <param name="Version">The stored record's version: a save over a newer one fails with <see cref="CustomerImportConflictException"/>.</param>
public sealed record CustomerImport(
    string Id,
    CustomerImportFormat Format,
    string? Header,
    int Lines,
    int Chunks,
    int ChunkLines,
    string Status,
    int ChunksDone,
    int LinesRead,
    int Accepted,
    int Rejected,
    IReadOnlyList<DefinitionError> Errors,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    string? Version = null);

/// <summary>Another runner saved the import first: this one stops and leaves it to that one.</summary>
public sealed class CustomerImportConflictException(string importId) : Exception($"Import {importId} was saved by another runner.");

/// <summary>Where imports and their files' lines are kept.</summary>
/// <summary>One page of imports, newest first, and the store's token of the next (null on the last page).</summary>
public sealed record CustomerImportPage(IReadOnlyList<CustomerImport> Items, string? ContinuationToken);

public interface ICustomerImportStore
{
    /// <summary>Stores the file's lines in chunks and then the import; false (nothing changed) when the import exists.</summary>
    Task<bool> CreateAsync(CustomerImport import, IReadOnlyList<IReadOnlyList<string>> chunks, CancellationToken cancellationToken);

    Task<CustomerImport?> GetAsync(string importId, CancellationToken cancellationToken);

    /// <summary>The lines of one chunk, in file order.</summary>
    Task<IReadOnlyList<string>> ReadChunkAsync(string importId, int chunk, CancellationToken cancellationToken);

    /// <summary>Saves the import's progress if nobody saved it since it was read; returns it with its new version.</summary>
    /// <exception cref="CustomerImportConflictException">It was saved since.</exception>
    Task<CustomerImport> SaveAsync(CustomerImport import, CancellationToken cancellationToken);

    /// <summary>The imports not yet completed, for a restart to continue.</summary>
    Task<IReadOnlyList<CustomerImport>> ListUnfinishedAsync(CancellationToken cancellationToken);

    /// <summary>Every import, newest first, a page at a time.</summary>
    Task<CustomerImportPage> ListAsync(int pageSize, string? continuationToken, CancellationToken cancellationToken);
}
