// The import pipeline: source files of one format -> JSON-LD -> RDF -> SPARQL mapping -> normalised terms ->
// derived terms -> SHACL -> one named graph per study in an archive; studies whose source is unchanged are skipped.
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Quad } from '@rdfjs/types';
import { DataFactory, Parser } from 'n3';
import { type Archive, openArchive } from '../archive/archive.ts';
import { type Config, projectRoot } from '../config.ts';
import { type LicenseTable, loadLicenses } from '../ingest/mapping.ts';
import { UnreadableInputError } from '../ingest/records.ts';
import { BENCHGRAPH, ns } from '../namespaces.ts';
import { QueryError, type SparqlJsonTerm } from '../store/store.ts';
import { loadTermIndex, type TermIndex } from '../terms/index.ts';
import { loadShapes, type Shapes, validateBatch } from '../validate/validate.ts';
import { deriveTerms } from './enrich.ts';
import { type FormatName, type ImportFormat, type ImportSettings, loadFormat, loadImportSettings } from './formats.ts';
import { type ContextLoader, correctTypeNames, localContextLoader, toQuads, UnknownContextError } from './jsonld.ts';
import { type Notice, normalizeIris, resolveTermValues } from './normalize.ts';
import { readSource, type SourceDocument } from './readers.ts';
import { openScratch, type Scratch } from './scratch.ts';

const { namedNode, literal, quad } = DataFactory;

/** The import's own namespace: parameters handed to the mapping queries in the scratch store (never stored). */
export const IMPORT_NS = `${BENCHGRAPH}import#`;
/** Base IRI against which a source's relative ids are resolved; such ids are renamed under the record's IRI. */
export const SOURCE_BASE = `${BENCHGRAPH}import/source/`;
const RUN = namedNode(`${IMPORT_NS}run`);
const WARNING = `${IMPORT_NS}warning`;
const IMPORT_CHECKSUM = ns.bg('importChecksum');

/** Everything an import needs, loaded once and shared by every import of a process. */
export type ImportContext = {
  mappingsDir: string;
  settings: ImportSettings;
  terms: TermIndex;
  shapes: Shapes;
  licenses: LicenseTable;
  format(name: FormatName): ImportFormat;
  loader(format: ImportFormat): ContextLoader;
  /** Hash of everything that decides a format's output: its descriptor, queries and contexts, and import.yaml. */
  mappingHash(format: ImportFormat): Promise<string>;
};

export async function loadImportContext(
  config: Pick<Config, 'ontologiesDir' | 'shapesDir' | 'licensesFile'>,
  mappingsDir = join(projectRoot, 'mappings'),
): Promise<ImportContext> {
  const [terms, shapes] = await Promise.all([loadTermIndex(config.ontologiesDir), loadShapes(config.shapesDir)]);
  const settings = loadImportSettings(mappingsDir);
  const formats = new Map<FormatName, ImportFormat>();
  const loaders = new Map<string, ContextLoader>();
  const hashes = new Map<string, Promise<string>>();
  return {
    mappingsDir,
    settings,
    terms,
    shapes,
    licenses: loadLicenses(config.licensesFile),
    format(name) {
      let f = formats.get(name);
      if (!f) {
        f = loadFormat(mappingsDir, name);
        formats.set(name, f);
      }
      return f;
    },
    loader(format) {
      let l = loaders.get(format.name);
      if (!l) {
        l = localContextLoader(new Map([...settings.contexts, ...format.contexts]));
        loaders.set(format.name, l);
      }
      return l;
    },
    mappingHash(format) {
      let h = hashes.get(format.name);
      if (!h) {
        const files = [settings.file, format.file, format.record.file, ...format.construct.map((q) => q.file)];
        files.push(...new Set([...settings.contexts.values(), ...format.contexts.values()]));
        h = Promise.all(files.map((f) => readFile(f))).then((all) => sha256(all));
        hashes.set(format.name, h);
      }
      return h;
    },
  };
}

