// Slim builder: the mini fixture builds to its committed Turtle, and the committed slims match ../shared.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildSlims, runSlimCommand } from '../src/terms/slim.ts';

const MINI = new URL('./fixtures/terms/mini/', import.meta.url).pathname;
const REPO_SLIMS = new URL('../ontologies/slims/', import.meta.url).pathname;
const SHARED = new URL('../../shared/data/', import.meta.url).pathname;
const COMMAND = 'benchgraph slims --from ../shared/data --out ontologies/slims';

const temps: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'benchgraph-slims-'));
  temps.push(d);
  return d;
}
afterEach(async () => {
  vi.restoreAllMocks();
  for (const d of temps.splice(0)) await rm(d, { recursive: true, force: true });
});

async function sameFiles(expectedDir: string, actualDir: string): Promise<void> {
  const names = (await readdir(expectedDir)).sort();
  expect((await readdir(actualDir)).sort()).toEqual(names);
  for (const n of names) {
    expect(await readFile(join(actualDir, n), 'utf8'), n).toBe(await readFile(join(expectedDir, n), 'utf8'));
  }
}

describe('buildSlims', () => {
  it('builds the mini fixture into the Turtle committed under fixtures/terms/mini/slims', async () => {
    const out = await tempDir();
    const summary = await buildSlims({
      from: join(MINI, 'data'),
      out,
      sources: join(MINI, 'sources.yaml'),
      command: 'benchgraph slims --from data --out slims',
    });
    await sameFiles(join(MINI, 'slims'), out);
    expect(summary.slims.map(({ file: _file, ...r }) => r)).toEqual([
      {
        name: 'zoo',
        missingSeeds: ['ZOO:999'],
        obsoleteSeeds: ['ZOO:50 (replaced by ZOO:100)'],
        droppedLinks: 0,
        terms: 5,
        bytes: 1713,
      },
      { name: 'body', missingSeeds: [], obsoleteSeeds: [], droppedLinks: 1, terms: 9, bytes: 2535 },
      { name: 'img', missingSeeds: [], obsoleteSeeds: [], droppedLinks: 0, terms: 3, bytes: 1582 },
      { name: 'units', missingSeeds: [], obsoleteSeeds: [], droppedLinks: 0, terms: 4, bytes: 1720 },
      {
        name: 'openminds',
        missingSeeds: ['technique/missing'],
        obsoleteSeeds: [],
        droppedLinks: 0,
        terms: 3,
        bytes: 1827,
      },
    ]);
    expect(summary.unmatchedLinks).toEqual([]);
  });

  it.skipIf(!existsSync(join(SHARED, 'ontologies')))(
    'reproduces the committed ontologies/slims from ../shared/data (skipped when ../shared is absent)',
    async () => {
      const out = await tempDir();
      const summary = await buildSlims({ from: SHARED, out, command: COMMAND });
      await sameFiles(REPO_SLIMS, out);
      expect(summary.unmatchedLinks).toEqual([
        'http://purl.obolibrary.org/obo/NCBITaxon_1287507',
        'http://purl.obolibrary.org/obo/NCBITaxon_31138',
        'http://purl.obolibrary.org/obo/NCBITaxon_64278',
      ]);
    },
  );
});

describe('runSlimCommand', () => {
  it('rejects an unknown option with exit code 2', async () => {
    const err = vi.spyOn(process.stderr, 'write').mockReturnValue(true);
    expect(await runSlimCommand(['--form', 'x'])).toBe(2);
    expect(err).toHaveBeenCalledWith(
      'benchgraph slims: unknown option --form (expected --from DIR or --out DIR)\n',
    );
  });

  it('rejects --from without a folder', async () => {
    const err = vi.spyOn(process.stderr, 'write').mockReturnValue(true);
    expect(await runSlimCommand(['--from'])).toBe(2);
    expect(err).toHaveBeenCalledWith('benchgraph slims: --from expects a folder\n');
  });

  it('reports a missing source folder with exit code 1', async () => {
    const err = vi.spyOn(process.stderr, 'write').mockReturnValue(true);
    const out = await tempDir();
    const from = join(out, 'nowhere');
    expect(await runSlimCommand(['--from', from, '--out', out])).toBe(1);
    expect(err).toHaveBeenCalledWith(
      `benchgraph slims: ${from}: no such folder; expected the shared data folder holding the source ontologies (--from DIR)\n`,
    );
  });
});
