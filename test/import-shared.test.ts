// The public archives in ../shared/data imported as the demo does: every GIDE crate, IDR study file, DANDI record
// and OME-XML sample is imported or rejected with a reason; 99% of crates import without a violation; every taxon
// is an NCBITaxon PURL; and "all studies of Mus musculus" finds studies in at least three archives, both over one
// store holding them all and through the federation of the served archives.
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listArchives, openArchive } from '../src/archive/archive.ts';
import { loadConfig } from '../src/config.ts';
import { DEMO_ARCHIVES, importDemoArchives } from '../src/import/command.ts';
import { type ImportContext, type ImportSummary, importSources, loadImportContext } from '../src/import/importer.ts';
import { prefixes } from '../src/namespaces.ts';
import { federationFor } from '../src/serve/federation-route.ts';
import { createHandler } from '../src/serve/handler.ts';
import { queryStore } from '../src/store/store.ts';
import { loadUnionStore } from '../src/store/union.ts';

const SHARED = fileURLToPath(new URL('../../shared/data', import.meta.url));
const present = existsSync(SHARED);
const BASE = 'http://localhost:8080/';

if (!present) {
  describe('import of the shared public archives', () => {
    it.skip(`needs the shared data at ${SHARED} (absent here): nothing to import`, () => {});
  });
}

