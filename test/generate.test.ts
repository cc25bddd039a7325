// The synthetic federation: seeded and byte-reproducible, valid against the schema, varied, and big enough.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  DEFAULT_SESSIONS_PER_LAB,
  generateFederation,
  generateLab,
  mulberry32,
  runGenerateCommand,
} from '../src/generate.ts';
import { loadLicenses, loadMapping, mapRecord, type TermResolver } from '../src/ingest/mapping.ts';
import { type Branch, loadTermIndex } from '../src/terms/index.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const mapping = loadMapping(join(root, 'mappings', 'bench-record.yaml'));
const licenses = loadLicenses(join(root, 'mappings', 'licenses.yaml'));
/** Resolves every term to a made-up IRI, so triple counts do not depend on the vocabulary. */
const anyTerm: TermResolver = {
  resolve: (value, branch) => ({
    status: 'resolved',
    iri: `urn:test:${branch}:${encodeURIComponent(value)}`,
    label: value,
    match: 'exact',
  }),
};

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'benchgraph-generate-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Every file under `base`, relative path -> content. */
async function snapshot(base: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(base, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out[relative(base, path)] = await readFile(path, 'utf8');
  }
  return out;
}

const parseLines = (text: string) =>
  text
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('mulberry32', () => {
  it('gives the same stream for the same seed', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const first = [a(), a(), a()];
    expect([b(), b(), b()]).toEqual(first);
    expect(first.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(mulberry32(43)()).not.toBe(first[0]);
  });
});

describe('generateFederation', () => {
  it('writes byte-identical files for the same seed', async () => {
    const a = await generateFederation({ labs: 3, seed: 7, sessionsPerLab: 120, out: join(dir, 'a') });
    const b = await generateFederation({ labs: 3, seed: 7, sessionsPerLab: 120, out: join(dir, 'b') });
    expect(a.records).toBe(b.records);
    const snapA = await snapshot(join(dir, 'a'));
    expect(Object.keys(snapA).sort()).toEqual([
      'lab-001/records-001.jsonl',
      'lab-002/records-001.jsonl',
      'lab-003/records-001.jsonl',
    ]);
    expect(await snapshot(join(dir, 'b'))).toEqual(snapA);
  });

  it('writes different records for a different seed', async () => {
    await generateFederation({ labs: 2, seed: 7, sessionsPerLab: 60, out: join(dir, 'a') });
    await generateFederation({ labs: 2, seed: 8, sessionsPerLab: 60, out: join(dir, 'b') });
    const a = await snapshot(join(dir, 'a'));
    const b = await snapshot(join(dir, 'b'));
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    for (const file of Object.keys(a)) expect(b[file]).not.toBe(a[file]);
  });

  it('gives a lab the same records however many labs are generated', async () => {
    await generateFederation({ labs: 2, seed: 5, sessionsPerLab: 40, out: join(dir, 'two') });
    await generateFederation({ labs: 4, seed: 5, sessionsPerLab: 40, out: join(dir, 'four') });
    const two = await snapshot(join(dir, 'two'));
    const four = await snapshot(join(dir, 'four'));
    expect(four['lab-002/records-001.jsonl']).toBe(two['lab-002/records-001.jsonl']);
  });

  it('chunks a lab into files of recordsPerFile lines, one JSON record per line', async () => {
    const result = await generateFederation({
      labs: 1,
      seed: 3,
      sessionsPerLab: 250,
      out: dir,
      recordsPerFile: 100,
    });
    expect(result.files.map((f) => relative(dir, f))).toEqual([
      'lab-001/records-001.jsonl',
      'lab-001/records-002.jsonl',
      'lab-001/records-003.jsonl',
    ]);
    const chunks = await Promise.all(result.files.map(async (f) => parseLines(await readFile(f, 'utf8'))));
    expect(chunks.map((c) => c.length)).toEqual([100, 100, result.records - 200]);
    const records = chunks.flat();
    const kinds = records.map((r) => r.kind);
    // Studies first, then subjects (250 / 12 sessions per subject, rounded), then the sessions.
    expect(kinds.filter((k) => k === 'session').length).toBe(250);
    expect(kinds.filter((k) => k === 'subject').length).toBe(21);
    expect(kinds.indexOf('subject')).toBe(kinds.lastIndexOf('study') + 1);
    expect(kinds.indexOf('session')).toBe(kinds.lastIndexOf('subject') + 1);
    expect(result.records).toBe(records.length);
  });

  it('removes record chunks an earlier, bigger run left in a lab folder, and nothing else', async () => {
    await generateFederation({ labs: 1, seed: 3, sessionsPerLab: 250, out: dir, recordsPerFile: 100 });
    await writeFile(join(dir, 'lab-001', 'notes.txt'), 'kept\n');
    await generateFederation({ labs: 1, seed: 3, sessionsPerLab: 50, out: dir, recordsPerFile: 100 });
    expect((await readdir(join(dir, 'lab-001'))).sort()).toEqual(['notes.txt', 'records-001.jsonl']);
  });

  it('rejects a lab count, session count or seed that is not a whole number', async () => {
    await expect(generateFederation({ labs: 0, seed: 1, out: dir })).rejects.toThrow(
      'labs must be an integer >= 1, got 0',
    );
    await expect(generateFederation({ labs: 1, seed: 1, sessionsPerLab: 2.5, out: dir })).rejects.toThrow(
      'sessionsPerLab must be an integer >= 1, got 2.5',
    );
    await expect(generateFederation({ labs: 1, seed: Number.NaN, out: dir })).rejects.toThrow(
      'seed must be an integer, got NaN',
    );
  });
});

