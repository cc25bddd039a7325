// Exports of an answer in formats a modeler can combine: CSV, JSON-LD with benchgraph's published @context, and an
// RO-Crate 1.2 (the query as a CreateAction, the archives and studies queried with licences and citations, the
// results, and links to the data files).
import { readFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BENCHGRAPH, prefixes } from '../namespaces.ts';
import { archiveOfIri } from './executor.ts';
import { sparqlPrefixes } from './prefixes.ts';
import type { Answer, Executor, RowTerm } from './types.ts';

/** The published IRI of the answer context (src/ask/context.jsonld); versioned, so it never changes meaning. */
export const CONTEXT_URL = `${BENCHGRAPH}contexts/ask-1.jsonld`;
export const CONTEXT_FILE = new URL('./context.jsonld', import.meta.url).pathname;
export const ROCRATE_CONTEXT_URL = 'https://w3id.org/ro/crate/1.2/context';
export const ROCRATE_SPEC = 'https://w3id.org/ro/crate/1.2';
/** The project's local copy of the RO-Crate 1.2 context terms (shared with the importer). */
export const ROCRATE_CONTEXT_FILE = new URL('../../mappings/contexts/ro-crate-1.2.jsonld', import.meta.url).pathname;

export type ExportFormat = 'csv' | 'jsonld' | 'rocrate';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['csv', 'jsonld', 'rocrate'];

/** A data file linked from the answer's records. */
export type DataFile = { url: string; record: string; format?: string; size?: number };

// ---------------------------------------------------------------------------------------------------------------
// JSON-LD contexts, served locally: nothing is ever fetched.

type RemoteDocument = { contextUrl: null; documentUrl: string; document: unknown };

const localContexts = new Map<string, string>([
  [CONTEXT_URL, CONTEXT_FILE],
  [ROCRATE_CONTEXT_URL, ROCRATE_CONTEXT_FILE],
]);

/** A jsonld.js document loader that serves benchgraph's and RO-Crate's contexts from local files and refuses anything else. */
export async function documentLoader(url: string): Promise<RemoteDocument> {
  const file = localContexts.get(url);
  if (file === undefined) throw new Error(`JSON-LD context ${url} is not available locally, and benchgraph never fetches remote documents`);
  return { contextUrl: null, documentUrl: url, document: JSON.parse(readFileSync(file, 'utf8')) };
}

// ---------------------------------------------------------------------------------------------------------------
// CSV

/**
 * RFC 4180 CSV: one column per variable (IRI or literal value), a `_label` column after each column of term IRIs,
 * then the archive, study and licence each row is credited to.
 */