describe.skipIf(!present)('import of the shared public archives', () => {
  let dataDir: string;
  let ctx: ImportContext;
  const summaries = new Map<string, ImportSummary>();

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'benchgraph-import-shared-'));
    const config = { ...loadConfig({}), baseIri: BASE };
    ctx = await loadImportContext(config);
    for (const s of await importDemoArchives(config, dataDir, SHARED, { context: ctx })) summaries.set(s.archive, s);
    // What the demo leaves out: the example crates, IDR's index crate, and the dandischema test fixtures.
    const extra = async (archive: string, format: 'gide' | 'dandi', paths: string[]) => {
      summaries.set(archive, await importSources(ctx, { format, archive, dataDir, baseIri: BASE, paths: paths.map((p) => join(SHARED, p)) }));
    };
    await extra('gide-examples', 'gide', ['gide/example-bia', 'gide/example-idr', 'idr/ro-crates/ro-crate-metadata.json']);
    await extra('dandi-fixtures', 'dandi', ['dandi/dandischema-fixtures']);
  }, 300_000);

  afterAll(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const s = (archive: string) => summaries.get(archive)!;

  it('builds every demo archive', async () => {
    expect([...summaries.keys()]).toEqual([...DEMO_ARCHIVES.map((d) => d.archive), 'gide-examples', 'dandi-fixtures']);
    expect((await listArchives(dataDir)).map((a) => [a.name, a.records])).toEqual([
      ['bia', 608],
      ['dandi', 1],
      ['dandi-fixtures', 0],
      ['empiar', 18],
      ['gide-examples', 3],
      ['idr', 138],
      ['idr-study', 20],
      ['ome', 13],
    ]);
  });

  it('imports at least 99% of the GIDE crates without a violation, and says why the others were not', async () => {
    const crates =
      (await readdir(join(SHARED, 'gide/bia-gide-ro-crates'))).length +
      (await readdir(join(SHARED, 'idr/ro-crates'))).filter((f) => f.endsWith('.json')).length +
      3; // gide/example-bia and the two gide/example-idr crates
    const gide = ['bia', 'empiar', 'idr', 'gide-examples'].map(s);
    expect(gide.reduce((n, x) => n + x.files, 0)).toBe(crates);
    const imported = gide.reduce((n, x) => n + x.imported, 0);
    expect(imported / crates).toBeGreaterThanOrEqual(0.99);
    expect(gide.flatMap((x) => x.rejected.map((r) => r.reason))).toEqual([
      "no study in this crate: the root data entity (the Dataset that the metadata descriptor is 'about') has no identifier; an index crate that only lists sub-crates is not a study (import the sub-crates)",
    ]);
  });

  it('writes every taxon of the imported crates as an NCBITaxon PURL', async () => {
    const bad: string[] = [];
    let taxa = 0;
    for (const name of ['bia', 'empiar', 'idr', 'gide-examples', 'idr-study', 'dandi']) {
      const archive = await openArchive(dataDir, name);
      for (const r of archive.records()) {
        for (const q of await archive.readRecordQuads(r.recordId)) {
          if (q.predicate.value !== `${prefixes.bg}species`) continue;
          taxa++;
          if (q.object.termType !== 'NamedNode' || !/^http:\/\/purl\.obolibrary\.org\/obo\/NCBITaxon_[1-9]\d*$/.test(q.object.value)) {
            bad.push(`${name} ${r.recordId}: ${q.object.value}`);
          }
        }
      }
    }
    expect(taxa).toBeGreaterThan(1000);
    expect(bad).toEqual([]);
  });

  it('finds studies of Mus musculus in at least three archives with one query over their union', async () => {
    const union = await loadUnionStore(dataDir);
    const result = queryStore(
      union.store,
      `PREFIX bg: <${prefixes.bg}>
       PREFIX obo: <${prefixes.obo}>
       SELECT DISTINCT ?g ?study WHERE { GRAPH ?g { ?sample bg:inStudy ?study ; bg:species obo:NCBITaxon_10090 } }`,
    );
    if (result.form !== 'SELECT') throw new Error('expected SELECT results');
    const perArchive = new Map<string, number>();
    for (const row of result.results.results!.bindings) {
      const archive = union.archiveOfGraph.get(String(row.g!.value))!;
      perArchive.set(archive, (perArchive.get(archive) ?? 0) + 1);
    }
    expect([...perArchive.keys()].sort()).toEqual(['bia', 'dandi', 'empiar', 'idr', 'idr-study']);
    expect(perArchive.get('dandi')).toBe(1);
  });

  it('finds them in the same archives through the federation of the served archives, each row naming its archive', async () => {
    const handler = await createHandler({ dataDir, baseIri: BASE, workers: 1, log: () => {} });
    try {
      const result = await (await federationFor(handler.context)).query(
        `PREFIX bg: <${prefixes.bg}>
         PREFIX obo: <${prefixes.obo}>
         SELECT DISTINCT ?study ?_source WHERE { ?sample bg:inStudy ?study ; bg:species obo:NCBITaxon_10090 }`,
      );
      expect(result.warnings).toEqual([]);
      const archives = new Set(result.bindings.map((row) => String(row._source?.value)));
      expect([...archives].sort()).toEqual(['bia', 'dandi', 'empiar', 'idr', 'idr-study']);
    } finally {
      await handler.close(0);
    }
  });

  it('imports the DANDI dandiset with its subjects, sessions and files', async () => {
    expect(s('dandi').rejected).toEqual([]);
    const quads = await (await openArchive(dataDir, 'dandi')).readRecordQuads('study/DANDI-000039');
    const count = (cls: string) => quads.filter((q) => q.predicate.value === `${prefixes.rdf}type` && q.object.value === `${prefixes.bg}${cls}`).length;
    expect([count('Subject'), count('Session'), count('DataFile')]).toEqual([32, 100, 100]);
  });

  it('rejects the dandischema fixtures that cannot stand as studies, each with its reason', () => {
    const reasons = s('dandi-fixtures').rejected.map((r) => r.reason.replace(/^.*?dandischema-fixtures\//, ''));
    expect(reasons.filter((r) => r.includes('A study needs a release date'))).toHaveLength(6);
    expect(reasons.filter((r) => r.includes('was already imported from meta_000004.json in this import'))).toHaveLength(3);
    expect(reasons.filter((r) => r.includes('without their dandiset'))).toHaveLength(5);
    expect(reasons).toHaveLength(14);
  });

  it('imports every IDR study file but the one without a licence, and every OME-XML sample', () => {
    expect(s('idr-study').rejected.map((r) => `${r.recordId}: ${r.reason}`)).toEqual([
      "study/idr0032: SHACL violations: field 'license' (the study): A study needs a licence (field 'license'), e.g. 'CC-BY-4.0' or 'CC0-1.0', so others know how they may reuse the data.",
    ]);
    expect([s('ome').imported, s('ome').rejected]).toEqual([13, []]);
  });
});
