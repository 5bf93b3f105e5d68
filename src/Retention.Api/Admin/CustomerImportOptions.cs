namespace Retention.Api.Admin;

/// <summary>The bulk customer import's settings (<c>Retention:Import</c>, docs/customers.md).</summary>
public sealed class CustomerImportOptions
{
    public const string Section = "Retention:Import";

    /// <summary>The highest upload size a server may be given: the file is held in memory while it is stored.</summary>
    public const long MaxUploadBytesCeiling = 1L << 30;

    /// <summary>
    /// The largest file <c>POST /api/customers/imports</c> takes: above it, <c>413</c> before the rest is read. 64 MB is
    /// about 219,000 customers with every field filled (100,000 measured at 29.2 MB of NDJSON, docs/customers.md).
    /// </summary>
    public long MaxUploadBytes { get; set; } = 64L * 1024 * 1024;

    public IReadOnlyList<string> Errors() =>
        MaxUploadBytes is < 1 or > MaxUploadBytesCeiling
            ? [$"{Section}:MaxUploadBytes must be between 1 and {MaxUploadBytesCeiling} (1 GiB): the file is held in memory while it is stored."]
            : [];
}
