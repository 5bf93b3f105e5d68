using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.Unicode;
using Microsoft.Extensions.Logging;
using Retention.Application.Ingest;
using Retention.Core.Definitions;
using Retention.Core.Events;
using Retention.Core.Ports;

namespace Retention.Application.Customers;

public abstract record CustomerImportSubmission;

/// <param name="Created">False when the same file was imported before: the existing import, nothing changed.</param>
public sealed record CustomerImportAccepted(CustomerImport Import, bool Created) : CustomerImportSubmission;

public sealed record CustomerImportRefused(string Detail, IReadOnlyList<DefinitionError> Errors) : CustomerImportSubmission;

/// <summary>
/// Bulk import of customers (a bank onboarding its customer base): the file is stored under its content hash, then
/// applied a chunk at a time. Each row becomes a <c>customer.upserted</c> event (id <c>import:{importId}:{line}</c>,
/// source <see cref="Source"/>) validated by the webhook's own reader, and each chunk's valid rows go into the ingest
/// inbox in one write, so the drain applies them as it applies any webhook. The cursor advances after the chunk's
/// write: a chunk written again after a crash is deduplicated by the ingest ledger's (source, id) check.
/// </summary>
public sealed class CustomerImports(ICustomerImportStore store, EventIngestor ingestor, TimeProvider time, ILogger<CustomerImports> logger)
{
    public const string Source = "import";
    public const int ChunkLines = 100;

    /// <summary>The row errors an import keeps to show; the count of rejected rows goes on past it.</summary>
    public const int MaxErrors = 100;

    /// <summary>Stores a new file as an import, or finds the import of the same file; nothing is applied yet.</summary>
    public async Task<CustomerImportSubmission> SubmitAsync(byte[] content, CustomerImportFormat format, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (!Utf8.IsValid(content))
        {
            return new CustomerImportRefused("The file is not valid UTF-8.", [new DefinitionError("", "the file is not valid UTF-8")]);
        }
        var id = Convert.ToHexStringLower(SHA256.HashData(content))[..32];
        if (await store.GetAsync(id, cancellationToken) is { } existing)
        {
            return new CustomerImportAccepted(existing, Created: false);
        }
        var lines = CustomerImportFile.Lines(Encoding.UTF8.GetString(content));
        string? header = null;
        if (format == CustomerImportFormat.Csv)
        {
            header = lines.Count > 0 ? lines[0] : "";
            if (CustomerImportFile.HeaderErrors(header) is { Count: > 0 } headerErrors)
            {
                return new CustomerImportRefused("The CSV header must name customer.upserted fields, customerId among them.", headerErrors);
            }
        }
        var chunks = lines.Chunk(ChunkLines).Select(c => (IReadOnlyList<string>)c).ToList();
        var now = time.GetUtcNow();
        var import = new CustomerImport(id, format, header, lines.Count, chunks.Count, ChunkLines, CustomerImportStatus.Running,
            0, 0, 0, 0, [], now, now);
        var created = await store.CreateAsync(import, chunks, cancellationToken);
        var stored = await store.GetAsync(id, cancellationToken); // with its version
        logger.CustomerImportStored(id, lines.Count, created);
        return new CustomerImportAccepted(stored ?? import, created);
    }

    public Task<CustomerImport?> GetAsync(string importId, CancellationToken cancellationToken) => store.GetAsync(importId, cancellationToken);

    /// <summary>Every import, newest first, a page at a time: the workspace's list.</summary>
    public Task<CustomerImportPage> ListAsync(int pageSize, string? continuationToken, CancellationToken cancellationToken) =>
        store.ListAsync(pageSize, continuationToken, cancellationToken);

    /// <summary>The imports a restart continues.</summary>
    public Task<IReadOnlyList<CustomerImport>> UnfinishedAsync(CancellationToken cancellationToken) => store.ListUnfinishedAsync(cancellationToken);