export type ImportOptions = {
  format: FormatName;
  archive: string;
  dataDir: string;
  baseIri: string;
  /** Files and directories; a directory imports every file under it that the format's `files` pattern matches. */
  paths: string[];
  /** Under directories, only files whose name also matches this (the demo splits one folder into archives). */
  only?: RegExp;
  /** Who imported (default: the OS user). */
  agent?: string;
  /** archive.json title and description when the import creates the archive. */
  title?: string;
  description?: string;
  /** Import time (tests). */
  at?: Date;
};

/** A source, or part of one, that was not imported, and why. */
export type Rejection = { file: string; line?: number; column?: number; place?: string; recordId?: string; reason: string };
export type ImportWarning = { kind: string; message: string; file: string; recordId?: string };

export type ImportSummary = {
  archive: string;
  format: FormatName;
  mapping: string;
  mappingVersion: string;
  files: number;
  /** Records stored new, replaced (changed source or mapping), and skipped because nothing changed. */
  imported: number;
  replaced: number;
  unchanged: number;
  rejected: Rejection[];
  /** Number of warnings of each kind. */
  warnings: Record<string, number>;
  warningList: ImportWarning[];
  triples: number;
  seconds: number;
  /** Seconds per stage: read (files and JSON-LD), map (SPARQL and normalisation), enrich, validate, store. */
  timings: { read: number; map: number; enrich: number; validate: number; store: number };
  /** The summary for people, line by line. */
  lines: string[];
};

type Mapped = { recordId: string; graph: string; file: string; line?: number; quads: Quad[]; notices: Notice[] };

/** Imports the sources of one format into one archive. Bad sources are rejected with reasons; the rest goes on. */
export async function importSources(ctx: ImportContext, opts: ImportOptions): Promise<ImportSummary> {
  const started = performance.now();
  const format = ctx.format(opts.format);
  const loader = ctx.loader(format);
  const mappingHash = await ctx.mappingHash(format);
  const timings = { read: 0, map: 0, enrich: 0, validate: 0, store: 0 };
  const rejected: Rejection[] = [];
  const warningList: ImportWarning[] = [];
  const archive = await openArchive(opts.dataDir, opts.archive, {
    create: true,
    meta: { baseIri: opts.baseIri, title: opts.title, description: opts.description },
  });
  const files = await expandImportInputs(format, opts.paths, opts.only);
  const scratch = await openScratch();
  const mapped: Mapped[] = [];
  const seen = new Map<string, string>();
  let unchanged = 0;

  for (const file of files) {
    const t = performance.now();
    let documents: SourceDocument[];
    try {
      documents = await readSource(file, format);
    } catch (err) {
      if (!(err instanceof UnreadableInputError)) throw err;
      rejected.push({ file, line: err.line, column: err.column, reason: err.message });
      continue;
    } finally {
      timings.read += (performance.now() - t) / 1000;
    }
    for (const source of documents) {
      for (const s of source.skipped) rejected.push({ file: source.file, place: s.place, reason: s.reason });
      const outcome = await mapDocument(ctx, format, loader, scratch, source, opts, mappingHash, archive, seen, timings);
      if (outcome.kind === 'rejected') rejected.push(outcome.rejection);
      else if (outcome.kind === 'unchanged') unchanged++;
      else mapped.push(outcome.record);
    }
  }

  // SHACL over every mapped study at once: violations reject a study, warnings are reported with it.
  let t = performance.now();
  const reports = await validateBatch(ctx.shapes, mapped.map((m) => ({ recordId: m.recordId, quads: m.quads })));
  timings.validate = (performance.now() - t) / 1000;
  const accepted: Mapped[] = [];
  const reportQuads: Quad[] = [];
  reports.forEach((report, i) => {
    const m = mapped[i]!;
    for (const r of report.results) {
      if (r.severity === 'warning') {
        m.notices.push({ kind: `shacl:${localName(r.shape)}`, message: `${r.field ? `field '${r.field}': ` : ''}${r.message}` });
      }
    }
    if (report.results.length > 0) reportQuads.push(...new Parser().parse(report.toTurtle()));
    if (report.conforms) {
      accepted.push(m);
      return;
    }
    const violations = report.results.filter((r) => r.severity === 'violation');
    rejected.push({
      file: m.file,
      line: m.line,
      recordId: m.recordId,
      reason: `SHACL violations: ${violations.map((r) => `${r.field ? `field '${r.field}' ` : ''}(${relativeNode(r.focusNode, m.graph)}): ${r.message}`).join('; ')}`,
    });
  });
  for (const m of mapped) for (const n of m.notices) warningList.push({ kind: n.kind, message: n.message, file: m.file, recordId: m.recordId });

  t = performance.now();
  const batch =
    accepted.length > 0
      ? await archive.writeBatch(
          accepted.map((m) => ({
            recordId: m.recordId,
            graph: m.graph,
            quads: m.quads,
            sourceFile: displayPath(m.file),
            ...(m.line === undefined ? {} : { sourceLine: m.line }),
          })),
          {
            mapping: mappingName(format),
            mappingVersion: format.version,
            agent: opts.agent,
            report: reportQuads,
            at: opts.at,
          },
        )
      : { stored: 0, replaced: 0 };
  timings.store = (performance.now() - t) / 1000;

  const warnings: Record<string, number> = {};
  for (const w of warningList) warnings[w.kind] = (warnings[w.kind] ?? 0) + 1;
  const summary: ImportSummary = {
    archive: opts.archive,
    format: format.name,
    mapping: mappingName(format),
    mappingVersion: format.version,
    files: files.length,
    imported: batch.stored - batch.replaced,
    replaced: batch.replaced,
    unchanged,
    rejected,
    warnings: Object.fromEntries(Object.entries(warnings).sort(([a], [b]) => (a < b ? -1 : 1))),
    warningList,
    triples: accepted.reduce((n, m) => n + m.quads.length, 0),
    seconds: (performance.now() - started) / 1000,
    timings,
    lines: [],
  };
  summary.lines = summaryLines(summary);
  return summary;
}

