// Reference values for RNTuples, read with JSROOT's RNTuple reader (independent of trigml):
//   node rntuple_makeref.mjs FILE.root [...] --out DIR
// For every ROOT::RNTuple key: the field tree (name, type, structural role, children) and the
// values of every top-level field for every entry, as JSROOT presents them (numbers, arrays,
// strings, records as objects). A field JSROOT cannot read is recorded under "errors".
import { openFile, TSelector } from 'jsroot';
import { readHeaderFooter, rntupleProcess } from 'jsroot/rntuple';
import fs from 'fs';
import path from 'path';

const args = process.argv.slice(2);
const out = args.indexOf('--out');
if (out < 0 || out + 1 >= args.length || out === 0) {
   console.error('usage: node rntuple_makeref.mjs FILE.root ... --out DIR');
   process.exit(2);
}
const outDir = args[out + 1];
const inputs = args.filter((_, i) => i !== out && i !== out + 1);
fs.mkdirSync(outDir, { recursive: true });

// JSON has no NaN, infinities or 64-bit integers: they are written as strings.
function plain(v) {
   if (typeof v === 'bigint') return v.toString();
   if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
   if (ArrayBuffer.isView(v) || Array.isArray(v)) return Array.from(v, plain);
   if (v && typeof v === 'object') {
      const res = {};
      for (const k of Object.keys(v)) if (!k.startsWith('$') && k !== '_typename') res[k] = plain(v[k]);
      return res;
   }
   return v;
}

class Collect extends TSelector {
   constructor(field) {
      super();
      this.addBranch(field, 'value');
      this.values = [];
   }
   Process() { this.values.push(plain(this.tgtobj.value)); }
}

async function describe(file, key) {
   const tuple = await file.readObject(`${key.fName};${key.fCycle}`);
   const builder = await readHeaderFooter(tuple);
   if (!builder) throw new Error('JSROOT cannot read the header or footer');
   const fields = builder.fieldDescriptors.map((f, id) => ({
      id, name: f.fieldName, type: f.typeName, role: f.structRole, parent: f.parentFieldId,
      array_size: f.arraySize === null ? undefined : Number(f.arraySize)
   }));
   const entries = builder.clusterSummaries.reduce((n, s) => n + Number(s.numEntries), 0);
   const ref = {
      file: path.basename(file.fFileName), ntuple: key.fName, reader: 'jsroot', entries,
      fields: fields.filter(f => f.parent === f.id).map(f => f.name), field_tree: fields,
      values: {}, errors: {}
   };
   for (const name of ref.fields) {
      try {
         const selector = new Collect(name);
         await rntupleProcess(tuple, selector);
         if (selector.values.length !== entries)
            throw new Error(`read ${selector.values.length} of ${entries} entries`);
         ref.values[name] = selector.values;
      } catch (err) {
         ref.errors[name] = String(err?.message ?? err);
      }
   }
   return ref;
}

for (const input of inputs) {
   const file = await openFile(input);
   for (const key of file.fKeys.filter(k => k.fClassName === 'ROOT::RNTuple')) {
      const ref = await describe(file, key);
      const name = `${path.basename(input, '.root')}.${key.fName}.json`;
      fs.writeFileSync(path.join(outDir, name), JSON.stringify(ref, null, 1) + '\n');
      console.log(`${name}: ${ref.entries} entries, ${Object.keys(ref.values).length} fields read,`,
                  `${Object.keys(ref.errors).length} failed`);
   }
}