export function answerToCsv(answer: Answer): string {
  const labelled = answer.vars.filter((v) => answer.rows.some((r) => r.terms[v]?.type === 'uri' && r.values[v] !== r.terms[v]?.value));
  const header = [...answer.vars.flatMap((v) => (labelled.includes(v) ? [v, `${v}_label`] : [v])), 'source_archive', 'source_study', 'source_license'];
  const lines = [header.map(csvCell).join(',')];
  for (const row of answer.rows) {
    const cells: string[] = [];
    for (const v of answer.vars) {
      cells.push(row.terms[v]?.value ?? '');
      if (labelled.includes(v)) cells.push(row.terms[v]?.type === 'uri' && row.values[v] !== row.terms[v]?.value ? String(row.values[v] ?? '') : '');
    }
    cells.push(row.archive ?? '', row.study ?? '', row.license ?? '');
    lines.push(cells.map(csvCell).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

function csvCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

// ---------------------------------------------------------------------------------------------------------------
// JSON-LD

/** The answer as JSON-LD under the published context: rows keep their order, values keep their RDF type. */
export function answerToJsonLd(answer: Answer, opts: { generatedAt?: Date } = {}): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    '@context': CONTEXT_URL,
    '@type': 'Answer',
    question: answer.question,
    status: answer.status,
    message: answer.message,
    explanation: answer.explanation,
    translator: answer.translator,
    confidence: answer.confidence,
    generatedAt: (opts.generatedAt ?? new Date()).toISOString(),
    variables: answer.vars,
    sources: answer.sources.map((s) => ({ '@type': 'Source', name: s.name, title: s.title, ...(s.license !== undefined ? { license: s.license } : {}) })),
    studies: answer.studies.map((s) => ({
      '@id': s.iri,
      '@type': 'Study',
      ...(s.title !== undefined ? { title: s.title } : {}),
      ...(s.archive !== null ? { archive: s.archive } : {}),
      ...(s.license !== undefined ? { license: s.license } : {}),
      ...(s.doi !== undefined ? { doi: doiIri(s.doi) } : {}),
      ...(s.citation !== undefined ? { citation: s.citation } : {}),
      ...(s.creators.length > 0 ? { creators: s.creators } : {}),
    })),
    rows: answer.rows.map((r) => {
      const binding: Record<string, unknown> = {};
      for (const v of answer.vars) {
        const t = r.terms[v];
        if (t === undefined) continue;
        // Variables named like a term of the context take that term's coercion ("license" holds IRIs as strings).
        binding[v] = t.type === 'uri' && ID_TERMS.has(v) ? t.value : jsonLdValue(t);
      }
      return {
        '@type': 'Row',
        ...(r.archive !== null ? { archive: r.archive } : {}),
        ...(r.study !== null ? { study: r.study } : {}),
        ...(r.license !== null && !r.license.includes(' | ') ? { license: r.license } : {}),
        binding,
      };
    }),
  };
  if (answer.sparql !== null) doc.query = answer.sparql;
  if (answer.warnings.length > 0) doc.warnings = answer.warnings;
  return doc;
}

/** Terms of the answer context whose values are IRIs written as strings. */
const ID_TERMS = new Set(
  Object.entries((JSON.parse(readFileSync(CONTEXT_FILE, 'utf8')) as { '@context': Record<string, unknown> })['@context'])
    .filter(([, d]) => typeof d === 'object' && d !== null && (d as { '@type'?: string })['@type'] === '@id')
    .map(([k]) => k),
);

function jsonLdValue(t: RowTerm): unknown {
  if (t.type === 'uri') return { '@id': t.value };
  if (t.type === 'bnode') return { '@id': `_:${t.value}` };
  if (t.datatype !== undefined && t.datatype !== `${prefixes.xsd}string`) return { '@value': t.value, '@type': t.datatype };
  if (t['xml:lang'] !== undefined) return { '@value': t.value, '@language': t['xml:lang'] };
  return t.value;
}

function doiIri(doi: string): string {
  return doi.startsWith('http') ? doi : `https://doi.org/${doi}`;
}

// ---------------------------------------------------------------------------------------------------------------
// RO-Crate 1.2

const FILE_QUERY = `${sparqlPrefixes('bg', 'schema')}SELECT ?record ?url ?format ?size WHERE {
  VALUES ?record { %RECORDS% }
  ?record bg:file|bg:analysis/bg:output ?file .
  ?file schema:contentUrl ?url .
  OPTIONAL { ?file bg:format ?format }
  OPTIONAL { ?file schema:contentSize ?size }
} LIMIT %LIMIT%`;

/** The data files of the records an answer names (sessions, and files named directly), through the executor. */
export async function dataFilesOf(answer: Answer, execute: Executor, opts: { timeoutMs: number; limit?: number }): Promise<DataFile[]> {
  const limit = opts.limit ?? 5000;
  const files = new Map<string, DataFile>();
  const records = new Set<string>();
  for (const row of answer.rows) {
    for (const [v, t] of Object.entries(row.terms)) {
      if (t.type === 'uri' && archiveOfIri(t.value) !== null && !t.value.includes('#')) records.add(t.value);
      if (t.type === 'literal' && t.datatype === `${prefixes.xsd}anyURI`) {
        const size = row.terms.size ?? row.terms.bytes;
        const format = Object.values(row.terms).find((x) => x.type === 'uri' && x.value.startsWith(prefixes.bg) && !x.value.includes('/id/'));
        const f: DataFile = { url: t.value, record: row.terms.session?.value ?? v };
        if (format !== undefined) f.format = format.value;
        if (size?.type === 'literal') f.size = Number(size.value);
        files.set(t.value, f);
      }
    }
  }
  // An answer that lists files itself links those; otherwise the files of the records it names.
  const list = files.size > 0 ? [] : [...records];
  for (let i = 0; i < list.length && files.size < limit; i += 300) {
    const chunk = list.slice(i, i + 300).map((r) => `<${r}>`).join(' ');
    const result = await execute(FILE_QUERY.replace('%RECORDS%', chunk).replace('%LIMIT%', String(limit)), { timeoutMs: opts.timeoutMs });
    for (const b of result.rows) {
      const url = b.url!.value;
      if (files.has(url)) continue;
      const f: DataFile = { url, record: b.record!.value };
      if (b.format !== undefined) f.format = b.format.value;
      if (b.size !== undefined) f.size = Number(b.size.value);
      files.set(url, f);
    }
  }
  return [...files.values()].slice(0, limit);
}

export type CrateOptions = { generatedAt?: Date; files?: DataFile[]; label?: (iri: string) => string | null; software?: { name: string; version: string; url: string } };

/**
 * The RO-Crate metadata of an answer (a flattened JSON-LD @graph). Payload: query.rq (the SPARQL), results.csv,
 * results.jsonld and ask-context.jsonld (the context the JSON-LD results use, for reading them offline).
 */
export function answerToRoCrate(answer: Answer, opts: CrateOptions = {}): Record<string, unknown> {
  const at = (opts.generatedAt ?? new Date()).toISOString();
  const software = opts.software ?? { name: 'benchgraph', version: '0.1.0', url: BENCHGRAPH };
  const graph: Record<string, unknown>[] = [];
  const licenses = new Set<string>();
  const people = new Map<string, string>();
  const files = opts.files ?? [];

  graph.push({
    '@id': 'ro-crate-metadata.json',
    '@type': 'CreativeWork',
    conformsTo: { '@id': ROCRATE_SPEC },
    about: { '@id': './' },
  });
  const payload = ['query.rq', 'results.csv', 'results.jsonld', 'ask-context.jsonld'];
  const studyIds = answer.studies.map((s) => s.iri);
  graph.push({
    '@id': './',
    '@type': 'Dataset',
    name: `benchgraph answer: ${answer.question}`,
    description: `${answer.message} ${answer.explanation}`.trim(),
    datePublished: at,
    license: { '@id': crateLicense(answer, licenses) },
    hasPart: [...payload.map((p) => ({ '@id': p })), ...files.map((f) => ({ '@id': f.url }))],
    mentions: [{ '@id': '#ask' }],
    ...(studyIds.length > 0 ? { isBasedOn: studyIds.map((id) => ({ '@id': id })) } : {}),
  });
  graph.push({
    '@id': '#ask',
    '@type': 'CreateAction',
    name: `Answered the question "${answer.question}"`,
    description: answer.explanation,
    endTime: at,
    actionStatus: { '@id': `${prefixes.schema}${answer.status === 'error' ? 'FailedActionStatus' : 'CompletedActionStatus'}` },
    instrument: [{ '@id': 'query.rq' }, { '@id': software.url }],
    object: [...answer.sources.map((s) => ({ '@id': `#archive-${s.name}` })), ...studyIds.map((id) => ({ '@id': id }))],
    result: [{ '@id': 'results.csv' }, { '@id': 'results.jsonld' }],
  });
  graph.push({
    '@id': 'query.rq',
    '@type': ['File', 'SoftwareSourceCode'],
    name: 'SPARQL query',
    description: `Written by the ${answer.translator} translator (confidence ${answer.confidence}); run read-only with LIMIT ${answer.limit} and a ${answer.timeoutMs} ms time limit.`,
    encodingFormat: 'application/sparql-query',
    programmingLanguage: { '@id': 'https://www.w3.org/TR/sparql11-query/' },
  });
  graph.push({ '@id': 'https://www.w3.org/TR/sparql11-query/', '@type': `${prefixes.schema}ComputerLanguage`, name: 'SPARQL 1.1 Query Language', url: 'https://www.w3.org/TR/sparql11-query/' });
  graph.push({ '@id': software.url, '@type': 'SoftwareApplication', name: software.name, version: software.version, url: software.url });
  graph.push({ '@id': 'results.csv', '@type': 'File', name: 'Results (CSV)', encodingFormat: 'text/csv', description: `${answer.rows.length} rows: ${answer.vars.join(', ')}, then archive, study and licence of each row.` });
  graph.push({ '@id': 'results.jsonld', '@type': 'File', name: 'Results (JSON-LD)', encodingFormat: 'application/ld+json', description: `The answer and its rows under the context ${CONTEXT_URL} (a copy is ask-context.jsonld).` });
  graph.push({ '@id': 'ask-context.jsonld', '@type': 'File', name: 'JSON-LD context of the results', encodingFormat: 'application/ld+json', identifier: CONTEXT_URL });

  for (const s of answer.sources) {
    const studies = answer.studies.filter((x) => x.archive === s.name);
    const entity: Record<string, unknown> = { '@id': `#archive-${s.name}`, '@type': 'DataCatalog', name: s.name, description: `benchgraph archive '${s.title}'` };
    if (s.license !== undefined) entity.license = { '@id': licenseIri(s.license, licenses) };
    if (studies.length > 0) entity.hasPart = studies.map((x) => ({ '@id': x.iri }));
    graph.push(entity);
  }
  for (const s of answer.studies) {
    const entity: Record<string, unknown> = { '@id': s.iri, '@type': 'Dataset', name: s.title ?? s.iri };
    if (s.license !== undefined) entity.license = { '@id': licenseIri(s.license, licenses) };
    if (s.archive !== null) entity.isPartOf = { '@id': `#archive-${s.archive}` };
    if (s.creators.length > 0) {
      entity.creator = s.creators.map((name) => {
        const id = `#person-${slug(name)}`;
        people.set(id, name);
        return { '@id': id };
      });
    }
    if (s.doi !== undefined || s.citation !== undefined) {
      const id = s.doi !== undefined ? doiIri(s.doi) : `#citation-${slug(s.iri)}`;
      entity.citation = { '@id': id };
      graph.push({ '@id': id, '@type': 'ScholarlyArticle', name: s.citation ?? `Publication of ${s.title ?? s.iri}`, ...(s.doi !== undefined ? { identifier: doiIri(s.doi) } : {}) });
    }
    graph.push(entity);
  }
  for (const [id, name] of people) graph.push({ '@id': id, '@type': 'Person', name });
  for (const f of files) {
    const entity: Record<string, unknown> = { '@id': f.url, '@type': 'File', name: f.url.replace(/^.*\//, '') };
    if (f.format !== undefined) entity.encodingFormat = opts.label?.(f.format) ?? f.format.replace(/^.*[#/]/, '');
    if (f.size !== undefined && Number.isFinite(f.size)) entity.contentSize = String(f.size);
    if (f.record !== undefined) entity.about = { '@id': f.record };
    graph.push(entity);
  }
  for (const iri of licenses) {
    graph.push(
      iri === MIXED
        ? { '@id': iri, '@type': 'CreativeWork', name: 'Each part keeps its own licence', description: 'The results combine data under different licences: see the licence of each study and of each row.' }
        : { '@id': iri, '@type': 'CreativeWork', name: iri.replace(/^.*\//, ''), url: iri },
    );
  }
  return { '@context': ROCRATE_CONTEXT_URL, '@graph': graph };
}

/** The crate's own licence: the one licence all sources share, else a note that each part keeps its licence. */
function crateLicense(answer: Answer, licenses: Set<string>): string {
  const all = new Set(answer.studies.map((s) => s.license).filter((l): l is string => l !== undefined));
  if (all.size === 1) return licenseIri([...all][0]!, licenses);
  return licenseIri(MIXED, licenses);
}

const MIXED = '#mixed-licences';

function licenseIri(value: string, licenses: Set<string>): string {
  licenses.add(value);
  return value;
}

function slug(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/** The RO-Crate's files (metadata and payload) as name -> content. */
export function roCrateFiles(answer: Answer, opts: CrateOptions = {}): Map<string, string> {
  const generatedAt = opts.generatedAt ?? new Date();
  const crate = answerToRoCrate(answer, { ...opts, generatedAt });
  return new Map([
    ['ro-crate-metadata.json', `${JSON.stringify(crate, null, 2)}\n`],
    ['query.rq', answer.sparql ?? '# no query was run\n'],
    ['results.csv', answerToCsv(answer)],
    ['results.jsonld', `${JSON.stringify(answerToJsonLd(answer, { generatedAt }), null, 2)}\n`],
    ['ask-context.jsonld', readFileSync(CONTEXT_FILE, 'utf8')],
  ]);
}

/**
 * A ZIP archive (stored, not compressed) of the given files: how an RO-Crate travels in one HTTP response.
 * Entries are written in order, with CRC-32 and sizes in the local headers and a central directory at the end.
 */
export function zip(files: Map<string, string | Buffer>, date = new Date()): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  const dosTime = ((date.getUTCHours() << 11) | (date.getUTCMinutes() << 5) | Math.floor(date.getUTCSeconds() / 2)) & 0xffff;
  const dosDate = (((date.getUTCFullYear() - 1980) << 9) | ((date.getUTCMonth() + 1) << 5) | date.getUTCDate()) & 0xffff;
  for (const [name, content] of files) {
    const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    const nameBytes = Buffer.from(name, 'utf8');
    const crc = crc32(data) >>> 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt16LE(dosTime, 10);
    local.writeUInt16LE(dosDate, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(0, 28);
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(20, 4);
    entry.writeUInt16LE(20, 6);
    entry.writeUInt16LE(0x0800, 8);
    entry.writeUInt16LE(0, 10);
    entry.writeUInt16LE(dosTime, 12);
    entry.writeUInt16LE(dosDate, 14);
    entry.writeUInt32LE(crc, 16);
    entry.writeUInt32LE(data.length, 20);
    entry.writeUInt32LE(data.length, 24);
    entry.writeUInt16LE(nameBytes.length, 28);
    entry.writeUInt32LE(offset, 42);
    central.push(entry, nameBytes);
    parts.push(local, nameBytes, data);
    offset += local.length + nameBytes.length + data.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.size, 8);
  end.writeUInt16LE(files.size, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, directory, end]);
}

/** Writes the RO-Crate directory: ro-crate-metadata.json and its payload. */
export async function writeRoCrate(answer: Answer, dir: string, opts: CrateOptions = {}): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files = roCrateFiles(answer, opts);
  for (const [name, content] of files) await writeFile(join(dir, name), content);
  return [...files.keys()];
}
