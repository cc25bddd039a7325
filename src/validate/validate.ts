// Validates record graphs against the SHACL shapes in shapes/: the only module that imports shacl-engine.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DatasetCore, NamedNode, Quad, Term } from '@rdfjs/types';
import { DataFactory, Parser, Writer } from 'n3';
import rdf from 'rdf-ext';
import { type EngineResult, type PathStep, Validator } from 'shacl-engine';
import { prefixes } from '../namespaces.ts';

const { namedNode, quad: makeQuad } = DataFactory;
const SH = prefixes.sh;
const RDF_TYPE = `${prefixes.rdf}type`;
const REPORTED_PATH = `${prefixes.bg}reportedPath`;

/** The shapes graph, compiled once; pass it to every validation call. */
export type Shapes = {
  /** The Turtle files read, in order. */
  files: string[];
  /** Number of triples in the shapes graph. */
  size: number;
  /** IRIs of every named shape (node and property shapes). */
  shapeIris: string[];
  validator: Validator;
  /** bg:reportedPath of the conditional node shapes: shape IRI -> predicate IRI. */
  reportedPath: Map<string, string>;
};

export type Severity = 'violation' | 'warning' | 'info';

export type ReportResult = {
  severity: Severity;
  focusNode: string;
  /** The predicate IRI the result is about; alternatives are joined with ' | '. */
  path?: string;
  /** The field as the lab wrote it, e.g. 'files[0].format'. */
  field?: string;
  /** The offending value: an IRI or a literal's lexical form. */
  value?: string;
  message: string;
  /** IRI of the shape that raised the result (a property shape, or a named conditional node shape). */
  shape: string;
};

export type Report = {
  /** True when there is no violation; warnings and hints do not make a record non-conforming. */
  conforms: boolean;
  results: ReportResult[];
  /**
   * The report as a SHACL sh:ValidationReport in Turtle. Its sh:conforms follows the SHACL specification
   * (false as soon as there is any result, warnings included), so it can differ from `conforms` above.
   */
  toTurtle(): string;
};

export type ValidateOptions = {
  /**
   * The record and the field path (as the lab wrote it, '' for the record itself) of a node. Only the field path
   * is used: results are attributed to records by which record's quads describe the focus node.
   */
  describeNode?: (iri: string) => { recordId: string; field: string } | undefined;
  /** The field name a predicate stands for on a node, e.g. ('…#files-0', bg:format) -> 'format'. */
  fieldOf?: (focusNodeIri: string, predicateIri: string) => string | undefined;
};

const SEVERITIES: Record<string, Severity> = {
  [`${SH}Violation`]: 'violation',
  [`${SH}Warning`]: 'warning',
  [`${SH}Info`]: 'info',
};

const defaultShapesDir = fileURLToPath(new URL('../../shapes/', import.meta.url));
const shapesCache = new Map<string, Promise<Shapes>>();

/** Reads every shapes/*.ttl into one shapes graph; cached per directory. */
export function loadShapes(dir: string = defaultShapesDir): Promise<Shapes> {
  const key = resolve(dir);
  let shapes = shapesCache.get(key);
  if (shapes === undefined) {
    shapes = Promise.resolve().then(() => compileShapes(key));
    shapesCache.set(key, shapes);
    // A failed load is not cached, so fixing the file and retrying works.
    shapes.catch(() => shapesCache.delete(key));
  }
  return shapes;
}

function compileShapes(dir: string): Shapes {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.ttl'))
    .sort()
    .map((f) => join(dir, f));
  if (files.length === 0) throw new Error(`no shapes found: expected *.ttl files in ${dir}`);
  const quads: Quad[] = [];
  for (const file of files) {
    try {
      quads.push(...new Parser({ baseIRI: `file://${file}` }).parse(readFileSync(file, 'utf8')));
    } catch (err) {
      // n3 names the line; add the file.
      throw new Error(`${file}: ${(err as Error).message}`, { cause: err });
    }
  }
  const dataset = rdf.dataset(quads);
  const shapeIris = new Set<string>();
  const reportedPath = new Map<string, string>();
  for (const q of quads) {
    if (
      q.subject.termType === 'NamedNode' &&
      q.predicate.value === RDF_TYPE &&
      (q.object.value === `${SH}NodeShape` || q.object.value === `${SH}PropertyShape`)
    ) {
      shapeIris.add(q.subject.value);
    }
    if (q.predicate.value === REPORTED_PATH) reportedPath.set(q.subject.value, q.object.value);
  }
  const validator = new Validator(dataset, { factory: rdf });
  return { files, size: quads.length, shapeIris: [...shapeIris].sort(), validator, reportedPath };
}

