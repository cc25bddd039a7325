// The named queries of queries/: each says what it is for, and answers as recorded on the demo labs, both from one
// store holding all labs and through the federation of the three lab archives.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Federation } from '../src/federate/federation.ts';
import { federationFor } from '../src/serve/federation-route.ts';
import { createHandler, type Handler } from '../src/serve/handler.ts';
import type { ArchiveStore } from '../src/store/store.ts';
import { comparable, DEMO_LABS, demoDataDir, namedQueries, QUERIES_DIR, unionAnswer, unionStore } from './fixtures/federate/harness.ts';

const queries = await namedQueries();
let dataDir: string;
let store: ArchiveStore;
let handler: Handler;
let federation: Federation;

beforeAll(async () => {
  dataDir = await demoDataDir('queries');
  store = await unionStore(dataDir, DEMO_LABS);
  handler = await createHandler({ dataDir, workers: 1, log: () => {} });
  federation = await federationFor(handler.context);
});

afterAll(async () => {
  await handler?.close(0);
  await rm(dataDir, { recursive: true, force: true });
});

async function expected(name: string) {
  const results = JSON.parse(await readFile(join(QUERIES_DIR, `${name}.expected.srj`), 'utf8'));
  const vars: string[] = results.head.vars ?? [];
  return { vars, rows: comparable(vars, results.results?.bindings ?? []) };
}

describe('queries/', () => {
  it('holds at least one named query per question modelers ask', () => {
    expect(queries.map((q) => q.name)).toEqual([
      'counts-per-archive',
      'files-by-format',
      'licences',
      'modalities-in-several-archives',
      'regions-imaged-and-recorded',
      'sessions-after-stroke',
      'sessions-by-modality',
      'sessions-by-taxon-and-region',
      'sessions-per-modality',
      'unpublished-sessions',
    ]);
  });

  for (const q of queries) {
    describe(q.name, () => {
      it('starts with a purpose line', () => {
        expect(q.text.split('\n')[0]).toMatch(/^# purpose: \S.{20,}$/);
      });

      it('gives its recorded answer on one store holding the demo labs', async () => {
        const want = await expected(q.name);
        expect(want.rows.length).toBeGreaterThan(0);
        expect(unionAnswer(store, q.text).rows).toEqual(want.rows);
      });

      it('gives the same answer through the federation of the demo archives, with no warning', async () => {
        const want = await expected(q.name);
        const result = await federation.query(q.text);
        expect(result.warnings).toEqual([]);
        expect(comparable(want.vars, result.bindings)).toEqual(want.rows);
      });
    });
  }
});
