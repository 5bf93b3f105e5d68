using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Retention.Core.Ports;
using Retention.Core.Runtime;

namespace Retention.Storage.Reporting;

/// <summary>
/// The report counters (table <c>counters</c>), one partition per journey and day. A partition holds the counter rows
/// (<c>c|fact|shard|version</c>, each a count: a fact's shards side by side, so one key range reads a fact prefix) and
/// one row per subject (<c>s|subject</c>) listing the facts it counts for. Every read is a point read and every write
/// one entity-group transaction, whatever the partition holds: recording reads the subjects' rows, compares them with
/// their facts, reads the counters that change and writes the difference, each subject's row with its counters'
/// ETag-checked changes. A retry, a replay or a backfill finds the subject's row already listing its facts and writes
/// nothing; a race loses on an ETag (or on the subject's row) and reads again.
/// <para>
/// Records of one partition made at the same time are written together (up to <see cref="MaxSubjectsPerWrite"/>
/// subjects in one transaction, each counter changed once by their summed difference), by at most <see cref="Shards"/>
/// writers per partition in this process, each on a shard of its own: a burst of instances starting the same day
/// costs a point read per instance and a transaction per group, not a transaction per instance contending for the
/// same rows. A counter's shards add up to its count (a shard alone may go below zero); a read adds them up.
/// </para>
/// <para>
/// The rows this process wrote last are kept with the ETags the transaction answered with, so the next record of the
/// same subject, or the next change of the same counter, reads nothing: a journey's later records cost their
/// transaction alone. A row another writer changed since fails the transaction on its ETag, which forgets the rows
/// it wrote and reads them again.
/// </para>
/// </summary>
public sealed class FactCounterStore(StorageAccount account) : IFactCounters
{
    public const int Shards = 4;

    /// <summary>The operations of one entity-group transaction.</summary>
    private const int MaxOperations = 100;

    /// <summary>Subjects written in one transaction: each is one operation, and the counters they change share the rest.</summary>
    private const int MaxSubjectsPerWrite = 50;

    private const int MaxAttempts = 40;

    /// <summary>Characters per column of a subject's fact list (a string column holds 32K characters).</summary>
    private const int FactColumnChars = 30_000;

    /// <summary>Rows of each kind kept as last written (a few hundred bytes each): the subjects and counters in use.</summary>
    private const int RowsKept = 16_384;

    private readonly TableClient _table = account.Table("counters");
    private readonly Lock _gate = new();
    private readonly Dictionary<string, PartitionWrites> _partitions = new(StringComparer.Ordinal);

    /// <summary>The partitions this process has listed in their journey's day list (see <see cref="ListDayAsync"/>).</summary>
    private readonly ConcurrentDictionary<string, Task> _listedDays = new(StringComparer.Ordinal);

    /// <summary>Subject and counter rows as this process last wrote or read them, by partition and row key; null once doubted.</summary>
    private readonly BoundedCache<(string Partition, string RowKey), StoredSubject?> _subjects = new(RowsKept);

    private readonly BoundedCache<(string Partition, string RowKey), StoredCounter?> _counters = new(RowsKept);

    /// <summary>
    /// The shard this process writes when it writes a partition alone, chosen at random so processes spread out: the
    /// counter rows it keeps are the ones it writes next.
    /// </summary>
    private readonly int _homeShard = Random.Shared.Next(Shards);

    /// <summary>How many of a journey's day partitions a read queries at once.</summary>
    private const int ReadsInFlight = 16;

    public Task RecordAsync(CountedFacts facts, CancellationToken cancellationToken) => Enqueue(new PendingRecord(facts, null, cancellationToken));

    public Task<bool> RecordIfAsync(CountedFacts facts, IReadOnlyList<string> had, CancellationToken cancellationToken) =>
        Enqueue(new PendingRecord(facts, Keys(facts.Version, had), cancellationToken));

