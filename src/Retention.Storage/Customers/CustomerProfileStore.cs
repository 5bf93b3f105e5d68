using System.Text.Json.Nodes;
using Azure;
using Azure.Data.Tables;
using Retention.Core.Conditions;
using Retention.Core.Contact;
using Retention.Core.Customers;
using Retention.Core.Ports;
using Retention.Core.Runtime;

namespace Retention.Storage.Customers;

/// <summary>
/// Customer profiles, one row per customer, written with ETag fencing. A profile event older than the one already
/// applied never overwrites it, so out-of-order webhooks are safe. Profile writes merge only the profile's columns:
/// the transaction aggregates and the pyramid's status and tier on the same row are theirs (<see cref="CustomerRow"/>).
/// </summary>
public sealed class CustomerProfileStore(StorageAccount account, CorrelationIndex lookups, TimeProvider time) : ICustomerProfiles, ICustomerProfileChanges, IAddressHolders
{
    private const string ProfileRow = CustomerRow.ProfileRowKey;
    private readonly TableClient _table = account.Table("customers");

    /// <summary>The snapshot journeys see: the profile with status, tier and the transaction aggregates.</summary>
    public async Task<JsonObject?> GetAsync(string customerId, CancellationToken cancellationToken)
    {
        var response = await _table.GetEntityIfExistsAsync<TableEntity>(KeyEncoding.Encode(customerId), ProfileRow, CustomerRow.SnapshotColumns, cancellationToken);
        return response.HasValue ? CustomerRow.Snapshot(response.Value!, customerId, time.GetUtcNow()) : null;
    }

    /// <summary>
    /// An event's change to the profile, under the ETag. A change ordered by time is left out when a newer one was applied
    /// already; a status or tier goes to the column the pyramid owns, where snapshots read it.
    /// </summary>
    public async Task<ProfileWrite> ApplyAsync(string customerId, ProfileChange change, DateTimeOffset eventTime, CancellationToken cancellationToken)
    {
        if (change is SegmentChange segment)
        {
            var column = segment.Field == "status" ? CustomerRow.Status : CustomerRow.Tier;
            await _table.UpsertEntityAsync(new TableEntity(KeyEncoding.Encode(customerId), ProfileRow) { [column] = segment.Value }, TableUpdateMode.Merge, cancellationToken);
            return ProfileWrite.Applied;
        }
        for (var attempt = 0; ; attempt++)
        {
            var row = await ReadAsync(customerId, cancellationToken);
            if (row is not null && row.ProfileTime > eventTime && change.IsOrderedByTime)
            {
                return ProfileWrite.Stale;
            }
            var profile = row?.Profile ?? CustomerSnapshot.Empty(customerId);
            var oldPhone = CustomerSnapshot.Text(profile, "phone");
            change.ApplyTo(profile);
            profile["customerId"] = customerId;
            var profileTime = change.IsOrderedByTime ? eventTime : row?.ProfileTime ?? DateTimeOffset.MinValue;
            if (await TryWriteAsync(customerId, profile, profileTime, row?.ETag, cancellationToken))
            {
                await IndexPhoneAsync(customerId, profile, oldPhone, cancellationToken);
                return ProfileWrite.Applied;
            }
            if (attempt > 20)
            {
                throw new InvalidOperationException($"Customer {customerId} kept changing concurrently.");
            }
        }
    }

    /// <summary>
    /// An update step's changes, merged under the ETag. Additions (a voucher balance) are not idempotent by nature, so
    /// the profile write and a marker row for the update key commit in one transaction: a retried update finds its
    /// marker and changes nothing.
    /// </summary>
    public async Task ApplyAsync(UpdateCustomer update, CancellationToken cancellationToken)
    {
        var additions = update.AddToAttributes ?? new Dictionary<string, decimal>();
        for (var attempt = 0; ; attempt++)
        {
            var row = await ReadAsync(update.CustomerId, cancellationToken);
            var profile = row?.Profile ?? CustomerSnapshot.Empty(update.CustomerId);
            update.ApplyTo(profile);
            var written = additions.Count > 0 && update.UpdateKey is { } key
                ? await TryWriteOnceAsync(update.CustomerId, key, profile, row, cancellationToken)
                : await TryWriteAsync(update.CustomerId, profile, row?.ProfileTime ?? DateTimeOffset.MinValue, row?.ETag, cancellationToken);
            if (written)
            {
                await IndexPhoneAsync(update.CustomerId, profile, phoneBefore: null, cancellationToken); // update steps change attributes and tags, never the phone
                return;
            }
            if (attempt > 20)
            {
                throw new InvalidOperationException($"Customer {update.CustomerId} kept changing concurrently.");
            }
        }
    }

