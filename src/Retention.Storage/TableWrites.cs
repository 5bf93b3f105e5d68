using Azure;
using Azure.Data.Tables;

namespace Retention.Storage;

/// <summary>The one optimistic write every ETag-guarded store uses.</summary>
public static class TableWrites
{
    /// <summary>
    /// Replaces the entity (or merges its columns into it, with <paramref name="mode"/> Merge) if it still has
    /// <paramref name="etag"/>, or creates it when <paramref name="etag"/> is null. Returns false when another writer got
    /// there first (412, or 409 on create): the caller reads again and retries.
    /// </summary>
    public static async Task<bool> TryWriteAsync(this TableClient table, ITableEntity entity, ETag? etag, CancellationToken cancellationToken,
        TableUpdateMode mode = TableUpdateMode.Replace)
    {
        try
        {
            if (etag is { } match)
            {
                await table.UpdateEntityAsync(entity, match, mode, cancellationToken);
            }
            else
            {
                await table.AddEntityAsync(entity, cancellationToken);
            }
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            return false;
        }
    }
}
