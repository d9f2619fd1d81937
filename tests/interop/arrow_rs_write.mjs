// Writes a Parquet file with the Rust arrow-rs writer (npm parquet-wasm), every choice the tests
// vary taken from the command line: node arrow_rs_write.mjs OUT.parquet '{"version": 2,
// "compression": "ZSTD", "dictionary": false, "encodings": {"i64": "DELTA_BINARY_PACKED"}}'.
// The table: numbers of each width, booleans, strings with shared prefixes, a list, some nulls.
import { writeFileSync } from 'node:fs';
import {
  Bool, Field, Float32, Float64, Int32, Int64, List, Table, Utf8, tableToIPC, vectorFromArray,
} from 'apache-arrow';
import * as parquet from 'parquet-wasm/node';

const [out, optionsText] = process.argv.slice(2);
if (!out) {
  console.error('usage: node arrow_rs_write.mjs OUT.parquet [OPTIONS_JSON]');
  process.exit(2);
}
const options = JSON.parse(optionsText ?? '{}');
const rows = options.rows ?? 3000;

const column = (f) => Array.from({ length: rows }, (_, i) => f(i));
const table = new Table({
  i32: vectorFromArray(column((i) => (i % 7 === 3 ? null : ((i * 37) % 1001) - 500)), new Int32()),
  i64: vectorFromArray(column((i) => BigInt(i) * 987654321987n - 5000000000000n), new Int64()),
  f32: vectorFromArray(column((i) => (i % 97) * 0.25 - 3), new Float32()),
  f64: vectorFromArray(column((i) => (i % 11 === 0 ? null : i / 7)), new Float64()),
  flag: vectorFromArray(column((i) => (i % 13 === 0 ? null : i % 3 === 1)), new Bool()),
  text: vectorFromArray(column((i) => (i % 17 === 5 ? null : `event-${Math.floor(i / 10)}-${i % 10}`)),
    new Utf8()),
  lst: vectorFromArray(column((i) => (i % 9 === 4 ? null
    : Array.from({ length: i % 4 }, (_, k) => (k === 2 && i % 5 === 0 ? null : i + k * 0.5)))),
  new List(new Field('element', new Float32(), true))),
});

let builder = new parquet.WriterPropertiesBuilder()
  .setWriterVersion(options.version === 2 ? parquet.WriterVersion.V2 : parquet.WriterVersion.V1)
  .setCompression(parquet.Compression[options.compression ?? 'UNCOMPRESSED'])
  .setDictionaryEnabled(options.dictionary ?? true)
  .setDataPageSizeLimit(options.page_bytes ?? 4096)
  .setMaxRowGroupSize(options.row_group_rows ?? 1000);
for (const [path, encoding] of Object.entries(options.encodings ?? {}))
  builder = builder.setColumnEncoding(path, parquet.Encoding[encoding]);
const bytes = parquet.writeParquet(parquet.Table.fromIPCStream(tableToIPC(table, 'stream')), builder.build());
writeFileSync(out, bytes);