    private Task<bool> Enqueue(PendingRecord record)
    {
        var facts = record.Facts;
        PartitionWrites writes;
        int? shard;
        lock (_gate)
        {
            var partition = PartitionOf(facts.JourneyId, facts.Day);
            if (!_partitions.TryGetValue(partition, out writes!))
            {
                _partitions[partition] = writes = new PartitionWrites(partition);
            }
            writes.Waiting.Add(record);
            shard = writes.TakeShard(_homeShard);
        }
        if (shard is { } free)
        {
            _ = Task.Run(() => WriteAsync(writes, free), CancellationToken.None);
        }
        return record.Task;
    }

    /// <summary>One writer of a partition: writes groups of waiting records on its shard until none is left for it.</summary>
    private async Task WriteAsync(PartitionWrites writes, int shard)
    {
        while (true)
        {
            List<PendingRecord> group;
            lock (_gate)
            {
                group = writes.TakeGroup(MaxSubjectsPerWrite);
                if (group.Count == 0)
                {
                    writes.ReturnShard(shard);
                    if (writes.IsIdle)
                    {
                        _partitions.Remove(writes.Partition);
                    }
                    return;
                }
            }
            try
            {
                await WriteGroupAsync(writes.Partition, shard, group);
            }
            catch (Exception e)
            {
                foreach (var record in group)
                {
                    record.Fail(e);
                }
            }
            finally
            {
                lock (_gate)
                {
                    writes.Release(group);
                }
            }
        }
    }