describe('generated records', () => {
  // Seven labs cover every theme: stroke, vision, memory, motor, olfaction, zebrafish, primate.
  const labs = Array.from({ length: 7 }, (_, i) => generateLab(i + 1, 2024, 200));

  it('validate against the bench record JSON Schema', async () => {
    const schema = JSON.parse(await readFile(join(root, 'mappings', 'bench-record.v1.schema.json'), 'utf8'));
    const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
    const failures: string[] = [];
    for (const r of labs.flat()) {
      const valid: boolean = validate(r);
      if (!valid) failures.push(`${r.kind}/${r.id}: ${JSON.stringify(validate.errors)}`);
    }
    expect(failures).toEqual([]);
  });

  it('vary species, modalities, regions, formats and publication status', () => {
    const values = (field: string, kind = 'session') =>
      new Set(
        labs
          .flat()
          .filter((r) => r.kind === kind)
          .map((r) => String(r[field])),
      );
    expect([...values('species', 'subject')].sort()).toEqual([
      'Danio rerio',
      'Macaca mulatta',
      'Mus musculus',
      'Rattus norvegicus',
    ]);
    const modalities = [...values('modality')];
    for (const m of [
      'two-photon',
      'widefield',
      'laser speckle',
      'Neuropixels',
      'LFP',
      'SPIM',
      'confocal microscopy',
    ]) {
      expect(modalities).toContain(m);
    }
    expect(values('region').size).toBeGreaterThanOrEqual(25);
    const sessions = labs.flat().filter((r) => r.kind === 'session');
    const formats = new Set(sessions.flatMap((s) => (s.files as { format: string }[]).map((f) => f.format)));
    expect([...formats].sort()).toEqual(['CZI', 'NWB', 'OME-TIFF', 'OME-Zarr', 'TIFF', 'binary']);
    const statuses = new Set(sessions.map((s) => (s.publication as { status: string }).status));
    expect([...statuses].sort()).toEqual(['in-preparation', 'published', 'submitted', 'unpublished']);
  });

  it('register later sessions to an earlier session of the same subject and modality', () => {
    for (const lab of labs) {
      const sessions = new Map(lab.filter((r) => r.kind === 'session').map((r) => [String(r.id), r]));
      for (const s of sessions.values()) {
        const reg = s.registration as { to: string } | undefined;
        if (!reg) continue;
        const target = sessions.get(reg.to);
        expect({ session: s.id, target: target && [target.subject, target.component] }).toEqual({
          session: s.id,
          target: [s.subject, s.component],
        });
      }
    }
  });

  it('map without issues, at 40 to 80 triples per session', () => {
    let sessions = 0;
    let triples = 0;
    const issues: string[] = [];
    labs.forEach((records, i) => {
      for (const r of records) {
        const mapped = mapRecord(mapping, r, {
          base: 'https://example.org/',
          archive: `lab-${i + 1}`,
          terms: anyTerm,
          licenses,
        });
        issues.push(...mapped.issues.map((x) => `${mapped.recordId} ${x.field}: ${x.message}`));
        if (r.kind === 'session') {
          sessions++;
          triples += mapped.quads.length;
        }
      }
    });
    expect(issues).toEqual([]);
    const mean = triples / sessions;
    expect(mean).toBeGreaterThan(40);
    expect(mean).toBeLessThan(80);
  });

  it('use only ontology terms the term index resolves without a warning', async () => {
    const index = await loadTermIndex(join(root, 'ontologies'));
    const unresolved = new Set<string>();
    const terms: TermResolver = {
      resolve(value, branch) {
        const r = index.resolve(value, branch as Branch);
        if (r.status !== 'resolved' || r.warning) unresolved.add(`${branch} '${value}': ${r.warning}`);
        return r;
      },
    };
    for (const r of labs.flat())
      mapRecord(mapping, r, { base: 'https://example.org/', archive: 'lab', terms, licenses });
    expect([...unresolved].sort()).toEqual([]);
  });

  it('reach a million triples with ten labs at the default size', () => {
    let triples = 0;
    for (let lab = 1; lab <= 10; lab++) {
      for (const r of generateLab(lab, 1, DEFAULT_SESSIONS_PER_LAB)) {
        triples += mapRecord(mapping, r, {
          base: 'https://example.org/',
          archive: `lab-${lab}`,
          terms: anyTerm,
          licenses,
        }).quads.length;
      }
    }
    expect(triples).toBeGreaterThan(1_000_000);
  });
});

