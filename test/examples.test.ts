// The demo archives in examples/: every record parses, passes the schema and the whole ingest, except the
// deliberately broken ones in *-needs-fixing.yaml, which fail exactly as the `# expect` lines above them say.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadLicenses, loadMapping, mapRecord, type TermResolver } from '../src/ingest/mapping.ts';
import { type BatchValidator, type CheckedRecord, checkFiles, type Finding } from '../src/ingest/pipeline.ts';
import { readRecordFile, type SourceRecord } from '../src/ingest/records.ts';
import { loadSchema } from '../src/ingest/schema.ts';
import { type Branch, loadTermIndex } from '../src/terms/index.ts';
import { fieldNamer, loadShapes, validateBatch } from '../src/validate/validate.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const examplesDir = join(root, 'examples');
const mapping = loadMapping(join(root, 'mappings', 'bench-record.yaml'));
const schema = loadSchema(mapping.schemaFile);
const licenses = loadLicenses(join(root, 'mappings', 'licenses.yaml'));

const labs = readdirSync(examplesDir, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();
const filesOf = (lab: string) =>
  readdirSync(join(examplesDir, lab))
    .sort()
    .map((f) => join(examplesDir, lab, f));
const isBroken = (file: string) => basename(file).endsWith('-needs-fixing.yaml');

type Expectation = { stage: string; severity: string; field: string; message: string };
type Loaded = { lab: string; source: SourceRecord; expect: Expectation[] };

/** `# expect <stage> <severity> <field>: <message>` lines between the previous record and this one. */
function expectations(file: string, records: SourceRecord[]): Expectation[][] {
  const lines = readFileSync(file, 'utf8').split('\n');
  return records.map((r, i) => {
    const from = i === 0 ? 0 : records[i - 1]!.line;
    return lines
      .slice(from, r.line - 1)
      .map((l) => /^# expect (\S+) (\S+) (\S+): (.*)$/.exec(l))
      .filter((m) => m !== null)
      .map((m) => ({ stage: m[1]!, severity: m[2]!, field: m[3]!, message: m[4]! }));
  });
}

let all: Loaded[] = [];
beforeAll(async () => {
  all = [];
  for (const lab of labs) {
    for (const file of filesOf(lab)) {
      const records = await readRecordFile(file);
      const expected = expectations(file, records);
      for (const [i, source] of records.entries()) all.push({ lab, source, expect: expected[i]! });
    }
  }
});

const key = (r: Loaded) =>
  `${r.lab}/${basename(r.source.file)}:${r.source.line} ${r.source.data.kind}/${r.source.data.id}`;
const countKinds = (lab: string) => {
  const counts: Record<string, number> = {};
  for (const r of all.filter((x) => x.lab === lab))
    counts[String(r.source.data.kind)] = (counts[String(r.source.data.kind)] ?? 0) + 1;
  return counts;
};

describe('examples/', () => {
  it('holds one folder per lab, each in the formats its README names', () => {
    expect(labs).toEqual(['memory-lab', 'stroke-lab', 'visual-lab']);
    expect(filesOf('stroke-lab').map((f) => basename(f))).toEqual([
      'sessions-perfusion.csv',
      'sessions-two-photon.yaml',
      'stroke-lab-needs-fixing.yaml',
      'study.yaml',
      'subjects.yaml',
    ]);
    expect(filesOf('visual-lab').map((f) => basename(f))).toEqual([
      'sessions-neuropixels.json',
      'sessions-two-photon.json',
      'study.json',
      'subjects.json',
      'visual-lab-needs-fixing.yaml',
    ]);
    expect(filesOf('memory-lab').map((f) => basename(f))).toEqual([
      'memory-lab-needs-fixing.yaml',
      'memory-lab.jsonl',
    ]);
    expect(countKinds('stroke-lab')).toEqual({ study: 1, subject: 10, session: 147 });
    expect(countKinds('visual-lab')).toEqual({ study: 2, subject: 8, session: 46 });
    expect(countKinds('memory-lab')).toEqual({ study: 1, subject: 12, session: 61 });
  });

  it('reads a row of the stroke lab session table into a nested session', () => {
    const row = all.find((r) => r.source.data.id === 'M01-WF-D02')!;
    expect(basename(row.source.file)).toBe('sessions-perfusion.csv');
    expect(row.source.fromTable).toBe(true);
    expect(row.source.line).toBe(3);
    expect(row.source.data).toEqual({
      kind: 'session',
      id: 'M01-WF-D02',
      study: 'SR-2024',
      component: 'perfusion',
      subject: 'M01',
      date: '2024-03-07',
      modality: 'widefield',
      region: 'cerebral cortex',
      hemisphere: 'bilateral',
      timepoint: { relativeTo: 'mcao', day: '2', label: 'day 2' },
      instrument: {
        name: 'Macroscope WF-1 (tandem lens)',
        manufacturer: 'custom build',
        type: 'digital camera',
      },
      settings: {
        objective: '50 mm f/1.2 tandem lens, 1x',
        excitationWavelength: '530 nm',
        pixelSize: '21.5 um',
        frameRate: '20 Hz',
        fieldOfView: '11 mm',
      },
      registration: { to: 'M01-WF-BL', method: 'affine, vessel landmarks (elastix 5.1)' },
      files: [
        {
          uri: 's3://stroke-lab/SR-2024/M01/d02/widefield/M01-WF-D02.ome.zarr',
          format: 'OME-Zarr',
          size: '3.6 GB',
          checksum: 'sha256:0a488c9bfb9ca65f0027278d03f5b8c6e0039827561edc661a7de03894a4caeb',
        },
      ],
      analyses: [
        {
          id: 'hemodynamics',
          method: 'hemodynamic response map (reflectance change at 530 nm)',
          software: 'widefield-tools 0.4 (lab code)',
          outputs: [
            {
              uri: 's3://stroke-lab/SR-2024/M01/d02/widefield/M01-WF-D02_hemodynamics.tif',
              format: 'OME-TIFF',
              size: '12 MB',
              checksum: 'sha256:2fe053fc1220eee8cbe2d737b6a6f5eecbf4d4453f6e461ffb7a5761c9accaa1',
            },
          ],
        },
      ],
      publication: { status: 'published', doi: '10.5555/stroke-lab.2024.0117' },
    });
  });

  it('passes the JSON Schema for every record outside the needs-fixing files', () => {
    const failures = all
      .filter((r) => !isBroken(r.source.file))
      .flatMap((r) =>
        schema(structuredClone(r.source.data), r.source.fromTable).map(
          (i) => `${key(r)} ${i.field}: ${i.message}`,
        ),
      );
    expect(failures).toEqual([]);
  });

  it('documents at least one problem for every record in the needs-fixing files, and none elsewhere', () => {
    expect(all.filter((r) => isBroken(r.source.file) && r.expect.length === 0).map(key)).toEqual([]);
    expect(all.filter((r) => !isBroken(r.source.file) && r.expect.length > 0).map(key)).toEqual([]);
    expect(all.filter((r) => isBroken(r.source.file)).length).toBe(12);
  });

  it('fails the JSON Schema for the broken records exactly where documented', () => {
    for (const r of all.filter((x) => isBroken(x.source.file))) {
      const found = schema(structuredClone(r.source.data), r.source.fromTable).map(
        (i) => `${i.field}: ${i.message}`,
      );
      const expected = r.expect.filter((e) => e.stage === 'schema').map((e) => `${e.field}: ${e.message}`);
      expect({ record: key(r), found }).toEqual({ record: key(r), found: expected });
    }
  });

  it('links sessions and subjects only to records, interventions and components of the same lab', () => {
    const problems: string[] = [];
    for (const lab of labs) {
      const records = all
        .filter((r) => r.lab === lab && !r.expect.some((e) => e.stage === 'schema'))
        .map((r) => r.source.data);
      const byKind = (kind: string) =>
        new Map(records.filter((r) => r.kind === kind).map((r) => [String(r.id), r]));
      const studies = byKind('study');
      const subjects = byKind('subject');
      const sessions = byKind('session');
      const ids = (list: unknown) => ((list as { id: string }[] | undefined) ?? []).map((x) => x.id);
      for (const r of records) {
        const where = `${lab} ${r.kind}/${r.id}`;
        if (r.kind !== 'study' && !studies.has(String(r.study)))
          problems.push(`${where}: no study ${r.study}`);
        if (r.kind !== 'session') continue;
        const subject = subjects.get(String(r.subject));
        if (!subject) problems.push(`${where}: no subject ${r.subject}`);
        const tp = r.timepoint as { relativeTo?: string } | undefined;
        if (tp?.relativeTo && !ids(subject?.interventions).includes(tp.relativeTo)) {
          problems.push(`${where}: subject ${r.subject} has no intervention ${tp.relativeTo}`);
        }
        const reg = r.registration as { to: string } | undefined;
        if (reg && (!sessions.has(reg.to) || sessions.get(reg.to)!.subject !== r.subject)) {
          problems.push(`${where}: registered to ${reg.to}, not a session of the same subject`);
        }
        if (r.component && !ids(studies.get(String(r.study))?.components).includes(String(r.component))) {
          problems.push(`${where}: study ${r.study} has no component ${r.component}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('resolves every ontology term of the records outside the needs-fixing files, without a warning', async () => {
    const index = await loadTermIndex(join(root, 'ontologies'));
    const unresolved = new Set<string>();
    const terms: TermResolver = {
      resolve(value, branch) {
        const r = index.resolve(value, branch as Branch);
        if (r.status !== 'resolved' || r.warning) unresolved.add(`${branch} '${value}': ${r.warning}`);
        return r;
      },
    };
    for (const r of all.filter((x) => !isBroken(x.source.file))) {
      const data = structuredClone(r.source.data);
      schema(data, r.source.fromTable); // coerces table cells to the schema's types, as the ingest does
      mapRecord(mapping, data, { base: 'https://example.org/', archive: r.lab, terms, licenses });
    }
    expect([...unresolved].sort()).toEqual([]);
  });

  it('reports, on ingest, exactly the violations and warnings documented, and nothing for the other records', async () => {
    const shapes = await loadShapes(join(root, 'shapes'));
    const validate: BatchValidator = async (records) => {
      const reports = await validateBatch(shapes, records, fieldNamer(mapping, records));
      return new Map(
        records.map((r, i): [string, Finding[]] => [
          r.recordId,
          reports[i]!.results.map((x) => ({
            severity: x.severity,
            field: x.field ?? '',
            message: x.message,
            rule: x.shape,
          })),
        ]),
      );
    };
    const terms = await loadTermIndex(join(root, 'ontologies'));
    const deps = { mapping, schema, terms, licenses, validate };
    const stage = (f: Finding) => (f.rule === 'schema' || f.rule === 'mapping' ? f.rule : 'shacl');
    const line = (f: { stage: string; severity: string; field: string; message: string }) =>
      `${f.stage} ${f.severity} ${f.field}: ${f.message}`;
    const found: string[] = [];
    const wanted: string[] = [];
    for (const lab of labs) {
      const result = await checkFiles(filesOf(lab), { base: 'https://example.org/', archive: lab }, deps);
      expect(result.unreadable).toEqual([]);
      const byPlace = new Map(
        all.filter((r) => r.lab === lab).map((r) => [`${r.source.file}:${r.source.line}`, r] as const),
      );
      for (const rec of result.records as CheckedRecord[]) {
        const at = `${lab}/${basename(rec.file)}:${rec.line} ${rec.recordId}`;
        for (const f of rec.findings)
          if (f.severity !== 'info') found.push(`${at} ${line({ ...f, stage: stage(f) })}`);
        for (const e of byPlace.get(`${rec.file}:${rec.line}`)!.expect) wanted.push(`${at} ${line(e)}`);
        const rejected = byPlace
          .get(`${rec.file}:${rec.line}`)!
          .expect.some((e) => e.severity === 'violation');
        expect({ at, accepted: rec.accepted }).toEqual({ at, accepted: !rejected });
      }
    }
    // Compared as multisets; the unexpected ones are grouped by message so a gap in the vocabulary reads as one line.
    const missing = wanted.filter((w) => !found.includes(w));
    const unexpected: Record<string, number> = {};
    for (const f of found.filter((x) => !wanted.includes(x))) {
      const what = f.slice(f.indexOf(' ', f.indexOf(' ') + 1) + 1);
      unexpected[what] = (unexpected[what] ?? 0) + 1;
    }
    expect({ missing, unexpected }).toEqual({ missing: [], unexpected: {} });
  });
});
