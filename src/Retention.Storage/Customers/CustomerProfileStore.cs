using System.Text.Json.Nodes;
using Azure;
using Azure.Data.Tables;
using Retention.Core.Customers;
using Retention.Core.Ports;
using Retention.Core.Runtime;

namespace Retention.Storage.Customers;

public enum ProfileWrite { Applied, Stale }

/// <summary>
/// Customer profiles, one row per customer, written with ETag fencing. A profile event older than the one already
/// applied never overwrites it, so out-of-order webhooks are safe. Profile writes merge only the profile's columns:
/// the transaction aggregates and the pyramid's status and tier on the same row are theirs (<see cref="CustomerRow"/>).
/// </summary>
public sealed class CustomerProfileStore(StorageAccount account, CorrelationIndex lookups, TimeProvider time) : ICustomerProfiles
{
    private const string ProfileRow = CustomerRow.ProfileRowKey;
    private readonly TableClient _table = account.Table("customers");

    /// <summary>The snapshot journeys see: the profile with status, tier and the transaction aggregates.</summary>
    public async Task<JsonObject?> GetAsync(string customerId, CancellationToken cancellationToken)
    {
        var response = await _table.GetEntityIfExistsAsync<TableEntity>(KeyEncoding.Encode(customerId), ProfileRow, CustomerRow.SnapshotColumns, cancellationToken);
        return response.HasValue ? CustomerRow.Snapshot(response.Value!, customerId, time.GetUtcNow()) : null;
    }

    /// <summary>Merges a <c>customer.upserted</c> payload, unless a newer one was applied already.</summary>
    /// <param name="mergeConsent">A consent change touches one channel and is applied whatever its time.</param>
    public async Task<ProfileWrite> UpsertAsync(string customerId, JsonObject changes, DateTimeOffset eventTime, CancellationToken cancellationToken, bool mergeConsent = false)
    {
        for (var attempt = 0; ; attempt++)
        {
            var row = await ReadAsync(customerId, cancellationToken);
            if (row is not null && row.ProfileTime > eventTime && !mergeConsent)
            {
                return ProfileWrite.Stale;
            }
            var profile = row?.Profile ?? CustomerSnapshot.Empty(customerId);
            var oldPhone = CustomerSnapshot.Text(profile, "phone");
            if (mergeConsent && changes["consent"] is JsonObject consentChanges)
            {
                if (profile["consent"] is not JsonObject consent)
                {
                    consent = [];
                    profile["consent"] = consent;
                }
                foreach (var (channel, value) in consentChanges)
                {
                    consent[channel] = value?.DeepClone();
                }
                eventTime = row?.ProfileTime ?? DateTimeOffset.MinValue;
            }
            else
            {
                CustomerSnapshot.Merge(profile, changes);
            }
            profile["customerId"] = customerId;
            if (await TryWriteAsync(customerId, profile, eventTime, row?.ETag, cancellationToken))
            {
                var phone = CustomerSnapshot.Text(profile, "phone");
                if (phone is not null && phone != oldPhone)
                {
                    await lookups.PutAsync(CorrelationIndex.Phone, phone, customerId, cancellationToken);
                }
                return ProfileWrite.Applied;
            }
            if (attempt > 20)
            {
                throw new InvalidOperationException($"Customer {customerId} kept changing concurrently.");
            }
        }
    }

    /// <summary>An update step's attribute and tag changes, merged under the ETag.</summary>
    public async Task ApplyAsync(UpdateCustomer update, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var row = await ReadAsync(update.CustomerId, cancellationToken);
            var profile = row?.Profile ?? CustomerSnapshot.Empty(update.CustomerId);
            var attributes = CustomerSnapshot.Attributes(profile);
            foreach (var (name, value) in update.SetAttributes)
            {
                attributes[name] = value?.DeepClone();
            }
            var tags = CustomerSnapshot.Tags(profile);
            foreach (var tag in update.AddTags.Where(t => !tags.Any(x => x?.GetValue<string>() == t)))
            {
                tags.Add(tag);
            }
            foreach (var existing in tags.Where(x => update.RemoveTags.Contains(x?.GetValue<string>() ?? "")).ToList())
            {
                tags.Remove(existing);
            }
            if (await TryWriteAsync(update.CustomerId, profile, row?.ProfileTime ?? DateTimeOffset.MinValue, row?.ETag, cancellationToken))
            {
                return;
            }
            if (attempt > 20)
            {
                throw new InvalidOperationException($"Customer {update.CustomerId} kept changing concurrently.");
            }
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

    private async Task<bool> TryWriteAsync(string customerId, JsonObject profile, DateTimeOffset profileTime, ETag? etag, CancellationToken cancellationToken)
    {
        var entity = new TableEntity(KeyEncoding.Encode(customerId), ProfileRow)
        {
            ["Profile"] = profile.ToJsonString(),
            ["ProfileTime"] = profileTime < new DateTimeOffset(1601, 1, 2, 0, 0, 0, TimeSpan.Zero) ? new DateTimeOffset(1601, 1, 2, 0, 0, 0, TimeSpan.Zero) : profileTime,
        };
        try
        {
            if (etag is { } match)
            {
                await _table.UpdateEntityAsync(entity, match, TableUpdateMode.Merge, cancellationToken);
            }
            else
            {
                await _table.AddEntityAsync(entity, cancellationToken);
            }
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            return false;
        }
    }
}