/** Validates the quads of one record (graph terms are ignored: all quads form the data graph). */
export async function validateRecord(
  shapes: Shapes,
  quads: Quad[],
  opts: ValidateOptions = {},
): Promise<Report> {
  const [report] = await validateBatch(shapes, [{ recordId: '', quads }], opts);
  return report!;
}

/**
 * Validates many records with as few engine calls as possible: records are merged into one data graph (a
 * record's nodes are its own, so results split back by the record that describes the focus node). Records
 * that describe the same node as an earlier record of the batch go into a separate engine call, so one
 * record's quads never answer for another's. Returns one report per record, in input order.
 */
export async function validateBatch(
  shapes: Shapes,
  records: { recordId: string; quads: Quad[] }[],
  opts: ValidateOptions = {},
): Promise<Report[]> {
  const reports: Report[] = [];
  let chunk: { quads: Quad[] }[] = [];
  // Node -> index in the chunk of the record that describes it (is its subject) or, failing that, mentions it.
  let owner = new Map<string, number>();
  let mentioned = new Map<string, number>();
  let size = 0;
  const flush = async () => {
    if (chunk.length === 0) return;
    for (const [node, index] of mentioned) if (!owner.has(node)) owner.set(node, index);
    reports.push(...(await validateChunk(shapes, chunk, owner, opts)));
    chunk = [];
    owner = new Map();
    mentioned = new Map();
    size = 0;
  };
  for (const record of records) {
    const subjects = new Set<string>();
    for (const q of record.quads) subjects.add(termKey(q.subject));
    if (size > MAX_CHUNK_QUADS || [...subjects].some((s) => owner.has(s))) await flush();
    for (const s of subjects) owner.set(s, chunk.length);
    for (const q of record.quads) {
      const o = termKey(q.object);
      if (!mentioned.has(o)) mentioned.set(o, chunk.length);
    }
    chunk.push(record);
    size += record.quads.length;
  }
  await flush();
  return reports;
}

/**
 * Quads merged into one engine call. Measured on 4,000 mapped records (250,000 triples, 2 cores): 5,000 gave
 * ~90,000 triples/s, 100,000 only ~55,000 (the engine's garbage grows with the graph), one record per call ~80,000.
 */
const MAX_CHUNK_QUADS = 5_000;