describe('runGenerateCommand', () => {
  it('writes the labs under --out and says what it wrote', async () => {
    const printed: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      printed.push(String(chunk));
      return true;
    });
    const code = await runGenerateCommand([
      '--labs',
      '2',
      '--seed',
      '9',
      '--sessions',
      '24',
      '--out',
      dir,
    ]).finally(() => spy.mockRestore());
    expect(code).toBe(0);
    const files = await snapshot(dir);
    expect(Object.keys(files).sort()).toEqual(['lab-001/records-001.jsonl', 'lab-002/records-001.jsonl']);
    const records = Object.values(files).reduce((n, text) => n + parseLines(text).length, 0);
    expect(printed.join('')).toBe(
      `wrote ${records} records (2 labs x 24 sessions, plus studies and subjects) in 2 files under ${dir}\n` +
        '  lab-001/records-001.jsonl\n' +
        '  lab-002/records-001.jsonl\n' +
        '  about 3000 triples after mapping (~60 per session)\n',
    );
  });

  it('explains the usage and exits 2 on a missing or malformed option', async () => {
    const printed: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      printed.push(String(chunk));
      return true;
    });
    try {
      expect(await runGenerateCommand(['--seed', '1'])).toBe(2);
      expect(await runGenerateCommand(['--labs', 'ten', '--seed', '1'])).toBe(2);
      expect(await runGenerateCommand(['--labs', '1', '--seed', '1', '--colour', 'red'])).toBe(2);
      expect(await runGenerateCommand(['--labs', '1', '--seed'])).toBe(2);
    } finally {
      spy.mockRestore();
    }
    const usage = 'usage: benchgraph generate --labs N --seed S [--sessions N] [--out DIR]\n';
    expect(printed).toEqual([
      `benchgraph generate: --labs is required\n${usage}`,
      `benchgraph generate: --labs expects a whole number, got 'ten'\n${usage}`,
      `benchgraph generate: unknown argument '--colour'\n${usage}`,
      `benchgraph generate: --seed needs a value\n${usage}`,
    ]);
  });
});
