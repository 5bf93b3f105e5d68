using System.Text;
using Azure;
using Azure.Data.Tables;
using Retention.Testing;

namespace Retention.Storage.Tests.Emulator;

/// <summary>
/// A table query whose filter bounds RowKey (a range, an "or" of ranges, an eq, beside other terms) starts from the
/// rows in its ranges (the project's patch: in a pinned partition, a binary search in the partition's sorted row keys,
/// which the emulator keeps current as rows change; across partitions, a string comparison before the filter), then
/// runs the emulator's filter on them; it must answer exactly as that filter run on every row: the same rows, in the
/// same order, on the same pages, with the same continuation tokens. Each answer is compared with the whole table read
/// unfiltered and filtered here, row by row.
/// </summary>
public sealed class EmulatorRowKeyRangeAnswers : IAsyncLifetime
{
    private const string Partition = "p";

    private readonly TableClient _table = new TableServiceClient(TestStorage.ConnectionString).GetTableClient("emurk" + Guid.NewGuid().ToString("N"));
    private readonly List<TableEntity> _all = [];

    public async Task InitializeAsync()
    {
        await _table.CreateAsync();
        // Shaped like a day's counters partition: subject rows beside counter rows, each counter under one of four
        // shards; keys on and beside the bounds the filters use; the same keys in two other partitions.
        var keys = Enumerable.Range(0, 600).Select(i => $"s|subject{i:D4}")
            .Concat(from shard in Enumerable.Range(0, 4) from fact in new[] { "a", "b", "c" } from version in Enumerable.Range(1, 5)
                    select $"c|{shard}|{fact}|{version:D6}")
            .Concat(["c", "c|", "c|0", "c|0|", "c|0}", "c|1|", "c|1}", "c|2|", "c|3|", "c|4|", "b", "d", "c|0|~", "c|1|b|000001x"])
            .ToList();
        var rows = new[] { Partition, "o", "q" }.SelectMany(p => keys.Select((key, n) => new TableEntity(p, key) { ["N"] = n % 50 }));
        foreach (var batch in rows.GroupBy(r => r.PartitionKey).SelectMany(p => p.Chunk(100)))
        {
            await _table.SubmitTransactionAsync(batch.Select(r => new TableTransactionAction(TableTransactionActionType.Add, r)));
        }
        await ReadAllAsync();
    }

    private async Task ReadAllAsync()
    {
        _all.Clear();
        await foreach (var row in _table.QueryAsync<TableEntity>(filter: (string?)null))
        {
            _all.Add(row);
        }
    }

    public Task DisposeAsync() => _table.DeleteAsync();

    private async Task<List<(string? Token, string[] Keys)>> PagesAsync(string filter, int? pageSize)
    {
        var pages = new List<(string?, string[])>();
        await foreach (var page in _table.QueryAsync<TableEntity>(filter, pageSize).AsPages())
        {
            pages.Add((page.ContinuationToken, page.Values.Select(Key).ToArray()));
        }
        return pages;
    }

    /// <summary>
    /// The pages a filter evaluated row by row gives: the matching rows in key order, <paramref name="pageSize"/> a page
    /// (the emulator's 1,000 without one), each page but the last continued from the next row's keys (the emulator's
    /// base64 headers, as the client joins them).
    /// </summary>
    private List<(string? Token, string[] Keys)> Expected(Func<TableEntity, bool> matches, int? pageSize)
    {
        var rows = _all.Where(matches).ToList();
        var size = pageSize ?? 1000;
        var pages = new List<(string?, string[])>();
        for (var at = 0; at < rows.Count || pages.Count == 0; at += size)
        {
            var next = at + size < rows.Count ? rows[at + size] : null;
            pages.Add((next is null ? null : $"{Base64(next.PartitionKey)} {Base64(next.RowKey)}", rows.Skip(at).Take(size).Select(Key).ToArray()));
        }
        return pages;
    }

    private static string Key(TableEntity e) => e.PartitionKey + "/" + e.RowKey;

