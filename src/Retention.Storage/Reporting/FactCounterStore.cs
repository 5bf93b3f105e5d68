using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Retention.Core.Ports;
using Retention.Core.Runtime;

namespace Retention.Storage.Reporting;

/// <summary>
/// The report counters (table <c>counters</c>), one partition per journey and day. A partition holds the counter rows
/// (<c>c|shard|fact|version</c>, each a count) and one marker row per subject and fact it counts for
/// (<c>m|subject|version|fact</c>). Recording reads the subject's markers and its shard's counters in one query,
/// compares the markers with its facts and writes the difference in one entity-group transaction: each marker added or deleted together with its counter's ETag-checked change. A
/// retry, a replay or a backfill finds the markers already there and writes nothing; a race loses on the ETag (or on
/// the marker) and reads again. Each counter is split into <see cref="Shards"/> rows by subject, so instances of a
/// journey starting the same day contend for a quarter of the rows; a read adds the shards up.
/// </summary>
public sealed class FactCounterStore(StorageAccount account) : IFactCounters
{
    public const int Shards = 4;

    /// <summary>Changes per transaction: each is a marker and its counter, within the 100 operations of a batch.</summary>
    private const int ChangesPerTransaction = 50;

    private const int MaxAttempts = 40;

    private readonly TableClient _table = account.Table("counters");

