// Runs the import fixture cases of test/fixtures/import (for test/import-fixtures.test.ts), and writes a case's
// expected files: `node test/import-cases.ts --write test/fixtures/import/<case>` (review the diff before committing).
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { Quad } from '@rdfjs/types';
import { DataFactory, Parser, Writer } from 'n3';
import { parse } from 'yaml';
import { openArchive } from '../src/archive/archive.ts';
import { loadConfig } from '../src/config.ts';
import type { FormatName } from '../src/import/formats.ts';
import { type ImportContext, importSources, loadImportContext } from '../src/import/importer.ts';
import { prefixes } from '../src/namespaces.ts';

export const CASES_DIR = join(import.meta.dirname, 'fixtures', 'import');
export const BASE = 'http://localhost:8080/';
const CHECKSUM = `${prefixes.bg}importChecksum`;

export type CaseResult = {
  summary: {
    imported: number;
    replaced: number;
    unchanged: number;
    rejected: { file: string; line?: number; column?: number; place?: string; recordId?: string; reason: string }[];
    warnings: { recordId?: string; kind: string; message: string }[];
  };
  /** Stored record graphs without their import checksum, which follows the mapping files. */
  quads: Quad[];
  checksums: string[];
};

let context: Promise<ImportContext> | undefined;

/** Imports a case's inputs into a fresh archive and reads back what was stored. */
export async function runCase(dir: string): Promise<CaseResult> {
  context ??= loadImportContext(loadConfig({}));
  const ctx = await context;
  const spec = parse(await readFile(join(dir, 'case.yaml'), 'utf8')) as { format: FormatName; archive: string; inputs: string[] };
  const dataDir = await mkdtemp(join(tmpdir(), 'benchgraph-import-case-'));
  try {
    const s = await importSources(ctx, {
      format: spec.format,
      archive: spec.archive,
      dataDir,
      baseIri: BASE,
      paths: spec.inputs.map((p) => join(dir, p)),
      agent: 'test',
      at: new Date('2025-01-01T00:00:00Z'),
    });
    // Messages name files by the path given; the case's folder is left out so expected files are portable.
    const local = (text: string) => text.replaceAll(`${resolve(dir)}/`, '').replaceAll(`${dir}/`, '');
    const archive = await openArchive(dataDir, spec.archive);
    const quads: Quad[] = [];
    const checksums: string[] = [];
    for (const r of archive.records()) {
      for (const q of await archive.readRecordQuads(r.recordId)) {
        if (q.predicate.value === CHECKSUM) checksums.push(q.object.value);
        else quads.push(q);
      }
    }
    return {
      summary: {
        imported: s.imported,
        replaced: s.replaced,
        unchanged: s.unchanged,
        rejected: s.rejected.map((r) => ({ ...r, file: basename(r.file), reason: local(r.reason) })),
        warnings: s.warningList.map((w) => ({ recordId: w.recordId, kind: w.kind, message: local(w.message) })),
      },
      quads,
      checksums,
    };
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** The case folders: every folder of test/fixtures/import with a case.yaml. */
export async function caseNames(): Promise<string[]> {
  const entries = await readdir(CASES_DIR, { withFileTypes: true });
  const names: string[] = [];
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const files = await readdir(join(CASES_DIR, e.name));
    if (files.includes('case.yaml')) names.push(e.name);
  }
  return names.sort();
}

export async function readExpected(dir: string): Promise<{ summary: CaseResult['summary']; quads: Quad[] }> {
  const summary = JSON.parse(await readFile(join(dir, 'expected.json'), 'utf8')) as CaseResult['summary'];
  const quads = new Parser({ format: 'TriG' }).parse(await readFile(join(dir, 'expected.trig'), 'utf8'));
  return { summary, quads };
}

const PREFIXES = {
  bg: prefixes.bg,
  schema: prefixes.schema,
  dcterms: prefixes.dcterms,
  dcat: prefixes.dcat,
  prov: prefixes.prov,
  obo: prefixes.obo,
  rdfs: prefixes.rdfs,
  xsd: prefixes.xsd,
};

async function writeExpected(dir: string): Promise<void> {
  const result = await runCase(dir);
  await writeFile(join(dir, 'expected.json'), `${JSON.stringify(result.summary, null, 2)}\n`);
  const sorted = [...result.quads].sort((a, b) => key(a).localeCompare(key(b)));
  const writer = new Writer({ format: 'TriG', prefixes: PREFIXES });
  writer.addQuads(sorted.map((q) => DataFactory.quad(q.subject, q.predicate, q.object, q.graph)));
  const text = await new Promise<string>((ok, fail) => writer.end((e, t) => (e ? fail(e) : ok(t))));
  await writeFile(join(dir, 'expected.trig'), text);
}

function key(q: Quad): string {
  return `${q.graph.value} ${q.subject.value} ${q.predicate.value} ${q.object.value}`;
}

if (process.argv[1] === import.meta.filename && process.argv[2] === '--write') {
  for (const dir of process.argv.slice(3)) {
    await writeExpected(resolve(dir));
    process.stdout.write(`wrote ${dir}/expected.json and expected.trig\n`);
  }
}
