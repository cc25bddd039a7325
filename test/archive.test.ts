// Archive behaviour: segments, re-ingest, compaction, provenance, listing, atomic failures, recovery and upgrade at open.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Quad } from '@rdfjs/types';
import { DataFactory, Parser } from 'n3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type Archive,
  type BatchInfo,
  listArchives,
  openArchive,
  PROVENANCE_GRAPH,
  type StoredRecord,
} from '../src/archive/archive.ts';
import { snapshotDir, tempDataDir } from './helpers/archive-snapshot.ts';
import { SYNTHETIC_BASE, syntheticRecords } from './helpers/archive-synthetic.ts';

const { namedNode, literal, quad, variable, blankNode } = DataFactory;
const fixtures = new URL('./fixtures/archive/', import.meta.url);
const FIXTURE_BASE = 'http://localhost:8080/id/fixture/';
const INFO: BatchInfo = { mapping: 'mappings/synthetic.yaml', mappingVersion: '1.0.0', agent: 'tester' };

let dataDir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dataDir, cleanup } = await tempDataDir());
});
afterEach(async () => {
  await cleanup();
});

const create = (name = 'synthetic', meta: Record<string, unknown> = {}) =>
  openArchive(dataDir, name, { create: true, meta: { baseIri: SYNTHETIC_BASE, ...meta } });

async function fixtureRecord(path: URL): Promise<StoredRecord> {
  const quads = new Parser({ format: 'TriG' }).parse(await readFile(path, 'utf8'));
  return { recordId: 'session/S1', graph: `${FIXTURE_BASE}session/S1`, quads, sourceFile: 'fixture.trig' };
}

// The record's bytes in its segment, as text.
async function recordText(archive: Archive, id: string): Promise<string> {
  const r = archive.record(id)!;
  const segment = await readFile(join(archive.dir, r.segment));
  return segment.subarray(r.offset, r.offset + r.length).toString('utf8');
}

// Segment files on disk, as manifest paths.
async function segmentFiles(archive: Archive): Promise<string[]> {
  return (await readdir(join(archive.dir, 'segments'))).map((f) => `segments/${f}`).sort();
}