type Outcome =
  | { kind: 'rejected'; rejection: Rejection }
  | { kind: 'unchanged' }
  | { kind: 'mapped'; record: Mapped };

async function mapDocument(
  ctx: ImportContext,
  format: ImportFormat,
  loader: ContextLoader,
  scratch: Scratch,
  source: SourceDocument,
  opts: ImportOptions,
  mappingHash: string,
  archive: Archive,
  seen: Map<string, string>,
  timings: ImportSummary['timings'],
): Promise<Outcome> {
  const where = { file: source.file, line: source.line, place: source.place };
  const reject = (reason: string, recordId?: string): Outcome => ({ kind: 'rejected', rejection: { ...where, recordId, reason } });
  const notices: Notice[] = [...source.notices];
  const sourceBase = `${SOURCE_BASE}${encodeURIComponent(basename(source.file))}`;

  let t = performance.now();
  let quads: Quad[];
  try {
    notices.push(...correctTypeNames(source.document, loader.termsOf(source.document['@context'])));
    const expanded = await toQuads(source.document, { base: sourceBase, loader });
    quads = expanded.quads;
    notices.push(...expanded.notices);
  } catch (err) {
    const unknown = findCause(err, UnknownContextError);
    if (unknown) return reject(unknown.message);
    const e = err as Error & { name?: string; details?: { code?: string } };
    if (e.name?.startsWith('jsonld.')) {
      return reject(`not valid JSON-LD: ${e.message}${e.details?.code ? ` (${e.details.code})` : ''}`);
    }
    throw err;
  }
  timings.read += (performance.now() - t) / 1000;
  t = performance.now();

  const normalized = normalizeIris(quads, ctx.terms);
  notices.push(...normalized.notices);
  const params = [quad(RUN, namedNode(`${IMPORT_NS}sourceBase`), literal(SOURCE_BASE))];
  scratch.reset([...normalized.quads, ...params]);
  const rows = runSelect(scratch, format.record.text, format.record.file);
  const row = rows[0];
  if (!row?.kind || !row.accession) return reject(format.noRecord);
  const kind = row.kind.value as string;
  const accession = String(row.accession.value);
  const slug = accession.replace(/[^A-Za-z0-9._-]+/g, '-');
  const recordId = `${kind}/${slug}`;
  const recordIri = `${opts.baseIri}id/${opts.archive}/${kind}/${slug}`;
  const first = seen.get(recordId);
  if (first !== undefined) return reject(`${recordId} was already imported from ${first} in this import; each study may come from one source`, recordId);
  seen.set(recordId, `${basename(source.file)}${source.place ? ` (${source.place})` : ''}`);

  const checksum = `sha256:${sha256([Buffer.from(`${format.name}\n${mappingHash}\n${opts.baseIri}\n${opts.archive}\n`), ...source.bytes])}`;
  if (await isUnchanged(archive, recordId, checksum, mappingName(format), format.version)) {
    timings.map += (performance.now() - t) / 1000;
    return { kind: 'unchanged' };
  }

  const rowParams = Object.entries(row)
    .filter(([name]) => name !== 'kind' && name !== 'accession')
    .map(([name, term]) => quad(RUN, namedNode(`${IMPORT_NS}${name}`), jsonTerm(term)));
  scratch.add([...rowParams, quad(RUN, namedNode(`${IMPORT_NS}record`), namedNode(recordIri))]);
  const constructed: Quad[] = [];
  for (const q of format.construct) constructed.push(...runConstruct(scratch, q.text, q.file));

  // Warnings the mapping queries state (`bgi:warning "kind: message"`) are reported, not stored.
  const graph = namedNode(recordIri);
  const body: Quad[] = [];
  const keys = new Set<string>();
  for (const q of constructed) {
    if (q.predicate.value === WARNING) {
      const text = q.object.value;
      const i = text.indexOf(': ');
      notices.push(i > 0 ? { kind: text.slice(0, i), message: text.slice(i + 2) } : { kind: 'mapping', message: text });
      continue;
    }
    const key = `${termKey(q.subject)} ${termKey(q.predicate)} ${termKey(q.object)}`;
    if (keys.has(key)) continue;
    keys.add(key);
    body.push(q);
  }
  const resolved = resolveTermValues(body, {
    terms: ctx.terms,
    branches: ctx.settings.terms,
    values: format.values,
    licenses: ctx.licenses,
    licensePredicates: ctx.settings.licenses,
    sourceBase: SOURCE_BASE,
    recordIri,
  });
  notices.push(...resolved.notices);
  timings.map += (performance.now() - t) / 1000;
  t = performance.now();
  const derived = deriveTerms(resolved.quads, {
    recordIri,
    terms: ctx.terms,
    ...ctx.settings.enrichment,
  });
  timings.enrich += (performance.now() - t) / 1000;
  const all = [...resolved.quads, ...derived, quad(graph, IMPORT_CHECKSUM, literal(checksum))];
  return {
    kind: 'mapped',
    record: {
      recordId,
      graph: recordIri,
      file: source.file,
      line: source.line,
      quads: all.map((q) => quad(q.subject, q.predicate, q.object, graph)),
      notices: dedupe(notices),
    },
  };
}