    public async Task RecordAsync(CountedFacts facts, CancellationToken cancellationToken)
    {
        var partition = PartitionOf(facts.JourneyId, facts.Day);
        var shard = StableHash.Bucket(facts.Subject) % Shards;
        for (var attempt = 1; ; attempt++)
        {
            var (markers, counters) = await ReadSubjectAsync(partition, facts.Subject, shard, cancellationToken);
            var wanted = facts.Facts.Distinct(StringComparer.Ordinal).Select(f => (facts.Version, Fact: f)).ToHashSet();
            var changes = wanted.Where(w => !markers.ContainsKey(w)).Select(w => (Key: w, Delta: 1, ETag: default(ETag)))
                .Concat(markers.Where(m => !wanted.Contains(m.Key)).Select(m => (m.Key, Delta: -1, m.Value)))
                .Take(ChangesPerTransaction)
                .ToList();
            if (changes.Count == 0)
            {
                return;
            }
            try
            {
                await _table.SubmitTransactionAsync(Actions(partition, facts, shard, changes, counters), cancellationToken);
            }
            catch (TableTransactionFailedException e) when (e.Status is 404 or 409 or 412 && attempt < MaxAttempts)
            {
                // Another writer got there first: read again, after a random pause that grows with the losses, so
                // writers racing on one shard spread out instead of colliding again in lockstep.
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 1 + 8 * Math.Min(attempt, 8))), cancellationToken);
            }
        }
    }

    private static List<TableTransactionAction> Actions(string partition, CountedFacts facts, int shard,
        List<((int Version, string Fact) Key, int Delta, ETag ETag)> changes, Dictionary<string, TableEntity> counters)
    {
        var actions = new List<TableTransactionAction>(changes.Count * 2);
        foreach (var (key, delta, markerETag) in changes)
        {
            var marker = new TableEntity(partition, MarkerKey(facts.Subject, key.Version, key.Fact))
            {
                ["Subject"] = facts.Subject,
                ["Version"] = key.Version,
                ["Fact"] = key.Fact,
            };
            actions.Add(delta > 0
                ? new TableTransactionAction(TableTransactionActionType.Add, marker)
                : new TableTransactionAction(TableTransactionActionType.Delete, marker, markerETag));
            var rowKey = CounterKey(shard, key.Fact, key.Version);
            var existing = counters.GetValueOrDefault(rowKey);
            var counter = new TableEntity(partition, rowKey)
            {
                ["JourneyId"] = facts.JourneyId,
                ["Version"] = key.Version,
                ["Day"] = facts.Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                ["Fact"] = key.Fact,
                ["Count"] = (existing?.GetInt64("Count") ?? 0) + delta,
            };
            actions.Add(existing is null
                ? new TableTransactionAction(TableTransactionActionType.Add, counter)
                : new TableTransactionAction(TableTransactionActionType.UpdateReplace, counter, existing.ETag));
        }
        return actions;
    }

    /// <summary>
    /// In one query: the facts the subject counts for in this partition (each with its marker's ETag), and the counter
    /// rows of its shard (as many as the partition's facts and versions), whose ETags the transaction checks.
    /// </summary>
    private async Task<(Dictionary<(int Version, string Fact), ETag> Markers, Dictionary<string, TableEntity> Counters)> ReadSubjectAsync(
        string partition, string subject, int shard, CancellationToken cancellationToken)
    {
        var markerPrefix = "m|" + KeyEncoding.Encode(subject) + "|";
        var counterPrefix = CounterPrefix(shard, "");
        var markers = new Dictionary<(int, string), ETag>();
        var counters = new Dictionary<string, TableEntity>(StringComparer.Ordinal);
        var query = _table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter(
            $"PartitionKey eq {partition} and ((RowKey ge {markerPrefix} and RowKey lt {Above(markerPrefix)}) or (RowKey ge {counterPrefix} and RowKey lt {Above(counterPrefix)}))"),
            cancellationToken: cancellationToken);
        await foreach (var row in query)
        {
            if (row.RowKey.StartsWith("c|", StringComparison.Ordinal))
            {
                counters[row.RowKey] = row;
            }
            // Another subject's encoding may share the prefix: only this subject's own markers count.
            else if (row.GetString("Subject") == subject && row.GetString("Fact") is { } fact)
            {
                markers[(row.GetInt32("Version") ?? 0, fact)] = row.ETag;
            }
        }
        return (markers, counters);
    }

    public async Task<IReadOnlyList<FactCount>> ReadAsync(string journeyId, string factPrefix, DateOnly? since, CancellationToken cancellationToken)
    {
        var journey = KeyEncoding.Encode(journeyId) + "|";
        var from = since is { } day ? journey + day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : journey;
        // Each shard's rows of the facts are one key range.
        var shards = string.Join(" or ", Enumerable.Range(0, Shards).Select(shard =>
            TableClient.CreateQueryFilter($"(RowKey ge {CounterPrefix(shard, factPrefix)} and RowKey lt {Above(CounterPrefix(shard, factPrefix))})")));
        var filter = TableClient.CreateQueryFilter($"PartitionKey ge {from} and PartitionKey lt {Above(journey)}") + $" and ({shards})";
        var sums = new Dictionary<(int Version, string Day, string Fact), long>();
        await foreach (var row in _table.QueryAsync<TableEntity>(filter, maxPerPage: 1000, select: ["Version", "Day", "Fact", "Count"], cancellationToken: cancellationToken))
        {
            var key = (row.GetInt32("Version") ?? 0, row.GetString("Day") ?? "", row.GetString("Fact") ?? "");
            sums[key] = sums.GetValueOrDefault(key) + (row.GetInt64("Count") ?? 0);
        }
        return [.. sums.Where(s => s.Value != 0).Select(s => new FactCount(journeyId, s.Key.Version,
            DateOnly.ParseExact(s.Key.Day, "yyyy-MM-dd", CultureInfo.InvariantCulture), s.Key.Fact, s.Value))];
    }

    private static string PartitionOf(string journeyId, DateOnly day) =>
        KeyEncoding.Encode(journeyId) + "|" + day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string CounterPrefix(int shard, string factPrefix) =>
        string.Create(CultureInfo.InvariantCulture, $"c|{shard}|{KeyEncoding.Encode(factPrefix)}");

    private static string CounterKey(int shard, string fact, int version) =>
        string.Create(CultureInfo.InvariantCulture, $"{CounterPrefix(shard, fact)}|{version:D6}");

    private static string MarkerKey(string subject, int version, string fact) =>
        string.Create(CultureInfo.InvariantCulture, $"m|{KeyEncoding.Encode(subject)}|{version:D6}|{KeyEncoding.Encode(fact)}");

    /// <summary>The least key above every key starting with <paramref name="prefix"/> (its last character, plus one).</summary>
    private static string Above(string prefix) => prefix[..^1] + (char)(prefix[^1] + 1);
}