describe('records in segments', async () => {
  const cases = (await readdir(new URL('serialize/', fixtures))).filter((f) => f.endsWith('.trig'));
  it.each(cases)('stores %s as canonical N-Quads in the record graph', async (file) => {
    const archive = await openArchive(dataDir, 'fixture', { create: true, meta: { baseIri: FIXTURE_BASE } });
    await archive.writeBatch([await fixtureRecord(new URL(`serialize/${file}`, fixtures))], INFO);
    const expected = await readFile(new URL(`serialize/${file.replace(/\.trig$/, '.nq')}`, fixtures), 'utf8');
    expect(await recordText(archive, 'session/S1')).toBe(expected);
    expect(archive.record('session/S1')?.triples).toBe(expected.split('\n').length - 1);
  });

  const rejects = (await readdir(new URL('rejects/', fixtures))).filter((f) => f.endsWith('.trig'));
  it.each(rejects)('refuses the record in %s and leaves the archive unchanged', async (file) => {
    const archive = await openArchive(dataDir, 'fixture', { create: true, meta: { baseIri: FIXTURE_BASE } });
    await archive.writeBatch(syntheticRecords(3), INFO);
    const before = await snapshotDir(archive.dir);
    const record = await fixtureRecord(new URL(`rejects/${file}`, fixtures));
    const message = (
      await readFile(new URL(`rejects/${file.replace(/\.trig$/, '.error.txt')}`, fixtures), 'utf8')
    ).trim();
    await expect(
      archive.writeBatch([...syntheticRecords(2, 10, { start: 10 }), record], INFO),
    ).rejects.toThrow(message);
    expect(await snapshotDir(archive.dir)).toEqual(before);
  });

  it.each<[string, Quad, string]>([
    [
      'a literal subject',
      quad(literal('x') as never, namedNode('http://p'), literal('y')),
      'record "r/1", quad 1: subject must be an IRI or a blank node, got a Literal',
    ],
    [
      'a variable object',
      quad(namedNode('http://s'), namedNode('http://p'), variable('o')),
      'record "r/1", quad 1: object cannot be a Variable',
    ],
    [
      'a blank node predicate',
      quad(namedNode('http://s'), blankNode('p') as never, literal('y')),
      'record "r/1", quad 1: predicate must be an IRI, got a BlankNode',
    ],
    [
      'a relative datatype',
      quad(namedNode('http://s'), namedNode('http://p'), literal('y', namedNode('myType'))),
      'record "r/1", quad 1: datatype must be an absolute IRI, got <myType>',
    ],
    [
      'an IRI with a space',
      quad(namedNode('http://s/a b'), namedNode('http://p'), literal('y')),
      'record "r/1", quad 1: subject must be an absolute IRI, got <http://s/a b>',
    ],
    [
      'an invalid language tag',
      quad(namedNode('http://s'), namedNode('http://p'), literal('y', 'en_GB')),
      // n3's literal() lower-cases the tag before the archive sees it.
      'record "r/1", quad 1: invalid language tag "en_gb" on "y"',
    ],
  ])('refuses %s with a message naming record and quad', async (_, bad, message) => {
    const archive = await create();
    const record = { recordId: 'r/1', graph: `${SYNTHETIC_BASE}r/1`, quads: [bad], sourceFile: 'x.csv' };
    await expect(archive.writeBatch([record], INFO)).rejects.toThrow(message);
    expect(archive.records()).toEqual([]);
  });

  it('keeps blank nodes of different records apart and stable across re-ingests', async () => {
    const archive = await create();
    await archive.writeBatch(syntheticRecords(2), INFO);
    const first = await recordText(archive, 'session/S000000');
    const second = await recordText(archive, 'session/S000001');
    const label = (text: string) => /_:(\S+)/.exec(text)![1];
    expect(label(first)).not.toBe(label(second));
    await archive.writeBatch(syntheticRecords(1), INFO);
    expect(await recordText(archive, 'session/S000000')).toBe(first);
  });

  it('writes a batch as one segment file, its records back to back in batch order', async () => {
    const archive = await create();
    const records = syntheticRecords(3, 4).reverse();
    await archive.writeBatch(records, INFO);
    const expected = await readFile(new URL('segments/three-records.nq', fixtures), 'utf8');
    const [{ segment }] = archive.segments();
    expect(segment).toMatch(/^segments\/1-[0-9a-f]{8}\.nq$/);
    expect(archive.segments()).toEqual([{ segment, bytes: Buffer.byteLength(expected) }]);
    expect(await segmentFiles(archive)).toEqual([segment]);
    expect(await readFile(join(archive.dir, segment), 'utf8')).toBe(expected);
    // Four lines per record: S000002, S000001, S000000.
    const lines = expected.split(/(?<=\n)/);
    const lengths = [0, 1, 2].map((i) => Buffer.byteLength(lines.slice(4 * i, 4 * i + 4).join('')));
    expect(archive.records().map((r) => [r.recordId, r.segment, r.offset, r.length])).toEqual([
      ['session/S000000', segment, lengths[0] + lengths[1], lengths[2]],
      ['session/S000001', segment, lengths[0], lengths[1]],
      ['session/S000002', segment, 0, lengths[0]],
    ]);
  });
});

