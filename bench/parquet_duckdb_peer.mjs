// The DuckDB peer of bench/parquet_bench.cpp: one thread scans every column of the files that
// benchmark wrote (SELECT of every column, count(*) over them), best of five runs, in wall time
// and in CPU time of the whole process (user + system; DuckDB runs in it on one thread), which is
// what to compare with the benchmark's per-core figures on a loaded machine.
// Run: node bench/parquet_duckdb_peer.mjs (from a directory where tests/interop/install put DuckDB).
import { createRequire } from 'module';
import os from 'os';
import path from 'path';
import fs from 'fs';
const require = createRequire(path.resolve('tests/interop/package.json'));
const { DuckDBInstance } = require('@duckdb/node-api');

const dir = path.join(os.tmpdir(), 'trigml-bench');
const instance = await DuckDBInstance.create(':memory:');
const connection = await instance.connect();
await connection.run('SET threads = 1');
for (const codec of ['uncompressed', 'snappy', 'zstd', 'lz4_raw']) {
  const file = path.join(dir, `training-shaped-${codec}.parquet`);
  if (!fs.existsSync(file)) continue;
  const sql = `SELECT count(*) AS n, count(label), count(HLF_input), count(GRU_input) FROM (SELECT label, HLF_input, GRU_input FROM read_parquet('${file}'))`;
  let best = Infinity, best_cpu = Infinity, rows = 0;
  for (let i = 0; i < 5; ++i) {
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    const r = await connection.runAndReadAll(sql);
    const c1 = process.cpuUsage(c0);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    rows = Number(r.getRowObjectsJson()[0].n);
    best = Math.min(best, ms);
    best_cpu = Math.min(best_cpu, (c1.user + c1.system) / 1000);
  }
  const rate = (ms) => (rows / ms * 1000).toFixed(0);
  console.log(`duckdb scan ${codec}: ${rows} events, wall ${best.toFixed(1)} ms = ${rate(best)} events/s, ` +
              `CPU ${best_cpu.toFixed(1)} ms = ${rate(best_cpu)} events/s per core`);
}