    /// <summary>
    /// Indexes the phone the profile now has after every profile write, not only when it changed: a retry after a crash
    /// between the profile write and this one finds the phone unchanged, and must still leave the customer indexed. The
    /// phone the write replaced is forgotten; an entry a crash left behind is caught by <see cref="HoldersOfPhoneAsync"/>.
    /// </summary>
    private async Task IndexPhoneAsync(string customerId, JsonObject profile, string? phoneBefore, CancellationToken cancellationToken)
    {
        var phone = ContactAddress.Phone(CustomerSnapshot.Text(profile, "phone"));
        if (phone is not null)
        {
            await lookups.IndexAddressAsync(phone, customerId, cancellationToken);
        }
        if (ContactAddress.Phone(phoneBefore) is { } replaced && replaced != phone)
        {
            await lookups.UnindexAddressAsync(replaced, customerId, cancellationToken);
        }
    }

    /// <summary>
    /// The customers whose profile has the phone number (normalised) now, with their last question asked there: the
    /// address index, each entry checked against the profile.
    /// </summary>
    public async Task<IReadOnlyList<AddressHolder>> HoldersOfPhoneAsync(string phone, CancellationToken cancellationToken)
    {
        var indexed = await lookups.HoldersAsync(phone, cancellationToken);
        var current = await Task.WhenAll(indexed.Select(async holder =>
        {
            var row = await _table.GetEntityIfExistsAsync<TableEntity>(KeyEncoding.Encode(holder.CustomerId), ProfileRow, ["Profile"], cancellationToken);
            var profile = row.HasValue ? JsonNode.Parse(row.Value!.GetString("Profile") ?? "{}") as JsonObject : null;
            return profile is not null && ContactAddress.Phone(CustomerSnapshot.Text(profile, "phone")) == phone;
        }));
        return [.. indexed.Where((_, i) => current[i])];
    }

    /// <summary>True when written now or already applied under <paramref name="updateKey"/>; false on a concurrent change (retry).</summary>
    private async Task<bool> TryWriteOnceAsync(string customerId, string updateKey, JsonObject profile, ProfileRowData? row, CancellationToken cancellationToken)
    {
        var partition = KeyEncoding.Encode(customerId);
        var marker = new TableEntity(partition, "applied-" + KeyEncoding.Encode(updateKey));
        var entity = ProfileEntity(customerId, profile, row?.ProfileTime ?? DateTimeOffset.MinValue);
        TableTransactionAction[] actions = row is null
            ? [new(TableTransactionActionType.Add, marker), new(TableTransactionActionType.Add, entity)]
            : [new(TableTransactionActionType.Add, marker), new(TableTransactionActionType.UpdateMerge, entity, row.ETag)];
        try
        {
            await _table.SubmitTransactionAsync(actions, cancellationToken);
            return true;
        }
        catch (TableTransactionFailedException e) when (e.FailedTransactionActionIndex == 0 && e.Status == 409)
        {
            return true;
        }
        catch (TableTransactionFailedException e) when (e.Status is 409 or 412)
        {
            return false;
        }
    }

    private sealed record ProfileRowData(JsonObject Profile, DateTimeOffset ProfileTime, ETag ETag);

    private async Task<ProfileRowData?> ReadAsync(string customerId, CancellationToken cancellationToken)
    {
        var response = await _table.GetEntityIfExistsAsync<TableEntity>(KeyEncoding.Encode(customerId), ProfileRow, cancellationToken: cancellationToken);
        if (!response.HasValue)
        {
            return null;
        }
        var entity = response.Value!;
        var profile = JsonNode.Parse(entity.GetString("Profile") ?? "{}") as JsonObject ?? CustomerSnapshot.Empty(customerId);
        return new ProfileRowData(profile, entity.GetDateTimeOffset("ProfileTime") ?? DateTimeOffset.MinValue, entity.ETag);
    }

    /// <summary>Merges the profile's own columns, so the aggregate and pyramid columns beside them stay as they are.</summary>
    private Task<bool> TryWriteAsync(string customerId, JsonObject profile, DateTimeOffset profileTime, ETag? etag, CancellationToken cancellationToken) =>
        _table.TryWriteAsync(ProfileEntity(customerId, profile, profileTime), etag, cancellationToken, TableUpdateMode.Merge);

    private static TableEntity ProfileEntity(string customerId, JsonObject profile, DateTimeOffset profileTime) =>
        new(KeyEncoding.Encode(customerId), ProfileRow)
        {
            ["Profile"] = profile.ToJsonString(),
            ["ProfileTime"] = profileTime < new DateTimeOffset(1601, 1, 2, 0, 0, 0, TimeSpan.Zero) ? new DateTimeOffset(1601, 1, 2, 0, 0, 0, TimeSpan.Zero) : profileTime,
        };
}