describe('archive names and metadata', () => {
  it.each(['Stroke_Lab', '', '-lab', 'a'.repeat(64), '../etc'])('rejects the name %j', async (name) => {
    await expect(
      openArchive(dataDir, name, { create: true, meta: { baseIri: SYNTHETIC_BASE } }),
    ).rejects.toThrow(
      `invalid archive name ${JSON.stringify(name)}: expected 1 to 63 characters, lower-case letters, digits and '-', ` +
        `starting with a letter or digit (pattern ^[a-z0-9][a-z0-9-]{0,62}$)`,
    );
  });

  it('accepts a 63-character name', async () => {
    const archive = await create('a'.repeat(63));
    expect(archive.name).toBe('a'.repeat(63));
  });

  it('reports a missing archive with the file it looked for', async () => {
    await expect(openArchive(dataDir, 'nope')).rejects.toThrow(
      `archive "nope" not found: ${join(dataDir, 'nope', 'archive.json')} does not exist`,
    );
  });

  it('requires a base IRI to create an archive', async () => {
    await expect(openArchive(dataDir, 'lab', { create: true })).rejects.toThrow(
      'new archive "lab": "baseIri" must be an absolute IRI, got undefined',
    );
    expect(existsSync(join(dataDir, 'lab'))).toBe(false);
  });

  it('writes archive.json with the given metadata and updates modified and mappingVersion per batch', async () => {
    const archive = await create('lab', { title: 'Lab', license: 'CC-BY-4.0', private: true });
    const at = new Date('2025-03-01T10:00:00.000Z');
    await archive.writeBatch(syntheticRecords(1), { ...INFO, mappingVersion: '2.1.0', at });
    const meta = JSON.parse(await readFile(join(archive.dir, 'archive.json'), 'utf8'));
    expect(meta).toEqual({
      name: 'lab',
      baseIri: SYNTHETIC_BASE,
      title: 'Lab',
      license: 'CC-BY-4.0',
      private: true,
      created: archive.meta.created,
      modified: '2025-03-01T10:00:00.000Z',
      mappingVersion: '2.1.0',
    });
    expect((await openArchive(dataDir, 'lab')).meta).toEqual(meta);
  });

  it('names the file and field of invalid metadata', async () => {
    const archive = await create('lab');
    const path = join(archive.dir, 'archive.json');
    const meta = JSON.parse(await readFile(path, 'utf8'));
    await writeFile(path, JSON.stringify({ ...meta, private: 'yes' }));
    await expect(openArchive(dataDir, 'lab')).rejects.toThrow(
      `${path}: "private" must be true or false, got "yes"`,
    );
  });

  it('updates descriptive metadata atomically', async () => {
    const archive = await create('lab', { title: 'Old' });
    await archive.updateMeta({ title: 'New', private: true });
    const reopened = await openArchive(dataDir, 'lab');
    expect([reopened.meta.title, reopened.meta.private]).toEqual(['New', true]);
    await expect(archive.updateMeta({ private: 'no' as never })).rejects.toThrow(
      'archive "lab" metadata: "private" must be true or false, got "no"',
    );
  });
});