    /// <summary>Applies the import's remaining chunks from its cursor; stops quietly when another runner saves it first.</summary>
    public async Task RunAsync(string importId, CancellationToken cancellationToken)
    {
        try
        {
            while (await NextChunkAsync(importId, cancellationToken) is { Status: CustomerImportStatus.Running })
            {
            }
        }
        catch (CustomerImportConflictException)
        {
            logger.CustomerImportTakenOver(importId);
        }
    }

    /// <summary>
    /// Applies the chunk at the import's cursor: its valid rows into the ingest inbox in one write, then the cursor and
    /// counts. Returns the import as saved, or null when there is no such import.
    /// </summary>
    public async Task<CustomerImport?> NextChunkAsync(string importId, CancellationToken cancellationToken)
    {
        var import = await store.GetAsync(importId, cancellationToken);
        if (import is not { Status: CustomerImportStatus.Running })
        {
            return import; // none, or completed
        }
        if (import.ChunksDone >= import.Chunks)
        {
            return await store.SaveAsync(import with { Status = CustomerImportStatus.Completed, UpdatedAt = time.GetUtcNow() }, cancellationToken);
        }
        var lines = await store.ReadChunkAsync(importId, import.ChunksDone, cancellationToken);
        var firstLine = import.ChunksDone * import.ChunkLines + 1;
        var errors = new List<DefinitionError>();
        var events = new List<IncomingEvent>();
        for (var i = 0; i < lines.Count; i++)
        {
            var line = firstLine + i;
            if ((import.Format == CustomerImportFormat.Csv && line == 1) || string.IsNullOrWhiteSpace(lines[i]))
            {
                continue; // the header, or a blank line
            }
            if (Read(import, line, lines[i], errors) is { } incoming)
            {
                events.Add(incoming);
            }
        }
        var plan = await ingestor.PrepareAsync(events, "/lines/{0}", cancellationToken);
        if (plan.Errors.Count > 0)
        {
            throw new InvalidOperationException("A customer.upserted event names its customer; preparing it cannot fail.");
        }
        await ingestor.AcceptAsync(plan, null, cancellationToken);
        var done = import.ChunksDone + 1;
        var saved = await store.SaveAsync(import with
        {
            ChunksDone = done,
            LinesRead = Math.Min(import.Lines, done * import.ChunkLines),
            Accepted = import.Accepted + events.Count,
            Rejected = import.Rejected + errors.Select(e => LineOf(e.Path)).Distinct().Count(),
            Errors = [.. import.Errors, .. errors.Take(Math.Max(0, MaxErrors - import.Errors.Count))],
            Status = done >= import.Chunks ? CustomerImportStatus.Completed : CustomerImportStatus.Running,
            UpdatedAt = time.GetUtcNow(),
        }, cancellationToken);
        if (saved.Status == CustomerImportStatus.Completed)
        {
            logger.CustomerImportCompleted(importId, saved.Accepted, saved.Rejected);
        }
        return saved;
    }

    /// <summary>One row as a <c>customer.upserted</c> event, checked by the webhook's reader; its faults at <c>/lines/{line}/{field}</c>.</summary>
    private static IncomingEvent? Read(CustomerImport import, int line, string text, List<DefinitionError> errors)
    {
        var path = "/lines/" + line.ToString(CultureInfo.InvariantCulture);
        if (CustomerImportFile.Read(import.Format, import.Header, text, path, errors) is not { } data)
        {
            return null;
        }
        var found = new List<DefinitionError>();
        var incoming = CloudEventReader.Read(new JsonObject
        {
            ["specversion"] = "1.0",
            ["id"] = $"import:{import.Id}:{line.ToString(CultureInfo.InvariantCulture)}",
            ["source"] = Source,
            ["type"] = KnownEventTypes.CustomerUpserted,
            ["data"] = data,
        }, path, found);
        // The envelope is ours; a row's faults are in its data, which is the row itself.
        errors.AddRange(found.Select(e => e with { Path = e.Path.Replace(path + "/data", path, StringComparison.Ordinal) }));
        return found.Count == 0 ? incoming : null;
    }

    private static string LineOf(string path) => string.Join('/', path.Split('/').Take(3));
}
