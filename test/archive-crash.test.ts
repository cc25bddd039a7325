// Real crashes: a child process writing a batch is killed with SIGKILL at a known step, then the archive is reopened.
import { type ChildProcess, spawn } from 'node:child_process';
import { cp, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Archive, openArchive } from '../src/archive/archive.ts';
import { snapshotDir, tempDataDir } from './helpers/archive-snapshot.ts';
import { SYNTHETIC_BASE, syntheticRecords } from './helpers/archive-synthetic.ts';

const node = fileURLToPath(new URL('../node_modules/.bin/node', import.meta.url));
const writer = fileURLToPath(new URL('./helpers/archive-crash-writer.ts', import.meta.url));
// The killed batch re-ingests records 3 and 4 of the first batch and adds 198 new ones.
const BATCH = { first: 3, count: 200, variant: 'v2' };

let dataDir: string;
let cleanup: () => Promise<void>;
let archive: Archive;
beforeEach(async () => {
  ({ dataDir, cleanup } = await tempDataDir());
  archive = await openArchive(dataDir, 'crash', {
    create: true,
    meta: { baseIri: SYNTHETIC_BASE, title: 'Crash' },
  });
  await archive.writeBatch(syntheticRecords(5), {
    mapping: 'mappings/synthetic.yaml',
    mappingVersion: 'v1',
    agent: 'setup',
    report: '[] a <http://www.w3.org/ns/shacl#ValidationReport> .\n',
  });
});
afterEach(async () => {
  await cleanup();
});

/** Starts the writer, waits for the first output line starting with `phase`, kills it there with SIGKILL. */
async function killAt(
  phase: string,
  dir = dataDir,
  batch = BATCH,
): Promise<{ lines: string[]; signal: string | null }> {
  const child: ChildProcess = spawn(
    node,
    [writer, dir, 'crash', String(batch.first), String(batch.count), batch.variant],
    { env: { ...process.env, ARCHIVE_CRASH_HANG_AT: phase }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<string | null>((resolve) =>
    child.on('exit', (_code, signal) => resolve(signal)),
  );
  const lines: string[] = [];
  for await (const line of createInterface({ input: child.stdout! })) {
    lines.push(line);
    if (line.startsWith(phase)) {
      child.kill('SIGKILL');
      break;
    }
  }
  const signal = await exited;
  if (!lines.some((l) => l.startsWith(phase))) throw new Error(`writer ended before "${phase}": ${stderr}`);
  return { lines, signal };
}

/** What a reader can observe: every file byte for byte, and every record's quads. */
async function observe(a: Archive) {
  const quads: Record<string, string[]> = {};
  for (const r of a.records()) {
    quads[r.recordId] = (await a.readRecordQuads(r.recordId)).map(
      (q) => `${q.subject.value} ${q.predicate.value} ${q.object.value}`,
    );
  }
  return { files: await snapshotDir(a.dir), quads };
}

describe('a writer killed with SIGKILL', () => {
  it.each(['record-written', 'segment-written', 'prepared'])(
    'at "%s" leaves exactly the previous archive after reopening',
    async (phase) => {
      const before = await observe(archive);
      const { lines, signal } = await killAt(phase);
      expect(signal).toBe('SIGKILL');
      expect(lines.at(-1)).toMatch(new RegExp(`^${phase}`));
      // The kill left debris: a temp or unreferenced segment, pending files, the dead writer's lock.
      expect(Object.keys(await snapshotDir(archive.dir)).length).toBeGreaterThan(
        Object.keys(before.files).length,
      );

      const reopened = await openArchive(dataDir, 'crash');
      expect(await observe(reopened)).toEqual(before);
      expect(reopened.generation).toBe(1);
      expect(await reopened.verify()).toEqual([]);
    },
  );

  it('after the commit leaves exactly the archive an uninterrupted batch gives', async () => {
    // Reference: the same batch run to completion in a copy of the archive.
    const reference = await tempDataDir();
    try {
      await cp(dataDir, reference.dataDir, { recursive: true });
      const { lines: done } = await killAt('done', reference.dataDir);
      expect(done.at(-1)).toBe('done {"stored":200,"replaced":2}');
      const completed = await openArchive(reference.dataDir, 'crash');

      const { signal } = await killAt('committed');
      expect(signal).toBe('SIGKILL');
      const reopened = await openArchive(dataDir, 'crash');

      const summary = (a: Archive) =>
        a.records().map((r) => [r.recordId, r.graph, r.triples, r.sha256, r.batch]);
      expect(summary(reopened)).toEqual(summary(completed));
      expect(reopened.stats()).toEqual({ records: 203, triples: 2030 });
      expect(reopened.records().find((r) => r.recordId === 'session/S000004')?.mappingVersion).toBe('v2');
      expect(await reopened.readReport()).toContain('# v2');
      expect(reopened.meta.mappingVersion).toBe('v2');
      // Only the segments the manifest references remain, and nothing else in the archive directory.
      const files = (await readdir(join(reopened.dir, 'segments'))).map((f) => `segments/${f}`).sort();
      expect(files).toEqual(reopened.segments().map((s) => s.segment));
      expect(files).toEqual([...new Set(reopened.records().map((r) => r.segment))].sort());
      expect((await readdir(reopened.dir)).sort()).toEqual([
        'archive.json',
        'manifest.json',
        'provenance.nq',
        'report.ttl',
        'segments',
      ]);
      expect(await reopened.verify()).toEqual([]);
    } finally {
      await reference.cleanup();
    }
  });

  it('after the commit of a batch that leaves a segment dead, the reopened archive has deleted it', async () => {
    // Re-ingests all five records of the first batch, so its segment has no live record left.
    const [old] = archive.segments();
    const { signal } = await killAt('committed', dataDir, { first: 0, count: 5, variant: 'v2' });
    expect(signal).toBe('SIGKILL');
    expect((await readdir(join(archive.dir, 'segments'))).map((f) => `segments/${f}`)).toContain(old.segment);
    const reopened = await openArchive(dataDir, 'crash');
    expect(reopened.generation).toBe(2);
    const segments = reopened.segments().map((s) => s.segment);
    expect(segments).toHaveLength(1);
    expect(segments[0]).toMatch(/^segments\/2-/);
    expect((await readdir(join(reopened.dir, 'segments'))).map((f) => `segments/${f}`)).toEqual(segments);
    expect(reopened.stats()).toEqual({ records: 5, triples: 50 });
    expect(await reopened.verify()).toEqual([]);
  });
});