describe('batches', () => {
  it('stores a batch and reads the quads back', async () => {
    const archive = await create();
    const records = syntheticRecords(3, 6);
    expect(await archive.writeBatch(records, INFO)).toEqual({
      stored: 3,
      replaced: 0,
      generation: 1,
      graphs: records.map((r) => r.graph),
    });
    expect(archive.stats()).toEqual({ records: 3, triples: 18 });
    const quads = await archive.readRecordQuads('session/S000001');
    expect(quads.map((q) => q.predicate.value)).toEqual(
      (records[1].quads as Quad[]).map((q) => q.predicate.value),
    );
    expect(quads.every((q) => q.graph.value === records[1].graph)).toBe(true);
  });

  it("replaces a record's graph when its id is ingested again", async () => {
    const archive = await create();
    await archive.writeBatch(syntheticRecords(3), INFO);
    const first = archive.record('session/S000002')!.segment;
    const result = await archive.writeBatch(syntheticRecords(2, 4, { start: 2, variant: 'v2' }), INFO);
    expect([result.stored, result.replaced]).toEqual([2, 1]);
    expect(archive.records().map((r) => r.recordId)).toEqual([
      'session/S000000',
      'session/S000001',
      'session/S000002',
      'session/S000003',
    ]);
    const labels = (await archive.readRecordQuads('session/S000002'))
      .filter((q) => q.predicate.value.endsWith('#label'))
      .map((q) => q.object.value);
    expect(labels).toEqual(['Session 2 (v2)']);
    expect(archive.record('session/S000002')!.triples).toBe(4);
    expect(archive.record('session/S000001')!.triples).toBe(10);
    // The first segment keeps S000000 and S000001 (two thirds live) next to the dead old S000002.
    const second = archive.record('session/S000002')!.segment;
    expect(second).toMatch(/^segments\/2-[0-9a-f]{8}\.nq$/);
    expect(archive.records().map((r) => r.segment)).toEqual([first, first, second, second]);
    expect(await segmentFiles(archive)).toEqual(archive.segments().map((s) => s.segment));
    expect(archive.segments().map((s) => s.segment)).toEqual([first, second].sort());
  });

  it('refuses duplicate ids and shared graphs in a batch', async () => {
    const archive = await create();
    const [a, b] = syntheticRecords(2);
    await expect(archive.writeBatch([a, { ...b, recordId: a.recordId }], INFO)).rejects.toThrow(
      'batch record 2 ("session/S000000"): record id "session/S000000" appears twice in the batch',
    );
    await archive.writeBatch([a], INFO);
    await expect(archive.writeBatch([{ ...b, graph: a.graph }], INFO)).rejects.toThrow(
      `record "session/S000001": graph <${a.graph}> already belongs to record "session/S000000"`,
    );
  });

  it('leaves the archive unchanged when a batch fails midway', async () => {
    const archive = await create();
    await archive.writeBatch(syntheticRecords(3), {
      ...INFO,
      report: '[] a <http://www.w3.org/ns/shacl#ValidationReport> .',
    });
    const before = await snapshotDir(archive.dir);
    const failing: BatchInfo = {
      ...INFO,
      report:
        '[] a <http://www.w3.org/ns/shacl#ValidationReport> ; <http://www.w3.org/ns/shacl#conforms> false .',
      onProgress: (p) => {
        if (p.phase === 'record-written' && p.index === 4) throw new Error('disk full (simulated)');
      },
    };
    await expect(
      archive.writeBatch(syntheticRecords(30, 10, { start: 1, variant: 'v2' }), failing),
    ).rejects.toThrow('disk full (simulated)');
    expect(await snapshotDir(archive.dir)).toEqual(before);
    expect((await openArchive(dataDir, 'synthetic')).records()).toEqual(archive.records());
  });

  it('leaves the archive unchanged when the failure comes just before the commit', async () => {
    const archive = await create();
    await archive.writeBatch(syntheticRecords(2), INFO);
    const before = await snapshotDir(archive.dir);
    const failing: BatchInfo = {
      ...INFO,
      onProgress: (p) => {
        if (p.phase === 'prepared') throw new Error('power cut (simulated)');
      },
    };
    await expect(archive.writeBatch(syntheticRecords(5, 10, { variant: 'v2' }), failing)).rejects.toThrow(
      'power cut (simulated)',
    );
    expect(await snapshotDir(archive.dir)).toEqual(before);
  });

  it('removes records atomically and refuses unknown ids', async () => {
    const archive = await create();
    await archive.writeBatch(syntheticRecords(3), INFO);
    const gone = archive.record('session/S000000')!;
    await expect(archive.removeRecords(['session/S000000', 'session/X'])).rejects.toThrow(
      'cannot remove from archive "synthetic": no record "session/X"',
    );
    expect(archive.stats().records).toBe(3);
    expect(await archive.removeRecords(['session/S000000'])).toEqual({
      removed: 1,
      generation: 2,
      graphs: [gone.graph],
    });
    expect(archive.records().map((r) => r.recordId)).toEqual(['session/S000001', 'session/S000002']);
    expect(archive.segments().map((s) => s.segment)).toEqual([gone.segment]);
    expect(await segmentFiles(archive)).toEqual([gone.segment]);
    expect(await readFile(archive.provenancePath, 'utf8')).not.toContain('S000000');
  });

  it('keeps the latest validation report', async () => {
    const archive = await create();
    const report =
      '@prefix sh: <http://www.w3.org/ns/shacl#> .\n[] a sh:ValidationReport ; sh:conforms true .\n';
    await archive.writeBatch(syntheticRecords(1), { ...INFO, report });
    expect(await archive.readReport()).toBe(report);
    await archive.writeBatch(syntheticRecords(1), INFO);
    expect(await archive.readReport()).toBe(report);
    const sh = 'http://www.w3.org/ns/shacl#';
    const quads = [
      quad(
        blankNode('r'),
        namedNode('http://www.w3.org/1999/02/22-rdf-syntax-ns#type'),
        namedNode(`${sh}ValidationReport`),
      ),
      quad(
        blankNode('r'),
        namedNode(`${sh}conforms`),
        literal('false', namedNode('http://www.w3.org/2001/XMLSchema#boolean')),
      ),
    ];
    await archive.writeBatch(syntheticRecords(1), { ...INFO, report: quads });
    expect(await archive.readReport()).toBe(
      '@prefix sh: <http://www.w3.org/ns/shacl#>.\n@prefix xsd: <http://www.w3.org/2001/XMLSchema#>.\n' +
        '@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>.\n\n_:r a sh:ValidationReport;\n    sh:conforms false.\n',
    );
    await expect(archive.writeBatch(syntheticRecords(1), { ...INFO, report: '[] a <x' })).rejects.toThrow(
      'batch: the validation report is not valid Turtle: ',
    );
  });

  it('serializes concurrent batches on one archive', async () => {
    const archive = await create();
    const other = await openArchive(dataDir, 'synthetic');
    await Promise.all([
      archive.writeBatch(syntheticRecords(20), INFO),
      other.writeBatch(syntheticRecords(20, 10, { start: 20 }), INFO),
    ]);
    const reopened = await openArchive(dataDir, 'synthetic');
    expect([reopened.generation, reopened.stats().records]).toEqual([2, 40]);
    expect(await reopened.verify()).toEqual([]);
  });
});