/** True when the archive holds the record, written by this mapping version from the same source bytes. */
async function isUnchanged(archive: Archive, recordId: string, checksum: string, mapping: string, version: string): Promise<boolean> {
  const entry = archive.record(recordId);
  if (!entry || entry.mapping !== mapping || entry.mappingVersion !== version) return false;
  const stored = await archive.readRecordQuads(recordId);
  return stored.some((q) => q.predicate.equals(IMPORT_CHECKSUM) && q.object.value === checksum);
}

function runSelect(scratch: Scratch, query: string, file: string): Record<string, SparqlJsonTerm>[] {
  try {
    return scratch.select(query);
  } catch (err) {
    if (err instanceof QueryError) throw new Error(`${file}: ${err.message}`, { cause: err });
    throw err;
  }
}

function runConstruct(scratch: Scratch, query: string, file: string): Quad[] {
  try {
    return scratch.construct(query);
  } catch (err) {
    if (err instanceof QueryError) throw new Error(`${file}: ${err.message}`, { cause: err });
    throw err;
  }
}

function jsonTerm(t: SparqlJsonTerm) {
  if (t.type === 'uri') return namedNode(t.value);
  if (t.type === 'literal') return t.datatype ? literal(t.value, namedNode(t.datatype)) : literal(t.value, t['xml:lang']);
  throw new Error(`a record query must bind IRIs or literals, found a ${t.type}`);
}