async function validateChunk(
  shapes: Shapes,
  records: { quads: Quad[] }[],
  owner: Map<string, number>,
  opts: ValidateOptions,
): Promise<Report[]> {
  const data: Quad[] = [];
  for (const r of records) {
    for (const q of r.quads)
      data.push(q.graph.termType === 'DefaultGraph' ? q : makeQuad(q.subject, q.predicate, q.object));
  }
  const engineReport = await shapes.validator.validate({ dataset: new QuadIndex(data) });
  const perRecord: Collected[][] = records.map(() => []);
  const seen = new Set<string>();
  for (const r of engineReport.results) {
    const severity = SEVERITIES[r.severity.value];
    if (severity === undefined) continue; // debug and trace results of the engine
    const focus = r.focusNode.term;
    const shape = r.shape.ptr.term.value;
    const value = r.value?.term;
    // A shape with two constraints (nodeKind and pattern) fails twice on one value: say it once.
    const key = `${shape}\n${termKey(focus)}\n${value ? termKey(value) : ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    // Every focus node is in the data (targets are classes or nodes of the data graph), so it has an owner.
    const index = owner.get(termKey(focus)) ?? 0;
    perRecord[index]!.push(collect(shapes, r, severity, opts));
  }
  return perRecord.map(makeReport);
}

/** A result with the RDF terms the Turtle report needs. */
type Collected = { result: ReportResult; focus: Term; value?: Term; steps?: PathStep[]; component: Term };

function collect(shapes: Shapes, r: EngineResult, severity: Severity, opts: ValidateOptions): Collected {
  const focus = r.focusNode.term;
  const shape = r.shape.ptr.term.value;
  const value = r.value?.term;
  let steps = r.path;
  const reported = shapes.reportedPath.get(shape);
  if (!steps && reported)
    steps = [{ quantifier: 'one', start: 'subject', end: 'object', predicates: [namedNode(reported)] }];
  const predicates =
    steps?.length === 1 && steps[0]!.quantifier === 'one' ? steps[0]!.predicates.map((p) => p.value) : [];
  const result: ReportResult = {
    severity,
    focusNode: focus.value,
    message: r.message[0]?.value ?? '',
    shape,
  };
  if (predicates.length > 0) {
    result.path = predicates.join(' | ');
    const field = opts.fieldOf?.(focus.value, predicates[0]!) ?? localName(predicates[0]!);
    const node = opts.describeNode?.(focus.value)?.field ?? fallbackNodePath(focus);
    result.field = node ? `${node}.${field}` : field;
  }
  if (value) result.value = value.value;
  return { result, focus, value, steps, component: r.constraintComponent };
}

function makeReport(collected: Collected[]): Report {
  const results = collected.map((c) => c.result);
  return {
    conforms: !results.some((r) => r.severity === 'violation'),
    results,
    toTurtle: () => reportTurtle(collected),
  };
}

function reportTurtle(collected: Collected[]): string {
  const sh = (local: string) => namedNode(`${SH}${local}`);
  const writer = new Writer({ prefixes: { sh: SH, xsd: prefixes.xsd } });
  const report = DataFactory.blankNode('report');
  const add = (p: string, o: Term) =>
    writer.addQuad(makeQuad(report, p === 'a' ? namedNode(RDF_TYPE) : sh(p), o as Quad['object']));
  add('a', sh('ValidationReport'));
  add('conforms', DataFactory.literal(String(collected.length === 0), namedNode(`${prefixes.xsd}boolean`)));
  for (const c of collected) {
    const props: { predicate: NamedNode; object: Quad['object'] }[] = [];
    const prop = (p: string, o: Term) =>
      props.push({ predicate: p === 'a' ? namedNode(RDF_TYPE) : sh(p), object: o as Quad['object'] });
    prop('a', sh('ValidationResult'));
    prop('focusNode', c.focus);
    prop('resultSeverity', sh(c.result.severity[0]!.toUpperCase() + c.result.severity.slice(1)));
    prop('sourceShape', namedNode(c.result.shape));
    prop('sourceConstraintComponent', c.component);
    const step = c.steps?.length === 1 ? c.steps[0]! : undefined;
    if (step && step.quantifier === 'one' && step.start === 'subject') {
      const predicates = step.predicates as NamedNode[];
      // n3's typings say list() returns an array; it returns one term that writes as a Turtle list.
      const list = writer.list(predicates) as unknown as Quad['object'];
      prop(
        'resultPath',
        predicates.length === 1
          ? predicates[0]!
          : writer.blank([{ predicate: sh('alternativePath'), object: list }]),
      );
    }
    if (c.value) prop('value', c.value);
    prop('resultMessage', DataFactory.literal(c.result.message));
    add('result', writer.blank(props));
  }
  let out = '';
  writer.end((error, text) => {
    if (error) throw error;
    out = text;
  });
  return out;
}

/** One line per result, for people: "session/S012 field 'modality' [Violation]: <message>". */
export function formatReport(report: Report, recordId: string): string {
  return report.results
    .map((r) => {
      const severity = r.severity[0]!.toUpperCase() + r.severity.slice(1);
      const field = r.field === undefined ? '' : ` field '${r.field}'`;
      return `${recordId}${field} [${severity}]: ${r.message}`;
    })
    .join('\n');
}

/**
 * Options that name fields the way the lab wrote them, from what the mapper returns for each record
 * (src/ingest/mapping.ts: `MappedRecord.nodes` and `Mapping.fieldOf`).
 */
export function fieldNamer(
  mapping: { fieldOf(nodeKind: string, predicate: string): string | undefined },
  records: Iterable<{ recordId: string; nodes: Map<string, { kind: string; path: string }> }>,
): ValidateOptions {
  const nodes = new Map<string, { recordId: string; kind: string; path: string }>();
  for (const r of records) for (const [iri, n] of r.nodes) nodes.set(iri, { recordId: r.recordId, ...n });
  return {
    describeNode: (iri) => {
      const n = nodes.get(iri);
      return n && { recordId: n.recordId, field: n.path };
    },
    fieldOf: (iri, predicate) => {
      const n = nodes.get(iri);
      return n && mapping.fieldOf(n.kind, predicate);
    },
  };
}

function termKey(t: Term): string {
  return t.termType === 'Literal'
    ? `"${t.value}"@${t.language}^^${t.datatype.value}`
    : `${t.termType[0]}${t.value}`;
}

function localName(iri: string): string {
  return iri.slice(Math.max(iri.lastIndexOf('#'), iri.lastIndexOf('/')) + 1);
}

/** Without describeNode, a nested node is named by its IRI fragment (`files-0`); the record's own node by ''. */
function fallbackNodePath(focus: Term): string {
  const i = focus.value.indexOf('#');
  return focus.termType === 'NamedNode' && i !== -1 ? focus.value.slice(i + 1) : '';
}

function sameTerm(a: Term, b: Term): boolean {
  if (a.termType !== b.termType || a.value !== b.value) return false;
  return (
    a.termType !== 'Literal' ||
    (a.language === (b as typeof a).language && a.datatype.value === (b as typeof a).datatype.value)
  );
}

type Pattern = (Term | null | undefined)[];

function matches(q: Quad, [s, p, o, g]: Pattern): boolean {
  return (
    (!s || sameTerm(s, q.subject)) &&
    (!p || sameTerm(p, q.predicate)) &&
    (!o || sameTerm(o, q.object)) &&
    (!g || sameTerm(g, q.graph))
  );
}

/**
 * A read-only data graph, indexed by subject and object when it is the whole graph. The engine only matches and
 * iterates; rdf-ext's general-purpose dataset spent most of the validation time indexing every match result.
 */
class QuadIndex implements DatasetCore {
  readonly #quads: Quad[];
  readonly #bySubject = new Map<string, Quad[]>();
  readonly #byObject = new Map<string, Quad[]>();
  readonly #indexed: boolean;
  constructor(quads: Quad[], indexed = true) {
    this.#quads = quads;
    this.#indexed = indexed;
    if (!indexed) return;
    for (const q of quads) {
      push(this.#bySubject, termKey(q.subject), q);
      push(this.#byObject, termKey(q.object), q);
    }
  }
  get size(): number {
    return this.#quads.length;
  }
  match(
    subject?: Term | null,
    predicate?: Term | null,
    object?: Term | null,
    graph?: Term | null,
  ): DatasetCore {
    let candidates = this.#quads;
    if (this.#indexed && subject) candidates = this.#bySubject.get(termKey(subject)) ?? [];
    else if (this.#indexed && object) candidates = this.#byObject.get(termKey(object)) ?? [];
    const pattern = [subject, predicate, object, graph];
    // A match result is small and read once: no index.
    return new QuadIndex(
      candidates.filter((q) => matches(q, pattern)),
      false,
    );
  }
  has(quad: Quad): boolean {
    return this.match(quad.subject, quad.predicate, quad.object, quad.graph).size > 0;
  }
  add(): this {
    throw new Error('the data graph under validation is read-only');
  }
  delete(): this {
    throw new Error('the data graph under validation is read-only');
  }
  [Symbol.iterator](): Iterator<Quad> {
    return this.#quads[Symbol.iterator]();
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