describe('segment compaction and garbage collection', () => {
  it('copies the live records of a mostly dead segment into the new one and deletes the old one', async () => {
    const archive = await create();
    await archive.writeBatch(syntheticRecords(4), INFO);
    const kept = archive.record('session/S000003')!;
    const text = await recordText(archive, 'session/S000003');
    await archive.writeBatch(syntheticRecords(3, 10, { variant: 'v2' }), {
      ...INFO,
      mappingVersion: '2.0.0',
    });
    const [{ segment }] = archive.segments();
    expect(archive.segments()).toHaveLength(1);
    expect(segment).toMatch(/^segments\/2-/);
    expect(await segmentFiles(archive)).toEqual([segment]);
    const moved = archive.record('session/S000003')!;
    // Same bytes and metadata, only the place changed: it comes after the batch's three records.
    expect(moved).toEqual({ ...kept, segment, offset: archive.segments()[0].bytes - kept.length });
    expect(await recordText(archive, 'session/S000003')).toBe(text);
    expect(await archive.verify()).toEqual([]);
    expect(await readFile(archive.provenancePath, 'utf8')).toContain(
      `<${SYNTHETIC_BASE}session/S000003> <http://www.w3.org/ns/prov#wasGeneratedBy> <${SYNTHETIC_BASE}_prov/ingest/1>`,
    );
  });

  it('keeps a segment whose dead records hold at most half of its bytes', async () => {
    const archive = await create();
    await archive.writeBatch(syntheticRecords(2), INFO);
    const [first] = archive.segments();
    await archive.writeBatch(syntheticRecords(1, 10, { variant: 'v2' }), INFO);
    const second = archive.record('session/S000000')!.segment;
    expect(archive.segments().map((s) => s.segment)).toEqual([first.segment, second].sort());
    expect(archive.record('session/S000001')!.segment).toBe(first.segment);
    expect(await segmentFiles(archive)).toEqual(archive.segments().map((s) => s.segment));
  });

  it('deletes a segment once none of its records is left', async () => {
    const archive = await create();
    await archive.writeBatch(syntheticRecords(2), INFO);
    await archive.writeBatch(syntheticRecords(2, 10, { start: 2 }), INFO);
    const [second] = archive.segments().filter((s) => s.segment.startsWith('segments/2-'));
    await archive.removeRecords(['session/S000000', 'session/S000001']);
    expect(archive.segments()).toEqual([second]);
    expect(await segmentFiles(archive)).toEqual([second.segment]);
    await archive.removeRecords(['session/S000002', 'session/S000003']);
    expect(archive.segments()).toEqual([]);
    expect(await segmentFiles(archive)).toEqual([]);
    expect(JSON.parse(await readFile(join(archive.dir, 'manifest.json'), 'utf8'))).toEqual({
      format: 'benchgraph-archive-manifest/2',
      generation: 4,
      segments: {},
      records: {},
    });
  });

  it('compacts on removal too, into a segment of the removal generation', async () => {
    const archive = await create();
    await archive.writeBatch(syntheticRecords(3), INFO);
    const text = await recordText(archive, 'session/S000002');
    await archive.removeRecords(['session/S000000', 'session/S000001']);
    const [{ segment, bytes }] = archive.segments();
    expect(segment).toMatch(/^segments\/2-/);
    expect(bytes).toBe(Buffer.byteLength(text));
    expect(await segmentFiles(archive)).toEqual([segment]);
    expect(await archive.readRecordQuads('session/S000002')).toHaveLength(10);
    expect(archive.record('session/S000002')?.batch).toBe(1);
  });

  it('writes no segment for an empty batch', async () => {
    const archive = await create();
    expect(await archive.writeBatch([], INFO)).toEqual({ stored: 0, replaced: 0, generation: 1, graphs: [] });
    expect(archive.segments()).toEqual([]);
    expect(await segmentFiles(archive)).toEqual([]);
  });
});

