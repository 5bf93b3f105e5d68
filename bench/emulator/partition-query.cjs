// What the emulator patch's query fixes save, in process, so the figures are the emulator's own work, not HTTP or a
// busy machine's scheduling. Usage, from the project's root:
//   node bench/emulator/partition-query.cjs
//
// 1. The partition start: CPU time of a one-partition table query (100 rows a partition) over a LokiJS collection of
//    1,000 to 100,000 rows, run as the stock emulator runs it (the filter over every row) and as the patched one does
//    (the PartitionKey index first, then the same filter).
// 2. The RowKey ranges: CPU time of a report's read of one day's counters (the FactCounterStore filter: the day's
//    partition and one key range per shard) from a partition holding 240 counter rows beside 1,000 to 20,000 subject
//    rows, run from the partition index with the interpreted filter over every row of the partition (the patch before
//    the ranges), with the rows outside the ranges dropped by a string comparison first (the patch before the sorted
//    keys), and from the partition's sorted row keys, by binary search (the patch now).
// 3. Point operations: CPU time of finding one row by its keys (what an insert, upsert, replace, merge, delete or point
//    read does first) in a table of 1,000 to 100,000 rows, 10 a partition like a task hub's history, as LokiJS's
//    findOne does it (the stock emulator) and from the partition's sorted row keys (the patch).
const path = require("node:path");
const root = path.resolve(__dirname, "../..");
const Loki = require(path.join(root, "node_modules/lokijs"));
const Generator = require(path.join(root, "node_modules/azurite/dist/src/table/persistence/LokiTableStoreQueryGenerator.js")).default;
const { PartitionRowKeys } = require(path.join(root, "node_modules/azurite/dist/src/table/persistence/LokiTableMetadataStore.js"));

function cpuPerQuery(query, expected, queries) {
  query();
  const start = process.cpuUsage();
  for (let i = 0; i < queries; i++) if (query() !== expected) throw new Error("wrong rows");
  const used = process.cpuUsage(start);
  return `${((used.user + used.system) / queries / 1000).toFixed(3)}ms`;
}

const filter = "PartitionKey eq 'p3'";
const pinned = Generator.pinnedPartitionKey(filter);
if (pinned !== "p3") throw new Error("the emulator patch is not applied: run npx patch-package");
const where = Generator.generateQueryEntityWhereFunction(filter);
console.log("One-partition query of 100 rows:");
for (const rows of [1000, 20000, 100000]) {
  const table = new Loki("bench").addCollection("t", { indices: ["PartitionKey", "RowKey"] }); // as the emulator creates one
  for (let i = 0; i < rows; i++) table.insert({ PartitionKey: `p${Math.floor(i / 100)}`, RowKey: `r${i}`, properties: { v: "x" } });
  const query = (fromIndex) => (fromIndex ? table.chain().find({ PartitionKey: pinned }) : table.chain())
    .where(where).simplesort("RowKey").limit(1001).data().length;
  console.log([`rows=${rows}`, `stock=${cpuPerQuery(() => query(false), 100, 200)}`, `patched=${cpuPerQuery(() => query(true), 100, 200)}`].join("\t"));
}

const day = "dormant-reactivation|2026-12-01";
const shards = [0, 1, 2, 3].map((s) => `(RowKey ge 'c|${s}|' and RowKey lt 'c|${s}}')`).join(" or ");
const dayFilter = `PartitionKey eq '${day}' and (${shards})`;
if (Generator.rowKeyRanges === undefined || Generator.rowKeyRanges(dayFilter)?.length !== 4 || PartitionRowKeys === undefined) throw new Error("the emulator patch's RowKey ranges are not applied: run npx patch-package");
const interpreted = Generator.generateQueryEntityWhereFunction(dayFilter); // the filter alone
const bounded = Generator.generateQueryForPersistenceLayer({ filter: dayFilter }, undefined); // what a query runs: the ranges first
console.log("One day's counters (4 shards x 60 rows) beside the day's subject rows:");
for (const subjects of [1000, 7000, 20000]) {
  const table = new Loki("bench").addCollection("t", { indices: ["PartitionKey", "RowKey"] });
  for (const partition of ["dormant-reactivation|2026-11-30", day, "dormant-reactivation|2026-12-02"]) {
    for (let i = 0; i < subjects; i++) table.insert({ PartitionKey: partition, RowKey: `s|dormant-reactivation:S${String(i).padStart(7, "0")}:bench`, properties: { Subject: "x", Facts: "[\"1|entered\"]" } });
    for (let s = 0; s < 4; s++) for (let f = 0; f < 60; f++) table.insert({ PartitionKey: partition, RowKey: `c|${s}|fact${String(f).padStart(2, "0")}|000001`, properties: { Count: 3 } });
  }
  const query = (where) => table.chain().find({ PartitionKey: day }).where(where).simplesort("RowKey").limit(1001).data().length;
  const sorted = () => PartitionRowKeys.of(table).chainOf(day, Generator.rowKeyRanges(dayFilter)).where(bounded).simplesort("RowKey").limit(1001).data().length;
  console.log([`subjects=${subjects}`, `partition only=${cpuPerQuery(() => query(interpreted), 240, 200)}`, `with ranges=${cpuPerQuery(() => query(bounded), 240, 200)}`,
    `sorted keys=${cpuPerQuery(sorted, 240, 200)}`].join("\t"));
}

if (typeof PartitionRowKeys.prototype.findOne !== "function") throw new Error("the emulator patch's point lookups are not applied: run npx patch-package");
console.log("One row by its keys (10 rows a partition):");
for (const rows of [1000, 20000, 100000]) {
  const table = new Loki("bench").addCollection("t", { indices: ["PartitionKey", "RowKey"] });
  for (let i = 0; i < rows; i++) table.insert({ PartitionKey: `instance${Math.floor(i / 10)}`, RowKey: String(i % 10).padStart(16, "0"), properties: { v: "x" } });
  let n = 0;
  const key = () => { n = (n + 7919) % rows; return [`instance${Math.floor(n / 10)}`, String(n % 10).padStart(16, "0")]; };
  const stock = () => { const [p, r] = key(); return table.findOne({ RowKey: r, PartitionKey: p }).RowKey === r ? 1 : 0; };
  const patched = () => { const [p, r] = key(); return PartitionRowKeys.of(table).findOne(p, r).RowKey === r ? 1 : 0; };
  console.log([`rows=${rows}`, `stock=${cpuPerQuery(stock, 1, 200)}`, `patched=${cpuPerQuery(patched, 1, 2000)}`].join("\t"));
}
