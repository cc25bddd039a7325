// Benchmark `npm run bench:ingest`: end-to-end ingest of a generated federation (>= 1M triples), per stage,
// then the reload of the resulting archive at start, and peak memory. Prints figures; asserts nothing.
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openArchive } from '../src/archive/archive.ts';
import { loadConfig, projectRoot } from '../src/config.ts';
import { generateFederation } from '../src/generate.ts';
import { checkFiles } from '../src/ingest/pipeline.ts';
import { loadPipeline } from '../src/main.ts';
import { loadArchiveStore, storeStats } from '../src/store/store.ts';

const labs = Number(process.env.BENCH_LABS ?? 10);
const seed = Number(process.env.BENCH_SEED ?? 1);
const work = join(projectRoot, '.tmp', 'bench-ingest');
const generated = join(work, `generated-${labs}-${seed}`);
const data = join(work, 'data');

let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 50);

if (!existsSync(generated)) {
  const t = performance.now();
  await generateFederation({ labs, seed, out: generated });
  console.log(`generated ${labs} labs (seed ${seed}) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}
await rm(data, { recursive: true, force: true });
await mkdir(data, { recursive: true });

const config = loadConfig({ data }, {});
const pipeline = await loadPipeline(config);
const archive = await openArchive(data, 'bench', { create: true, meta: { baseIri: config.baseIri } });

const stage = { parse: 0, map: 0, validate: 0, store: 0 };
let triples = 0;
let records = 0;
let rejected = 0;
const t0 = performance.now();
for (let lab = 1; lab <= labs; lab++) {
  const dir = join(generated, `lab-${String(lab).padStart(3, '0')}`);
  const { readdir } = await import('node:fs/promises');
  for (const file of (await readdir(dir)).sort()) {
    // One file (<= 10k records) is one batch: validation per batch, never the whole archive at once.
    const result = await checkFiles([join(dir, file)], { base: config.baseIri, archive: `lab-${lab}` }, pipeline.deps);
    stage.parse += result.timings.parse;
    stage.map += result.timings.map;
    stage.validate += result.timings.validate;
    const accepted = result.records.filter((r) => r.accepted);
    rejected += result.records.length - accepted.length;
    const t = performance.now();
    await archive.writeBatch(
      accepted.map((r) => ({ recordId: `${lab}/${r.recordId}`, graph: r.graph!, quads: r.quads, sourceFile: r.file, sourceLine: r.line })),
      { mapping: pipeline.mapping.name, mappingVersion: pipeline.mapping.version, report: pipeline.lastReport() },
    );
    stage.store += (performance.now() - t) / 1000;
    triples += result.triples;
    records += result.records.length;
  }
}
const total = (performance.now() - t0) / 1000;
const ingestPeak = Math.max(peakRss, process.memoryUsage().rss);

const rate = (seconds: number) => `${Math.round(triples / seconds).toLocaleString('en')} triples/s`;
console.log(`\ningest: ${records.toLocaleString('en')} records, ${triples.toLocaleString('en')} triples, ${rejected} rejected`);
console.log(`  stage        seconds   throughput`);
for (const [name, seconds] of Object.entries(stage)) {
  console.log(`  ${name.padEnd(10)} ${seconds.toFixed(2).padStart(9)}   ${rate(seconds)}`);
}
console.log(`  ${'end-to-end'.padEnd(10)} ${total.toFixed(2).padStart(9)}   ${rate(total)}   (target >= 50,000 triples/s: ${(triples / total / 50_000).toFixed(2)}x)`);

// Reload at start: a fresh store from the archive on disk.
global.gc?.();
const t1 = performance.now();
const reopened = await openArchive(data, 'bench');
const store = await loadArchiveStore(reopened);
const reload = (performance.now() - t1) / 1000;
const stats = storeStats(store);
peakRss = Math.max(peakRss, process.memoryUsage().rss);
clearInterval(sampler);
console.log(`\nreload: ${stats.triples.toLocaleString('en')} quads in ${stats.graphs.toLocaleString('en')} graphs in ${reload.toFixed(2)} s (target < 10 s: ${(reload / 10).toFixed(2)} of budget)`);
console.log(`peak memory (RSS): ingest ${(ingestPeak / 2 ** 20).toFixed(0)} MiB, overall ${(peakRss / 2 ** 20).toFixed(0)} MiB (target < 2048 MiB)`);