describe('provenance', () => {
  it('describes every record graph with PROV-O in the provenance graph', async () => {
    const archive = await openArchive(dataDir, 'fixture', { create: true, meta: { baseIri: FIXTURE_BASE } });
    const record = (id: string, sourceFile: string, sourceLine?: number): StoredRecord => ({
      recordId: id,
      graph: `${FIXTURE_BASE}${id.replace(' ', '')}`,
      quads: [quad(namedNode(`${FIXTURE_BASE}${id.replace(' ', '')}`), namedNode('http://p'), literal(id))],
      sourceFile,
      sourceLine,
    });
    const mapping = 'mappings/stroke-lab.yaml';
    await archive.writeBatch(
      [record('session/S1', 'sessions.csv', 2), record('sample/A 7', 'lab data/samples.json')],
      {
        mapping,
        mappingVersion: '1.0.0',
        agent: 'curator',
        at: new Date('2025-03-01T10:00:00.000Z'),
      },
    );
    await archive.writeBatch([record('session/S1', 'sessions.csv', 3)], {
      mapping,
      mappingVersion: '1.1.0',
      agent: 'ada lovelace',
      at: new Date('2025-03-02T09:30:00.000Z'),
    });
    const expected = await readFile(new URL('provenance/two-batches.nq', fixtures), 'utf8');
    expect(await readFile(archive.provenancePath, 'utf8')).toBe(expected);
    expect(expected).toContain(`<${PROVENANCE_GRAPH}> .\n`);
  });

  it('attributes a batch to the OS user when no agent is given', async () => {
    const archive = await create();
    await archive.writeBatch(syntheticRecords(1), { mapping: 'm', mappingVersion: '1' });
    expect(archive.record('session/S000000')?.agent).toBe(userInfo().username);
    expect(await readFile(archive.provenancePath, 'utf8')).toContain(
      `<${SYNTHETIC_BASE}_prov/agent/${encodeURIComponent(userInfo().username)}>`,
    );
  });
});

describe('listing', () => {
  it('lists archives with record and triple counts, sorted by name', async () => {
    const a = await create('stroke-lab', { title: 'Stroke lab' });
    await a.writeBatch(syntheticRecords(4, 5), INFO);
    const b = await create('imaging', { private: true });
    await b.writeBatch(syntheticRecords(2, 7), INFO);
    await mkdir(join(dataDir, 'not-an-archive'));
    await writeFile(join(dataDir, 'README.txt'), 'hello');
    expect(await listArchives(dataDir)).toEqual([
      { name: 'imaging', title: 'imaging', records: 2, triples: 14, private: true },
      { name: 'stroke-lab', title: 'Stroke lab', records: 4, triples: 20, private: false },
    ]);
  });

  it('lists nothing for a data directory that does not exist', async () => {
    expect(await listArchives(join(dataDir, 'missing'))).toEqual([]);
  });
});

type TamperedManifest = {
  segments: Record<string, { bytes: number }>;
  records: Record<string, { segment: string; offset: number }>;
};

