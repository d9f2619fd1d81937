// Runs SQL statements with DuckDB and prints the rows of the last one as JSON (numbers as numbers,
// BIGINT as numbers, lists as arrays). Usage: node duckdb_query.mjs "SQL" ["SQL" ...]
import { DuckDBInstance } from '@duckdb/node-api';

const statements = process.argv.slice(2);
if (!statements.length) {
  console.error('usage: node duckdb_query.mjs SQL...');
  process.exit(2);
}
const instance = await DuckDBInstance.create(':memory:');
const connection = await instance.connect();
let rows = [];
for (const sql of statements) {
  const reader = await connection.runAndReadAll(sql);
  rows = reader.getRowObjectsJson();
}
console.log(JSON.stringify(rows));