    /// <summary>
    /// Writes each record of the group (distinct subjects) and completes it: a group at a time while they fit one
    /// transaction, a subject whose changes do not fit in several; after a lost race, all again from a fresh read.
    /// A transaction refused for another reason is tried again a subject at a time, so one bad record fails alone.
    /// </summary>
    private async Task WriteGroupAsync(string partition, int shard, List<PendingRecord> group)
    {
        await ListDayAsync(partition);
        var remaining = new List<PendingRecord>(group);
        var alone = false;
        var attempt = 1;
        while (Left(remaining) > 0)
        {
            var subjects = await Task.WhenAll(remaining.Select(r => ReadSubjectAsync(partition, r.Facts.Subject)));
            var plan = Plan(remaining, subjects, alone ? 1 : MaxSubjectsPerWrite);
            foreach (var unchanged in plan.Unchanged)
            {
                unchanged.Complete();
            }
            foreach (var refused in plan.Refused)
            {
                refused.Complete(recorded: false);
            }
            if (plan.Writes.Count == 0)
            {
                continue;
            }
            var counters = await Task.WhenAll(plan.Deltas.Keys.Select(k => ReadCounterAsync(partition, CounterKey(shard, k.Fact, k.Version))));
            var changes = Changes(partition, shard, plan, counters);
            try
            {
                var answers = await _table.SubmitTransactionAsync(changes.Select(c => c.Action), CancellationToken.None);
                foreach (var (change, answer) in changes.Zip(answers.Value))
                {
                    change.Remember(answer.Headers.ETag);
                }
            }
            catch (TableTransactionFailedException e) when (e.Status is 404 or 409 or 412 && attempt < MaxAttempts)
            {
                // Another writer got there first: read again, after a random pause that grows with the losses, so
                // writers racing on one shard spread out instead of colliding again in lockstep.
                foreach (var change in changes)
                {
                    change.Remember(null);
                }
                attempt++;
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 1 + (8 * Math.Min(attempt, 8)))), CancellationToken.None);
                continue;
            }
            catch (RequestFailedException) when (plan.Writes.Count > 1)
            {
                alone = true; // refused for what one of them holds: each again on its own
                continue;
            }
            catch (RequestFailedException e)
            {
                plan.Writes[0].Record.Fail(e);
                continue;
            }
            foreach (var write in plan.Writes.Where(w => w.Complete))
            {
                write.Record.Complete();
            }
        }
    }

    /// <summary>The records not completed yet (written, or cancelled by their callers), after dropping the others.</summary>
    private static int Left(List<PendingRecord> records)
    {
        records.RemoveAll(r => r.Task.IsCompleted);
        return records.Count;
    }

    /// <summary>What one transaction writes: subjects whose changes fit, in order, and the summed change of each counter.</summary>
    /// <param name="Refused">Conditional records whose subject no longer counts for what they expected.</param>
    private sealed record WritePlan(List<PendingRecord> Unchanged, List<PendingRecord> Refused, List<SubjectWrite> Writes, Dictionary<(int Version, string Fact), long> Deltas);

    /// <param name="Facts">What the subject's row lists after the transaction; <paramref name="Complete"/> when that is all it was recorded with.</param>
    private sealed record SubjectWrite(PendingRecord Record, StoredSubject? Stored, HashSet<(int Version, string Fact)> Facts, bool Complete);

    private static WritePlan Plan(List<PendingRecord> records, StoredSubject?[] stored, int maxSubjects)
    {
        var plan = new WritePlan([], [], [], []);
        for (var i = 0; i < records.Count; i++)
        {
            var record = records[i];
            var had = stored[i]?.Facts ?? [];
            if (record.Had is { } expected && !expected.SetEquals(had))
            {
                plan.Refused.Add(record); // its condition no longer holds: it records nothing
                continue;
            }
            var wanted = Keys(record.Facts.Version, record.Facts.Facts);
            var changes = wanted.Where(w => !had.Contains(w)).Select(w => (Key: w, Delta: 1))
                .Concat(had.Where(h => !wanted.Contains(h)).Select(h => (Key: h, Delta: -1)))
                .ToList();
            if (changes.Count == 0)
            {
                plan.Unchanged.Add(record);
                continue;
            }
            if (plan.Writes.Count >= maxSubjects)
            {
                continue;
            }
            // Operations: one per subject row, one per counter the transaction changes (shared by its subjects).
            var room = MaxOperations - plan.Writes.Count - 1 - plan.Deltas.Count;
            var fitting = changes.TakeWhile(c => plan.Deltas.ContainsKey(c.Key) || room-- > 0).ToList();
            if (fitting.Count < changes.Count && plan.Writes.Count > 0)
            {
                continue; // the next transaction, on its own
            }
            var facts = new HashSet<(int Version, string Fact)>(had);
            foreach (var (key, delta) in fitting)
            {
                plan.Deltas[key] = plan.Deltas.GetValueOrDefault(key) + delta;
                _ = delta > 0 ? facts.Add(key) : facts.Remove(key);
            }
            plan.Writes.Add(new SubjectWrite(record, stored[i], facts, fitting.Count == changes.Count));
        }
        return plan;
    }

    /// <summary>A transaction's action, and what to keep of its row once it is answered (with the row's new ETag; null: forget the row).</summary>
    private sealed record Change(TableTransactionAction Action, Action<ETag?> Remember);

    private List<Change> Changes(string partition, int shard, WritePlan plan, StoredCounter?[] counters)
    {
        var changes = new List<Change>(plan.Writes.Count + plan.Deltas.Count);
        foreach (var write in plan.Writes)
        {
            var subject = SubjectRow(partition, write.Record.Facts.Subject, write.Facts);
            var action = write.Stored is not { } stored ? new TableTransactionAction(TableTransactionActionType.Add, subject)
                : write.Facts.Count == 0 ? new TableTransactionAction(TableTransactionActionType.Delete, subject, stored.ETag)
                : new TableTransactionAction(TableTransactionActionType.UpdateReplace, subject, stored.ETag);
            var facts = write.Facts;
            changes.Add(new Change(action, etag => _subjects.Set((partition, subject.RowKey),
                etag is { } written && facts.Count > 0 ? new StoredSubject(facts, written) : null)));
        }
        var journey = plan.Writes[0].Record.Facts;
        foreach (var ((key, delta), existing) in plan.Deltas.Zip(counters))
        {
            if (delta == 0)
            {
                continue; // one subject's loss is another's gain: the counter stays as it is
            }
            var count = (existing?.Count ?? 0) + delta;
            var counter = new TableEntity(partition, CounterKey(shard, key.Fact, key.Version))
            {
                ["JourneyId"] = journey.JourneyId,
                ["Version"] = key.Version,
                ["Day"] = journey.Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                ["Fact"] = key.Fact,
                ["Count"] = count,
            };
            var action = existing is null
                ? new TableTransactionAction(TableTransactionActionType.Add, counter)
                : new TableTransactionAction(TableTransactionActionType.UpdateReplace, counter, existing.ETag);
            changes.Add(new Change(action, etag => _counters.Set((partition, counter.RowKey), etag is { } written ? new StoredCounter(count, written) : null)));
        }
        return changes;
    }

    /// <summary>The facts a subject counts for now, and its row's ETag.</summary>
    private sealed record StoredSubject(HashSet<(int Version, string Fact)> Facts, ETag ETag);

    /// <summary>A counter row's count and ETag.</summary>
    private sealed record StoredCounter(long Count, ETag ETag);

    /// <summary>The subject's row as last written here, else as read now (null when it has none).</summary>
    private async Task<StoredSubject?> ReadSubjectAsync(string partition, string subject)
    {
        var key = (Partition: partition, RowKey: SubjectKey(subject));
        if (_subjects.TryGetValue(key, out var kept) && kept is not null)
        {
            return kept;
        }
        var row = await _table.GetEntityIfExistsAsync<TableEntity>(partition, key.RowKey, cancellationToken: CancellationToken.None);
        if (!row.HasValue || row.Value is not { } entity)
        {
            return null;
        }
        var json = string.Concat(Enumerable.Range(0, int.MaxValue).Select(FactColumn).TakeWhile(entity.ContainsKey).Select(entity.GetString));
        var facts = JsonSerializer.Deserialize<List<string>>(json) ?? [];
        return _subjects.Set(key, new StoredSubject([.. facts.Select(ReadFact)], entity.ETag));
    }

    /// <summary>The counter row as last written here, else as read now (null when it has none).</summary>
    private async Task<StoredCounter?> ReadCounterAsync(string partition, string rowKey)
    {
        if (_counters.TryGetValue((partition, rowKey), out var kept) && kept is not null)
        {
            return kept;
        }
        var row = await _table.GetEntityIfExistsAsync<TableEntity>(partition, rowKey, cancellationToken: CancellationToken.None);
        return row.HasValue && row.Value is { } entity ? _counters.Set((partition, rowKey), new StoredCounter(entity.GetInt64("Count") ?? 0, entity.ETag)) : null;
    }

    /// <summary>The subject's row: its facts as a JSON list of <c>version|fact</c>, cut into as many columns as it needs.</summary>
    private static TableEntity SubjectRow(string partition, string subject, HashSet<(int Version, string Fact)> facts)
    {
        var row = new TableEntity(partition, SubjectKey(subject)) { ["Subject"] = subject };
        var json = JsonSerializer.Serialize(facts.Select(f => string.Create(CultureInfo.InvariantCulture, $"{f.Version}|{f.Fact}")).Order(StringComparer.Ordinal).ToList());
        for (var (column, at) = (0, 0); at < json.Length || column == 0; column++, at += FactColumnChars)
        {
            row[FactColumn(column)] = json.Substring(at, Math.Min(FactColumnChars, json.Length - at));
        }
        return row;
    }

    private static HashSet<(int Version, string Fact)> Keys(int version, IEnumerable<string> facts) => [.. facts.Select(f => (version, f))];

    private static (int Version, string Fact) ReadFact(string stored)
    {
        var cut = stored.IndexOf('|', StringComparison.Ordinal);
        return (int.Parse(stored.AsSpan(0, cut), NumberStyles.None, CultureInfo.InvariantCulture), stored[(cut + 1)..]);
    }

    private static string FactColumn(int column) => column == 0 ? "Facts" : string.Create(CultureInfo.InvariantCulture, $"Facts{column}");

    /// <summary>
    /// Lists a journey-day partition in its journey's day list (partition <c>journey|days</c>, a row per day) before its
    /// first counts are written, once per process: a read then queries exactly the partitions that hold counts, each by
    /// its key, and never scans the subjects' rows of other days (a query over a range of partitions reads every row in
    /// it on Azure, and every row of the table on the emulator).
    /// </summary>
    private async Task ListDayAsync(string partition)
    {
        var listing = _listedDays.GetOrAdd(partition, p =>
        {
            var cut = p.LastIndexOf('|');
            return _table.UpsertEntityAsync(new TableEntity(DaysPartition(p[..cut]), p[(cut + 1)..]), TableUpdateMode.Merge, CancellationToken.None);
        });
        try
        {
            await listing;
        }
        catch
        {
            _listedDays.TryRemove(new KeyValuePair<string, Task>(partition, listing));
            throw;
        }
    }

    public async Task<IReadOnlyList<FactCount>> ReadAsync(string journeyId, IReadOnlyCollection<string> factPrefixes, DateOnly? since, CancellationToken cancellationToken)
    {
        if (factPrefixes.Count is 0 or > IFactCounters.MaxFactPrefixes)
        {
            throw new ArgumentOutOfRangeException(nameof(factPrefixes), factPrefixes.Count, $"A read takes 1 to {IFactCounters.MaxFactPrefixes} fact prefixes.");
        }
        var journey = KeyEncoding.Encode(journeyId);
        var listed = TableClient.CreateQueryFilter($"PartitionKey eq {DaysPartition(journey)}")
            + (since is { } first ? " and " + TableClient.CreateQueryFilter($"RowKey ge {first.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}") : "");
        var days = new List<string>();
        await foreach (var row in _table.QueryAsync<TableEntity>(listed, maxPerPage: 1000, select: ["RowKey"], cancellationToken: cancellationToken))
        {
            days.Add(row.RowKey);
        }
        // The counter rows of the facts starting with a prefix, every shard of each, are one key range of the day's partition.
        var ranges = string.Join(" or ", factPrefixes.Distinct(StringComparer.Ordinal).Select(prefix =>
            TableClient.CreateQueryFilter($"(RowKey ge {CounterPrefix(prefix)} and RowKey lt {Above(CounterPrefix(prefix))})")));
        var sums = new Dictionary<(int Version, string Day, string Fact), long>();
        await Parallel.ForEachAsync(days, new ParallelOptions { MaxDegreeOfParallelism = ReadsInFlight, CancellationToken = cancellationToken }, async (day, ct) =>
        {
            var filter = TableClient.CreateQueryFilter($"PartitionKey eq {PartitionOf(journey, day)}") + $" and ({ranges})";
            await foreach (var row in _table.QueryAsync<TableEntity>(filter, maxPerPage: 1000, select: ["Version", "Day", "Fact", "Count"], cancellationToken: ct))
            {
                var key = (row.GetInt32("Version") ?? 0, row.GetString("Day") ?? "", row.GetString("Fact") ?? "");
                lock (sums)
                {
                    sums[key] = sums.GetValueOrDefault(key) + (row.GetInt64("Count") ?? 0);
                }
            }
        });
        return [.. sums.Where(s => s.Value != 0).Select(s => new FactCount(journeyId, s.Key.Version,
            DateOnly.ParseExact(s.Key.Day, "yyyy-MM-dd", CultureInfo.InvariantCulture), s.Key.Fact, s.Value))];
    }

    private static string DaysPartition(string encodedJourney) => encodedJourney + "|days";

    private static string PartitionOf(string journeyId, DateOnly day) =>
        PartitionOf(KeyEncoding.Encode(journeyId), day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));

    /// <summary>A day's partition from the encoded journey and the day as its day list names it (<c>yyyy-MM-dd</c>).</summary>
    private static string PartitionOf(string encodedJourney, string day) => encodedJourney + "|" + day;

    private static string CounterPrefix(string factPrefix) => "c|" + KeyEncoding.Encode(factPrefix);

    private static string CounterKey(int shard, string fact, int version) =>
        string.Create(CultureInfo.InvariantCulture, $"{CounterPrefix(fact)}|{shard}|{version:D6}");

    private static string SubjectKey(string subject) => "s|" + KeyEncoding.Encode(subject);

    /// <summary>The least key above every key starting with <paramref name="prefix"/> (its last character, plus one).</summary>
    private static string Above(string prefix) => prefix[..^1] + (char)(prefix[^1] + 1);

    /// <summary>A record waiting to be written, completed once its subject's row lists exactly its facts.</summary>
    private sealed class PendingRecord
    {
        private readonly TaskCompletionSource<bool> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <param name="had">What the subject must count for for this record to be written (<see cref="RecordIfAsync"/>); null: whatever it counts for.</param>
        public PendingRecord(CountedFacts facts, HashSet<(int Version, string Fact)>? had, CancellationToken cancellationToken)
        {
            Facts = facts;
            Had = had;
            if (cancellationToken.CanBeCanceled)
            {
                cancellationToken.Register(() => _done.TrySetCanceled(cancellationToken));
            }
        }

        public CountedFacts Facts { get; }

        public HashSet<(int Version, string Fact)>? Had { get; }

        /// <summary>Whether the subject counts for <see cref="Facts"/> once it is done.</summary>
        public Task<bool> Task => _done.Task;

        public void Complete(bool recorded = true) => _done.TrySetResult(recorded);

        public void Fail(Exception e) => _done.TrySetException(e);
    }

    /// <summary>
    /// The records of one partition waiting to be written, the subjects being written and the shards in use by this
    /// process's writers. A subject is written by one writer at a time, its records in the order they came.
    /// </summary>
    private sealed class PartitionWrites(string partition)
    {
        private readonly HashSet<string> _writing = new(StringComparer.Ordinal);
        private readonly bool[] _shardInUse = new bool[Shards];
        private int _writers;

        public string Partition { get; } = partition;

        public List<PendingRecord> Waiting { get; } = [];

        public bool IsIdle => _writers == 0 && Waiting.Count == 0;

        /// <summary>A shard for a new writer, when fewer than <see cref="Shards"/> write now: the process's own first, then the next free.</summary>
        public int? TakeShard(int home)
        {
            if (_writers >= Shards)
            {
                return null;
            }
            var first = home;
            for (var i = 0; i < Shards; i++)
            {
                var shard = (first + i) % Shards;
                if (!_shardInUse[shard])
                {
                    _shardInUse[shard] = true;
                    _writers++;
                    return shard;
                }
            }
            return null;
        }

        public void ReturnShard(int shard)
        {
            _shardInUse[shard] = false;
            _writers--;
        }

        /// <summary>Up to <paramref name="max"/> waiting records of distinct subjects no writer has in hand, oldest first.</summary>
        public List<PendingRecord> TakeGroup(int max)
        {
            Waiting.RemoveAll(r => r.Task.IsCompleted);
            var group = new List<PendingRecord>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var record in Waiting)
            {
                if (group.Count >= max)
                {
                    break;
                }
                // A later record of a subject waits for the earlier (seen) or for the writer that has the subject.
                if (seen.Add(record.Facts.Subject) && !_writing.Contains(record.Facts.Subject))
                {
                    group.Add(record);
                }
            }
            foreach (var record in group)
            {
                _writing.Add(record.Facts.Subject);
                Waiting.Remove(record);
            }
            return group;
        }

        public void Release(List<PendingRecord> group)
        {
            foreach (var record in group)
            {
                _writing.Remove(record.Facts.Subject);
            }
        }
    }
}