describe('integrity and recovery at open', () => {
  it('deletes files left by an interrupted batch when the archive is opened', async () => {
    const archive = await create();
    await archive.writeBatch(syntheticRecords(2), INFO);
    const before = await snapshotDir(archive.dir);
    await writeFile(join(archive.dir, 'segments', '2-deadbeef.nq'), '<http://a> <http://b> <http://c> .\n');
    await writeFile(join(archive.dir, 'segments', '.tmp-0badf00d'), 'partial');
    await writeFile(join(archive.dir, '.tmp-12345678'), '{"format"');
    await writeFile(join(archive.dir, 'provenance.nq.2.next'), 'next');
    await writeFile(join(archive.dir, 'report.ttl.2.next'), 'next');
    await openArchive(dataDir, 'synthetic');
    expect(await snapshotDir(archive.dir)).toEqual(before);
  });

  it('completes a committed batch whose files were not yet moved into place', async () => {
    const archive = await create();
    await archive.writeBatch(syntheticRecords(2), INFO);
    const meta = JSON.parse(await readFile(join(archive.dir, 'archive.json'), 'utf8'));
    await writeFile(
      join(archive.dir, 'archive.json.1.next'),
      JSON.stringify({ ...meta, title: 'Rolled forward' }),
    );
    await writeFile(
      join(archive.dir, 'report.ttl.1.next'),
      '[] a <http://www.w3.org/ns/shacl#ValidationReport> .\n',
    );
    const reopened = await openArchive(dataDir, 'synthetic');
    expect(reopened.meta.title).toBe('Rolled forward');
    expect(await reopened.readReport()).toBe('[] a <http://www.w3.org/ns/shacl#ValidationReport> .\n');
    expect((await readdir(archive.dir)).sort()).toEqual([
      'archive.json',
      'manifest.json',
      'provenance.nq',
      'report.ttl',
      'segments',
    ]);
  });

  it('detects a record whose bytes no longer match the manifest', async () => {
    const archive = await create();
    await archive.writeBatch(syntheticRecords(2), INFO);
    const entry = archive.record('session/S000001')!;
    const path = join(archive.dir, entry.segment);
    const bytes = await readFile(path);
    bytes.write('<http://a> <http://b> <http://c> <http://g> .', entry.offset);
    await writeFile(path, bytes);
    const sha256 = createHash('sha256')
      .update(bytes.subarray(entry.offset, entry.offset + entry.length))
      .digest('hex');
    const where = `${path} at offset ${entry.offset}, length ${entry.length}`;
    expect(await archive.verify()).toEqual([
      `record "session/S000001": ${where} has sha256 ${sha256}, expected ${entry.sha256}`,
    ]);
    await expect(archive.readRecordQuads('session/S000001')).rejects.toThrow(
      `record "session/S000001": ${where} has sha256 ${sha256}, manifest.json expects ${entry.sha256}`,
    );
    expect(await archive.readRecordQuads('session/S000000')).toHaveLength(10);
  });

  it('detects a truncated segment', async () => {
    const archive = await create();
    await archive.writeBatch(syntheticRecords(2), INFO);
    const [{ segment, bytes }] = archive.segments();
    const path = join(archive.dir, segment);
    const last = archive.record('session/S000001')!;
    await writeFile(path, (await readFile(path)).subarray(0, bytes - 10));
    const problems = await archive.verify();
    expect(problems[0]).toBe(`${path}: ${bytes - 10} bytes, manifest.json expects ${bytes}`);
    expect(problems[1]).toMatch(/^record "session\/S000001": .* has sha256 [0-9a-f]{64}, expected [0-9a-f]{64}$/);
    expect(problems).toHaveLength(2);
    await expect(archive.readRecordQuads('session/S000001')).rejects.toThrow(
      `record "session/S000001": ${path} ends before the end of the record (offset ${last.offset}, length ${last.length})`,
    );
  });

  it.each<[string, (m: TamperedManifest) => void, string]>([
    [
      'a record in an unlisted segment',
      (m) => {
        m.records['session/S000000'].segment = '../../etc/passwd';
      },
      'record "session/S000000": "segment" must be a segment listed in "segments"',
    ],
    [
      'a segment outside segments/',
      (m) => {
        m.segments['../../etc/passwd'] = { bytes: 1 };
      },
      'segment "../../etc/passwd" must be named like segments/<generation>-<8 hex digits>.nq',
    ],
    [
      'a range past the end of its segment',
      (m) => {
        m.records['session/S000000'].offset = 1_000_000;
      },
      `record "session/S000000": "length" must be within the`,
    ],
    [
      'overlapping ranges',
      (m) => {
        m.records['session/S000001'].offset = 1;
      },
      `records "session/S000000" and "session/S000001" overlap in segments/1-`,
    ],
  ])('refuses a manifest with %s', async (_, tamper, message) => {
    const archive = await create();
    await archive.writeBatch(syntheticRecords(2), INFO);
    const path = join(archive.dir, 'manifest.json');
    const manifest = JSON.parse(await readFile(path, 'utf8'));
    tamper(manifest);
    await writeFile(path, JSON.stringify(manifest));
    await expect(openArchive(dataDir, 'synthetic')).rejects.toThrow(`${path}: ${message}`);
  });

  it('takes over the lock of a writer that died', async () => {
    const archive = await create();
    await writeFile(
      join(archive.dir, '.lock'),
      JSON.stringify({ pid: 2 ** 22 + 7, host: hostname(), since: 'x' }),
    );
    await archive.writeBatch(syntheticRecords(1), INFO);
    expect(existsSync(join(archive.dir, '.lock'))).toBe(false);
  });

  it('opens without recovering while another live process holds the lock', async () => {
    const archive = await create();
    await archive.writeBatch(syntheticRecords(1), INFO);
    const lock = JSON.stringify({ pid: process.ppid, host: hostname(), since: '2025-01-01T00:00:00Z' });
    await writeFile(join(archive.dir, '.lock'), lock);
    await writeFile(join(archive.dir, 'segments', '.tmp-inflight'), 'being written by the lock holder');
    const reopened = await openArchive(dataDir, 'synthetic');
    expect(reopened.stats().records).toBe(1);
    expect(await readFile(join(archive.dir, 'segments', '.tmp-inflight'), 'utf8')).toBe(
      'being written by the lock holder',
    );
  });

  it('refuses to write while another live process holds the lock', async () => {
    const archive = await create();
    const host = hostname();
    await writeFile(
      join(archive.dir, '.lock'),
      JSON.stringify({ pid: process.ppid, host, since: '2025-01-01T00:00:00Z' }),
    );
    await expect(archive.writeBatch(syntheticRecords(1), INFO)).rejects.toThrow(
      `archive ${archive.dir} is being written by process ${process.ppid} on ${host} (since 2025-01-01T00:00:00Z); retry when it has finished`,
    );
  });
});

