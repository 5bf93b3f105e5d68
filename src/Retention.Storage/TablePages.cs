using Azure.Data.Tables;

namespace Retention.Storage;

/// <summary>One page of a listing and the storage token of the next (null on the last page).</summary>
public sealed record TablePage<T>(IReadOnlyList<T> Items, string? ContinuationToken);

/// <summary>The one way a list reads a table: a single page per call, so no request reads more than one page of any table.</summary>
public static class TablePages
{
    public static async Task<TablePage<T>> ReadPageAsync<T>(this TableClient table, string? filter, int pageSize, string? continuationToken, Func<TableEntity, T> map,
        CancellationToken cancellationToken, IEnumerable<string>? select = null)
    {
        await foreach (var page in table.QueryAsync<TableEntity>(filter, maxPerPage: pageSize, select: select, cancellationToken: cancellationToken).AsPages(continuationToken, pageSize))
        {
            return new TablePage<T>([.. page.Values.Select(map)], page.ContinuationToken);
        }
        return new TablePage<T>([], null);
    }
}
