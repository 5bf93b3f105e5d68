using Retention.Core.Ports;
using Retention.Core.Reporting;
using Retention.Storage.Reporting;
using Retention.Testing;

namespace Retention.Storage.Tests;

/// <summary>The report counters on Azurite: writers racing on the same counter rows, repeats and retractions leave exact counts.</summary>
public sealed class FactCounterStoreOnAzurite
{
    private static readonly DateOnly Day = new(2027, 3, 1);

    private static async Task<FactCounterStore> StoreAsync(string? prefix = null, StorageRequests? requests = null)
    {
        var account = new StorageAccount(new StorageOptions { ConnectionString = TestStorage.ConnectionString, Prefix = prefix ?? NewPrefix() }, requests);
        await account.Table("counters").CreateIfNotExistsAsync();
        return new FactCounterStore(account);
    }

    private static string NewPrefix() => "f" + Guid.NewGuid().ToString("N")[..10];

    private static Task Record(FactCounterStore store, string subject, params string[] facts) =>
        store.RecordAsync(new CountedFacts("j", 1, Day, subject, facts), CancellationToken.None);

    [Fact]
    public async Task RacingWritersRepeatsAndRetractionsCountEachSubjectOncePerFact()
    {
        var store = await StoreAsync();
        var subjects = Enumerable.Range(0, 120).Select(i => $"j:C{i}").ToList();
        // Every subject recorded twice at once (a retry racing its first attempt), all on the same day's rows.
        await Parallel.ForEachAsync(subjects.Concat(subjects), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (subject, ct) =>
            await store.RecordAsync(new CountedFacts("j", 1, Day, subject, ["entered", "step:a"]), ct));
        // A third of them move on: step:b added, and then a fact taken back.
        await Parallel.ForEachAsync(subjects.Where((_, i) => i % 3 == 0), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (subject, ct) =>
            await store.RecordAsync(new CountedFacts("j", 1, Day, subject, ["entered", "step:a", "step:b"]), ct));
        await store.RecordAsync(new CountedFacts("j", 1, Day, subjects[0], ["entered", "step:a"]), CancellationToken.None);

        var counts = (await store.ReadAsync("j", JourneyFacts.All, null, CancellationToken.None)).ToDictionary(c => c.Fact, c => c.Count);
        Assert.Equal(new Dictionary<string, long> { ["entered"] = 120, ["step:a"] = 120, ["step:b"] = 39 }, counts);
        Assert.Equal([("step:b", 39L)], (await store.ReadAsync("j", ["step:b"], null, CancellationToken.None)).Select(c => (c.Fact, c.Count)));
        Assert.Equal([("entered", 120L), ("step:b", 39L)], (await store.ReadAsync("j", ["step:b", "ent"], null, CancellationToken.None)).Select(c => (c.Fact, c.Count)).Order());
        Assert.Empty(await store.ReadAsync("j", JourneyFacts.All, Day.AddDays(1), CancellationToken.None));
        Assert.Empty(await store.ReadAsync("other", JourneyFacts.All, null, CancellationToken.None));
    }

    /// <summary>
    /// A conditional record (the router's count of a start before the instance exists, and its taking back) writes only
    /// while the subject counts for what it expects, also when another process wrote the row since this one last saw it,
    /// and racing twins of it write once.
    /// </summary>
    [Fact]
    public async Task AConditionalRecordWritesOnlyWhileTheSubjectCountsForWhatItExpects()
    {
        var prefix = NewPrefix();
        var store = await StoreAsync(prefix);
        var other = await StoreAsync(prefix); // another replica, with rows of its own in hand
        CountedFacts Facts(string subject, params string[] facts) => new("j", 1, Day, subject, facts);

        Assert.True(await store.RecordIfAsync(Facts("j:C1", "entered", "at:w"), [], CancellationToken.None));
        Assert.False(await store.RecordIfAsync(Facts("j:C1", "entered", "at:x"), [], CancellationToken.None)); // counted already
        Assert.False(await other.RecordIfAsync(Facts("j:C1", "entered", "at:x"), [], CancellationToken.None));
        Assert.False(await store.RecordIfAsync(Facts("j:C1"), ["entered"], CancellationToken.None)); // not what it counts for

        // The other replica moves it on: this one's kept row is out of date, and its take-back of what it recorded must not win.
        await other.RecordAsync(Facts("j:C1", "entered", "at:y"), CancellationToken.None);
        Assert.False(await store.RecordIfAsync(Facts("j:C1"), ["entered", "at:w"], CancellationToken.None));
        Assert.True(await store.RecordIfAsync(Facts("j:C1"), ["at:y", "entered"], CancellationToken.None));

        // Twins racing for a new subject: one writes, the other finds it counted.
        var twins = await Task.WhenAll(store.RecordIfAsync(Facts("j:C2", "entered"), [], CancellationToken.None),
            other.RecordIfAsync(Facts("j:C2", "entered"), [], CancellationToken.None));
        Assert.Single(twins, recorded => recorded);

        var counts = await store.ReadAsync("j", JourneyFacts.All, null, CancellationToken.None);
        Assert.Equal([("entered", 1L)], counts.Select(c => (c.Fact, c.Count)));
    }

    [Fact]
    public async Task AMigratedSubjectMovesItsFactsToTheNewVersion()
    {
        var store = await StoreAsync();
        await store.RecordAsync(new CountedFacts("j", 1, Day, "j:C1", ["entered", "at:w"]), CancellationToken.None);
        await store.RecordAsync(new CountedFacts("j", 2, Day, "j:C1", ["entered", "at:w2"]), CancellationToken.None);

        var counts = await store.ReadAsync("j", JourneyFacts.All, null, CancellationToken.None);
        Assert.Equal([(2, "at:w2", 1L), (2, "entered", 1L)], counts.Select(c => (c.Version, c.Fact, c.Count)).Order());
    }

    [Fact]
    public async Task ASubjectsNextRecordCostsItsTransactionAloneAndAnotherReplicasChangesAreReadAgain()
    {
        var prefix = NewPrefix();
        var requests = new StorageRequests();
        var store = await StoreAsync(prefix, requests);
        var replica = await StoreAsync(prefix); // another process: its own rows kept, the same table
        await Record(store, "j:C1", "entered", "at:a");

        // The subject's row and the counters it changes are as this process wrote them: the transaction is the only request.
        foreach (var facts in new[] { new[] { "entered" }, ["entered", "at:a"] })
        {
            requests.Clear();
            await Record(store, "j:C1", facts);
            Assert.Equal(["POST $batch"], requests.Made.Select(r => $"{r.Split(' ')[0]} {r[(r.LastIndexOf('/') + 1)..]}"));
        }
        requests.Clear();
        await Record(store, "j:C1", "entered", "at:a"); // a repeat: nothing to write, nothing to read
        Assert.Empty(requests.Made);

        // The other replica moves the subject on; this one's kept row is stale and loses on its ETag, reads and counts again.
        await Record(replica, "j:C1", "entered", "at:c");
        await Record(store, "j:C1", "entered", "at:d");
        // Both replicas record other subjects on the same day's counters, in turns, so kept counter rows go stale too.
        for (var round = 0; round < 6; round++)
        {
            await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Record(round % 2 == 0 ? store : replica, $"j:D{i}", "entered", $"at:{round}")));
        }

        var counts = (await store.ReadAsync("j", JourneyFacts.All, null, CancellationToken.None)).ToDictionary(c => c.Fact, c => c.Count);
        Assert.Equal(new Dictionary<string, long> { ["entered"] = 9, ["at:d"] = 1, ["at:5"] = 8 }, counts);
    }
}