/**
 * The files an import reads: files as given, and under each directory (recursively, sorted) the files whose name
 * matches the format's `files` pattern.
 */
export async function expandImportInputs(format: ImportFormat, paths: string[], only?: RegExp): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    let isDirectory = false;
    try {
      isDirectory = (await stat(p)).isDirectory();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (!isDirectory) {
      out.push(p); // a missing file is reported by its reader, with its name
      continue;
    }
    const entries = await readdir(p, { recursive: true, withFileTypes: true });
    out.push(
      ...entries
        .filter((e) => e.isFile() && format.files.test(e.name) && (only === undefined || only.test(e.name)))
        .map((e) => join(e.parentPath, e.name))
        .sort(),
    );
  }
  return out;
}

/** One line per count, then rejections and warnings by kind. */
function summaryLines(s: ImportSummary): string[] {
  const lines = [
    `${s.archive}: ${s.imported} imported, ${s.replaced} replaced, ${s.unchanged} unchanged, ${s.rejected.length} rejected ` +
      `(${s.files} files, ${s.format} ${s.mappingVersion}); ${s.triples} triples; ${s.seconds.toFixed(1)} s`,
  ];
  if (s.rejected.length > 0) {
    lines.push('rejected:');
    for (const r of s.rejected) {
      const at = `${displayPath(r.file)}${r.line === undefined ? '' : `:${r.line}${r.column === undefined ? '' : `:${r.column}`}`}`;
      // UnreadableInputError messages already start with the file and line.
      const reason = r.reason.startsWith(r.file) ? r.reason.slice(r.file.length).replace(/^(:\d+)*: /, '') : r.reason;
      lines.push(`  ${at}${r.place ? ` ${r.place}` : ''}${r.recordId ? ` ${r.recordId}` : ''}: ${reason}`);
    }
  }
  const kinds = Object.entries(s.warnings);
  if (kinds.length > 0) {
    lines.push(`warnings: ${kinds.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  }
  return lines;
}

/** The mapping as the archive's provenance names it: its descriptor, relative to the project (mappings/gide.yaml). */
function mappingName(format: ImportFormat): string {
  return relative(projectRoot, format.file);
}

/** A path as people read it: relative to the working directory. */
export function displayPath(file: string): string {
  const r = relative(process.cwd(), file);
  return r === '' ? file : r;
}

function relativeNode(iri: string, graph: string): string {
  return iri.startsWith(graph) ? iri.slice(graph.length) || 'the study' : iri;
}

function localName(iri: string): string {
  return iri.slice(Math.max(iri.lastIndexOf('#'), iri.lastIndexOf('/')) + 1);
}

function termKey(t: Quad['object']): string {
  return t.termType === 'Literal' ? `"${t.value}"@${t.language}^^${t.datatype.value}` : `${t.termType[0]}${t.value}`;
}

function dedupe(notices: Notice[]): Notice[] {
  const seen = new Set<string>();
  return notices.filter((n) => {
    const key = `${n.kind}\n${n.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The first error of a class in an error's cause chain (jsonld.js wraps a document loader's errors). */
function findCause<T extends Error>(err: unknown, type: new (...args: never[]) => T): T | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 10; depth++) {
    if (e instanceof type) return e;
    const details = (e as { details?: { cause?: unknown } }).details;
    e = e.cause ?? details?.cause;
  }
  return undefined;
}

function sha256(parts: Buffer[]): string {
  const h = createHash('sha256');
  for (const p of parts) {
    h.update(String(p.length));
    h.update(p);
  }
  return h.digest('hex');
}
