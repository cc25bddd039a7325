// Writes queries/NAME.expected.srj for every named query (a .rq with a "# purpose:" line): its answer on the demo
// labs, from one store holding all three. Run it after changing a query or the demo data, and review the diff.
// usage: npm run queries:expected
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openArchive } from '../../src/archive/archive.ts';
import { loadConfig } from '../../src/config.ts';
import { demoLabs } from '../../src/demo.ts';
import { expandInputs, ingest, loadPipeline } from '../../src/main.ts';
import { defaultOntologyFiles } from '../../src/serve/context.ts';
import { addArchive, addOntologyFiles, queryStore, scratchStore } from '../../src/store/store.ts';

const queries = new URL('../../queries/', import.meta.url).pathname;
const dataDir = await mkdtemp(join(tmpdir(), 'benchgraph-expected-'));
try {
  const config = loadConfig({ data: dataDir, base: 'http://localhost:8080/' }, {});
  const pipeline = await loadPipeline(config);
  const store = scratchStore();
  for (const lab of await demoLabs()) {
    await ingest(config, pipeline, lab.name, await expandInputs([lab.dir]), { strict: false });
    await addArchive(store, await openArchive(dataDir, lab.name));
  }
  await addOntologyFiles(store, defaultOntologyFiles());
  for (const file of (await readdir(queries)).filter((f) => f.endsWith('.rq')).sort()) {
    const text = await readFile(join(queries, file), 'utf8');
    if (!/^# purpose: /m.test(text)) continue;
    const result = queryStore(store, text);
    if (!('results' in result)) throw new Error(`${file}: expected a SELECT or ASK query`);
    const out = join(queries, file.replace(/\.rq$/, '.expected.srj'));
    await writeFile(out, `${JSON.stringify(result.results, null, 1)}\n`);
    process.stdout.write(`${file}: ${result.results.results?.bindings.length ?? 'boolean'} rows -> ${out}\n`);
  }
} finally {
  await rm(dataDir, { recursive: true, force: true });
}
