// What the emulator patch's partition start saves: CPU time of a one-partition table query (100 rows a partition) over
// a LokiJS collection of 1,000 to 100,000 rows, run as the stock emulator runs it (the filter over every row) and as
// the patched one does (the PartitionKey index first, then the same filter). In process, so the figure is the
// emulator's own work, not HTTP or a busy machine's scheduling. Usage, from the project's root:
//   node bench/emulator/partition-query.cjs
const path = require("node:path");
const root = path.resolve(__dirname, "../..");
const Loki = require(path.join(root, "node_modules/lokijs"));
const Generator = require(path.join(root, "node_modules/azurite/dist/src/table/persistence/LokiTableStoreQueryGenerator.js")).default;

const filter = "PartitionKey eq 'p3'";
const pinned = Generator.pinnedPartitionKey(filter);
if (pinned !== "p3") throw new Error("the emulator patch is not applied: run npx patch-package");
const where = Generator.generateQueryEntityWhereFunction(filter);
for (const rows of [1000, 20000, 100000]) {
  const table = new Loki("bench").addCollection("t", { indices: ["PartitionKey", "RowKey"] }); // as the emulator creates one
  for (let i = 0; i < rows; i++) table.insert({ PartitionKey: `p${Math.floor(i / 100)}`, RowKey: `r${i}`, properties: { v: "x" } });
  const query = (fromIndex) => (fromIndex ? table.chain().find({ PartitionKey: pinned }) : table.chain())
    .where(where).simplesort("RowKey").limit(1001).data().length;
  const line = [`rows=${rows}`];
  for (const [name, fromIndex] of [["stock", false], ["patched", true]]) {
    const queries = 200;
    query(fromIndex);
    const start = process.cpuUsage();
    for (let i = 0; i < queries; i++) if (query(fromIndex) !== 100) throw new Error("wrong rows");
    const used = process.cpuUsage(start);
    line.push(`${name}=${((used.user + used.system) / queries / 1000).toFixed(3)}ms`);
  }
  console.log(line.join("\t"));
}