    private static string Base64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s));

    private static bool InP(TableEntity e) => e.PartitionKey == Partition;

    private static int Compare(TableEntity e, string key) => string.CompareOrdinal(e.RowKey, key);

    private static bool Shard(TableEntity e, int shard) => Compare(e, $"c|{shard}|") >= 0 && Compare(e, $"c|{shard}}}") < 0;

    private async Task AssertAnswersAsRowByRow(string filter, Func<TableEntity, bool> matches, int expectedRows)
    {
        foreach (var pageSize in new int?[] { null, 7, 1 })
        {
            var expected = Expected(matches, pageSize);
            var actual = await PagesAsync(filter, pageSize);

            Assert.Equal(expected.SelectMany(p => p.Keys), actual.SelectMany(p => p.Keys));
            Assert.Equal(expected.Select(p => p.Token), actual.Select(p => p.Token));
            Assert.Equal(expected.Select(p => p.Keys.Length), actual.Select(p => p.Keys.Length));
        }
        Assert.Equal(expectedRows, _all.Count(matches));
    }

    [Fact]
    public async Task ARangeInAPartitionAnswersAsTheFilterRowByRow() =>
        await AssertAnswersAsRowByRow($"PartitionKey eq '{Partition}' and RowKey ge 'c|0|' and RowKey lt 'c|0}}'",
            e => InP(e) && Shard(e, 0), expectedRows: 15 + 2);

    [Fact]
    public async Task AnOrOfRangesAnswersAsTheFilterRowByRow() =>
        await AssertAnswersAsRowByRow($"PartitionKey eq '{Partition}' and ((RowKey ge 'c|0|' and RowKey lt 'c|0}}') or (RowKey ge 'c|2|' and RowKey lt 'c|2}}'))",
            e => InP(e) && (Shard(e, 0) || Shard(e, 2)), expectedRows: 17 + 16);

    [Fact]
    public async Task EveryShardOfAFactAnswersAsTheFilterRowByRow() =>
        await AssertAnswersAsRowByRow(
            $"PartitionKey eq '{Partition}' and (" + string.Join(" or ", Enumerable.Range(0, 4).Select(s => $"(RowKey ge 'c|{s}|b' and RowKey lt 'c|{s}|c')")) + ")",
            e => InP(e) && Enumerable.Range(0, 4).Any(s => Compare(e, $"c|{s}|b") >= 0 && Compare(e, $"c|{s}|c") < 0), expectedRows: 4 * 5 + 1);

    [Fact]
    public async Task AnEqualKeyAndAMirroredComparisonAnswerAsTheFilterRowByRow()
    {
        await AssertAnswersAsRowByRow($"PartitionKey eq '{Partition}' and RowKey eq 'c|1|b|000001'",
            e => InP(e) && e.RowKey == "c|1|b|000001", expectedRows: 1);
        await AssertAnswersAsRowByRow($"'c|1|' lt RowKey and 'c|2|' ge RowKey and PartitionKey eq '{Partition}'",
            e => InP(e) && Compare(e, "c|1|") > 0 && Compare(e, "c|2|") <= 0, expectedRows: 15 + 3);
    }

    [Fact]
    public async Task ARangeBesideAnotherTermAnswersAsTheFilterRowByRow()
    {
        await AssertAnswersAsRowByRow($"PartitionKey eq '{Partition}' and (RowKey gt 'c|1|' and RowKey le 'c|3|') and N lt 30",
            e => InP(e) && Compare(e, "c|1|") > 0 && Compare(e, "c|3|") <= 0 && e.GetInt32("N") < 30, expectedRows: 19);
        // An "or" with a term that is not a key bound leaves RowKey unbounded.
        await AssertAnswersAsRowByRow($"PartitionKey eq '{Partition}' and (RowKey lt 'c|0' or N eq 7)",
            e => InP(e) && (Compare(e, "c|0") < 0 || e.GetInt32("N") == 7), expectedRows: 17);
    }

    [Fact]
    public async Task RangesThatCannotMeetOrSpanPartitionsAnswerAsTheFilterRowByRow()
    {
        await AssertAnswersAsRowByRow($"PartitionKey eq '{Partition}' and RowKey gt 'c|1|' and RowKey lt 'c|1|'", _ => false, expectedRows: 0);
        await AssertAnswersAsRowByRow("RowKey ge 'c|1|' and RowKey lt 'c|2|'", e => Compare(e, "c|1|") >= 0 && Compare(e, "c|2|") < 0, expectedRows: 3 * (15 + 3));
    }

    [Fact]
    public async Task PointReadsAndWritesFindTheirRowAfterEveryKindOfChange()
    {
        // The emulator finds a point operation's row through the partition's sorted keys (it scanned the table before).
        async Task<int?> NAsync(string partition, string rowKey)
        {
            var row = await _table.GetEntityIfExistsAsync<TableEntity>(partition, rowKey);
            return row.HasValue ? row.Value!.GetInt32("N") ?? -1 : null;
        }
        foreach (var row in _all.Where((_, i) => i % 37 == 0))
        {
            Assert.Equal(row.GetInt32("N"), await NAsync(row.PartitionKey, row.RowKey));
        }
        Assert.Null(await NAsync(Partition, "c|0|a|0000011"));
        Assert.Null(await NAsync("none", "c|0|a|000001"));

        Assert.Equal(409, (await Assert.ThrowsAsync<RequestFailedException>(() => _table.AddEntityAsync(new TableEntity("o", "c|1|b|000002")))).Status);
        Assert.Equal(404, (await Assert.ThrowsAsync<RequestFailedException>(() => _table.UpdateEntityAsync(new TableEntity(Partition, "c|9"), ETag.All, TableUpdateMode.Replace))).Status);
        Assert.Equal(404, (await Assert.ThrowsAsync<RequestFailedException>(() => _table.UpdateEntityAsync(new TableEntity(Partition, "c|9"), ETag.All, TableUpdateMode.Merge))).Status);
        Assert.Equal(404, (await _table.DeleteEntityAsync(Partition, "c|9", ETag.All)).Status); // the client answers a missing row's delete without throwing
        var stale = (await _table.GetEntityAsync<TableEntity>(Partition, "c|1|a|000001")).Value.ETag;
        await _table.UpdateEntityAsync(new TableEntity(Partition, "c|1|a|000001") { ["N"] = 101 }, stale, TableUpdateMode.Replace);
        Assert.Equal(412, (await Assert.ThrowsAsync<RequestFailedException>(() => _table.UpdateEntityAsync(new TableEntity(Partition, "c|1|a|000001") { ["N"] = 102 }, stale, TableUpdateMode.Merge))).Status);
        Assert.Equal(101, await NAsync(Partition, "c|1|a|000001"));

        await _table.UpsertEntityAsync(new TableEntity(Partition, "c|1|a|000002") { ["N"] = 103 }, TableUpdateMode.Replace);
        await _table.UpsertEntityAsync(new TableEntity(Partition, "c|1|z") { ["N"] = 104 }, TableUpdateMode.Merge);
        await _table.DeleteEntityAsync(Partition, "c|1|a|000003");
        await _table.AddEntityAsync(new TableEntity(Partition, "c|1|a|000003") { ["N"] = 105 }); // added again after its delete
        Assert.Equal((103, 104, 105), (await NAsync(Partition, "c|1|a|000002"), await NAsync(Partition, "c|1|z"), await NAsync(Partition, "c|1|a|000003")));

        // A transaction that fails on its last action leaves every row as it was.
        await Assert.ThrowsAsync<TableTransactionFailedException>(() => _table.SubmitTransactionAsync(
        [
            new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(Partition, "c|1|a|000002"), ETag.All),
            new TableTransactionAction(TableTransactionActionType.UpdateReplace, new TableEntity(Partition, "c|1|z") { ["N"] = 106 }, ETag.All),
            new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(Partition, "c|1|y") { ["N"] = 107 }),
            new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(Partition, "c|1|a|000003")),
        ]));
        Assert.Equal((103, 104, (int?)null), (await NAsync(Partition, "c|1|a|000002"), await NAsync(Partition, "c|1|z"), await NAsync(Partition, "c|1|y")));

        // A table deleted and made again under its name starts empty.
        await _table.DeleteAsync();
        await _table.CreateAsync();
        Assert.Null(await NAsync(Partition, "c|1|z"));
        await _table.AddEntityAsync(new TableEntity(Partition, "c|1|z") { ["N"] = 108 });
        Assert.Equal(108, await NAsync(Partition, "c|1|z"));
    }

    [Fact]
    public async Task RowsAddedReplacedMergedDeletedOrRolledBackAnswerAsTheFilterRowByRow()
    {
        var range = $"PartitionKey eq '{Partition}' and ((RowKey ge 'c|0|' and RowKey lt 'c|0}}') or (RowKey gt 'c|2|' and RowKey le 'c|3|'))";
        bool InRange(TableEntity e) => InP(e) && (Shard(e, 0) || (Compare(e, "c|2|") > 0 && Compare(e, "c|3|") <= 0));
        await AssertAnswersAsRowByRow(range, InRange, expectedRows: 17 + 16); // the first query builds the partition's keys

        await _table.AddEntityAsync(new TableEntity(Partition, "c|0|a|000000") { ["N"] = 1 });
        await _table.AddEntityAsync(new TableEntity(Partition, "c|2|z") { ["N"] = 2 });
        await _table.AddEntityAsync(new TableEntity("new", "c|0|a|000001") { ["N"] = 3 }); // a new partition, outside the pinned one
        await _table.UpsertEntityAsync(new TableEntity(Partition, "c|0|b|000002") { ["N"] = 4 }, TableUpdateMode.Replace);
        await _table.UpsertEntityAsync(new TableEntity(Partition, "c|2|c|000003") { ["M"] = 5 }, TableUpdateMode.Merge);
        await _table.UpsertEntityAsync(new TableEntity(Partition, "c|0|~~") { ["N"] = 6 }, TableUpdateMode.Merge); // merge-inserts a new row
        await _table.DeleteEntityAsync(Partition, "c|0|a|000001");
        await _table.DeleteEntityAsync(Partition, "c|2|b|000005");
        await _table.DeleteEntityAsync(Partition, "c|3|"); // the range's closed upper bound
        // A transaction that fails on its last action (adding a row that exists) changes nothing.
        var failed = await Assert.ThrowsAsync<TableTransactionFailedException>(() => _table.SubmitTransactionAsync(
        [
            new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(Partition, "c|0|d|000001")),
            new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(Partition, "c|0|c|000001"), ETag.All),
            new TableTransactionAction(TableTransactionActionType.UpdateReplace, new TableEntity(Partition, "c|2|a|000001") { ["N"] = 7 }, ETag.All),
            new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(Partition, "c|0|a|000002")),
        ]));
        Assert.Equal(3, failed.FailedTransactionActionIndex);
        await _table.SubmitTransactionAsync(
        [
            new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(Partition, "c|0|d|000002")),
            new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(Partition, "c|0|c|000002"), ETag.All),
            new TableTransactionAction(TableTransactionActionType.UpsertMerge, new TableEntity(Partition, "c|2|d|000009")),
        ]);
        await ReadAllAsync();
        await AssertAnswersAsRowByRow(range, InRange, expectedRows: 17 + 16 + 2 + 1 - 1 - 1 - 1 + 1 - 1 + 1);

        // A table deleted and made again under its name starts empty.
        await _table.DeleteAsync();
        await _table.CreateAsync();
        await _table.AddEntityAsync(new TableEntity(Partition, "c|0|a|000001"));
        await ReadAllAsync();
        await AssertAnswersAsRowByRow(range, InRange, expectedRows: 1);
    }
}