describe('upgrade from format 1 (one file per record)', () => {
  const format1 = new URL('format-1/', fixtures);
  const copyFixture = () => cp(format1, join(dataDir, 'format-1'), { recursive: true });

  it('rewrites the record files as one segment in record id order when the archive is opened', async () => {
    await copyFixture();
    const old = JSON.parse(await readFile(new URL('manifest.json', format1), 'utf8'));
    const archive = await openArchive(dataDir, 'format-1');
    const [{ segment, bytes }] = archive.segments();
    expect(segment).toMatch(/^segments\/2-[0-9a-f]{8}\.nq$/);
    const ids = Object.keys(old.records).sort();
    const texts = await Promise.all(
      ids.map((id) => readFile(join(fileURLToPath(format1), old.records[id].file), 'utf8')),
    );
    expect(await readFile(join(archive.dir, segment), 'utf8')).toBe(texts.join(''));
    expect(bytes).toBe(Buffer.byteLength(texts.join('')));
    let offset = 0;
    expect(archive.records()).toEqual(
      ids.map((recordId, i) => {
        const { file: _, ...rest } = old.records[recordId];
        const entry = { recordId, segment, offset, length: Buffer.byteLength(texts[i]), ...rest };
        offset += entry.length;
        return entry;
      }),
    );
    expect(archive.generation).toBe(2);
    expect((await readdir(archive.dir)).sort()).toEqual([
      'archive.json',
      'manifest.json',
      'provenance.nq',
      'report.ttl',
      'segments',
    ]);
    expect(await readFile(archive.provenancePath, 'utf8')).toBe(
      await readFile(new URL('provenance.nq', format1), 'utf8'),
    );
    expect(await archive.verify()).toEqual([]);
    expect(JSON.parse(await readFile(join(archive.dir, 'manifest.json'), 'utf8')).format).toBe(
      'benchgraph-archive-manifest/2',
    );
    await archive.writeBatch(syntheticRecords(1, 5, { start: 4 }), INFO);
    expect((await openArchive(dataDir, 'format-1')).stats()).toEqual({ records: 5, triples: 27 });
  });

  it('lists a format-1 archive before it is upgraded', async () => {
    await copyFixture();
    expect(await listArchives(dataDir)).toEqual([
      { name: 'format-1', title: 'Format 1', records: 4, triples: 22, private: false },
    ]);
  });

  it('stays format 1, with a message, while another live process holds the lock', async () => {
    await copyFixture();
    const dir = join(dataDir, 'format-1');
    await writeFile(join(dir, '.lock'), JSON.stringify({ pid: process.ppid, host: hostname(), since: 'x' }));
    await expect(openArchive(dataDir, 'format-1')).rejects.toThrow(
      `${join(dir, 'manifest.json')}: format "benchgraph-archive-manifest/1" (one file per record) is upgraded to ` +
        '"benchgraph-archive-manifest/2" when the archive is opened while no other process writes it; open it again then',
    );
    expect(existsSync(join(dir, 'records'))).toBe(true);
  });

  it('names the record whose file is missing and leaves the archive as it was', async () => {
    await copyFixture();
    const dir = join(dataDir, 'format-1');
    const old = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    await rm(join(dir, old.records['session/S000001'].file));
    const before = await snapshotDir(dir);
    await expect(openArchive(dataDir, 'format-1')).rejects.toThrow(
      `cannot upgrade archive ${dir} to benchgraph-archive-manifest/2: record "session/S000001": ENOENT`,
    );
    expect(await snapshotDir(dir)).toEqual({ ...before });
  });
});
