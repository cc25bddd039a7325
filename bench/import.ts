// Benchmark `npm run bench:import`: imports every shared GIDE crate (BioImage Archive, EMPIAR, IDR) with JSON-LD,
// SPARQL mapping, normalisation, enrichment and SHACL, as the demo does; prints studies/s, total time and the
// time per stage, then the re-import of the unchanged crates. Prints figures; asserts nothing.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { loadConfig, projectRoot } from '../src/config.ts';
import { DEMO_ARCHIVES, importDemoArchives } from '../src/import/command.ts';
import { type ImportSummary, loadImportContext } from '../src/import/importer.ts';

const shared = fileURLToPath(new URL('../../shared/data', import.meta.url));
if (!existsSync(shared)) {
  console.log(`bench:import needs the shared data at ${shared}; it is absent, so there is nothing to import`);
  process.exit(0);
}
const data = join(projectRoot, '.tmp', 'bench-import', 'data');
await rm(data, { recursive: true, force: true });

const config = loadConfig({ data }, {});
let t = performance.now();
const context = await loadImportContext(config);
console.log(`loaded ontology index, shapes and mappings in ${((performance.now() - t) / 1000).toFixed(2)} s`);
const gide = DEMO_ARCHIVES.filter((d) => d.format === 'gide');

const run = async (label: string) => {
  t = performance.now();
  const summaries = await importDemoArchives(config, data, shared, { context, archives: gide });
  const seconds = (performance.now() - t) / 1000;
  const total = (key: 'imported' | 'replaced' | 'unchanged' | 'files' | 'triples') => summaries.reduce((n, s) => n + s[key], 0);
  const studies = total('imported') + total('replaced') + total('unchanged');
  console.log(`\n${label}`);
  for (const s of summaries) console.log(`  ${s.lines[0]}`);
  console.log(
    `  ${studies} studies from ${total('files')} crates in ${seconds.toFixed(1)} s: ${(studies / seconds).toFixed(1)} studies/s` +
      `; ${total('triples')} triples stored`,
  );
  const stage = (key: keyof ImportSummary['timings']) => summaries.reduce((n, s) => n + s.timings[key], 0).toFixed(1);
  console.log(
    `  stages: read + JSON-LD ${stage('read')} s, mapping ${stage('map')} s, enrichment ${stage('enrich')} s, ` +
      `SHACL ${stage('validate')} s, store ${stage('store')} s`,
  );
};

await run('first import (validation and enrichment included)');
await run('re-import of the same crates (unchanged: skipped)');
console.log(`\nRSS after the runs: ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB`);
