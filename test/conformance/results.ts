// Reads SPARQL results in the W3C test formats (.srx, .srj, .tsv, .csv, rs:ResultSet Turtle) and compares result sets.
import type { Quad, Term } from '@rdfjs/types';
import { parse as parseCsv } from 'csv-parse/sync';
import { DataFactory, Parser } from 'n3';
import type { SparqlJsonResults, SparqlJsonTerm } from '../../src/store/store.ts';
import { RDF, RS, readGraph } from './manifest.ts';

const { namedNode, blankNode, literal } = DataFactory;
const XSD_STRING = 'http://www.w3.org/2001/XMLSchema#string';
const LANG_STRING = `${RDF}langString`;

/** One solution: variable name to bound term (unbound variables are absent). */
export type Row = Map<string, Term>;

/** A query result as the tests compare it. `vars` is undefined when the format does not list them. */
export type Result =
  | { kind: 'bindings'; vars: string[] | undefined; rows: Row[] }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'graph'; quads: Quad[] };

// ---------------------------------------------------------------------------------------------------------------
// Readers

/** SPARQL 1.1 Query Results JSON (as given by the store module or a .srj file). */
export function fromSparqlJson(json: SparqlJsonResults): Result {
  if (typeof json.boolean === 'boolean') return { kind: 'boolean', value: json.boolean };
  if (!json.results) throw new Error('SPARQL JSON results: expected "boolean" or "results"');
  const rows = json.results.bindings.map((b) => {
    const row: Row = new Map();
    for (const [name, value] of Object.entries(b)) row.set(name, jsonTerm(value));
    return row;
  });
  return { kind: 'bindings', vars: json.head.vars ?? [], rows };
}

function jsonTerm(t: SparqlJsonTerm | { type: 'typed-literal'; value: string; datatype: string }): Term {
  switch (t.type) {
    case 'uri':
      return namedNode(t.value);
    case 'bnode':
      return blankNode(t.value);
    case 'literal':
    case 'typed-literal': {
      const lang = 'xml:lang' in t ? t['xml:lang'] : undefined;
      const datatype = 'datatype' in t ? t.datatype : undefined;
      return literal(t.value, lang ?? (datatype ? namedNode(datatype) : undefined));
    }
    default:
      throw new Error(`SPARQL JSON results: unsupported term type ${JSON.stringify(t.type)}`);
  }
}

/** SPARQL Query Results XML (.srx), read with a few regular expressions: the test files are small and regular. */
export function fromSparqlXml(xml: string): Result {
  const text = xml.replace(/<!--[\s\S]*?-->/g, '').replace(/<\?[\s\S]*?\?>/g, '');
  const bool = /<boolean>\s*(true|false)\s*<\/boolean>/.exec(text);
  if (bool) return { kind: 'boolean', value: bool[1] === 'true' };
  const vars = [...text.matchAll(/<variable\s+name\s*=\s*["']([^"']*)["']\s*\/?>/g)].map((m) => m[1]);
  const rows: Row[] = [];
  for (const result of text.matchAll(/<result(?:\s[^>]*)?(?:\/>|>([\s\S]*?)<\/result>)/g)) {
    const row: Row = new Map();
    for (const b of (result[1] ?? '').matchAll(
      /<binding\s+name\s*=\s*["']([^"']*)["']\s*>([\s\S]*?)<\/binding>/g,
    )) {
      // <unbound/> is how some writers (roqet) spell a variable without a value; it means no binding.
      if (!/^\s*<unbound\s*\/>\s*$/.test(b[2])) row.set(b[1], xmlTerm(b[2]));
    }
    rows.push(row);
  }
  return { kind: 'bindings', vars, rows };
}

function xmlTerm(inner: string): Term {
  const m = /^\s*<(uri|bnode|literal)((?:\s[^>]*?)?)\s*(?:\/>|>([\s\S]*?)<\/\1>)\s*$/.exec(inner);
  if (!m)
    throw new Error(
      `SPARQL XML results: expected <uri>, <bnode> or <literal> in a binding, got ${inner.trim()}`,
    );
  const value = decodeXml(m[3] ?? '');
  if (m[1] === 'uri') return namedNode(value.trim());
  if (m[1] === 'bnode') return blankNode(value.trim());
  const lang = /xml:lang\s*=\s*["']([^"']*)["']/.exec(m[2])?.[1];
  const datatype = /datatype\s*=\s*["']([^"']*)["']/.exec(m[2])?.[1];
  return literal(value, lang ?? (datatype ? namedNode(decodeXml(datatype)) : undefined));
}

function decodeXml(s: string): string {
  return s
    .replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, (_, c: string) => c.replace(/&/g, '&amp;').replace(/</g, '&lt;'))
    .replace(/&(lt|gt|amp|quot|apos|#x[0-9a-fA-F]+|#[0-9]+);/g, (_, e: string) => {
      if (e === 'lt') return '<';
      if (e === 'gt') return '>';
      if (e === 'amp') return '&';
      if (e === 'quot') return '"';
      if (e === 'apos') return "'";
      return String.fromCodePoint(
        e[1] === 'x' ? Number.parseInt(e.slice(2), 16) : Number.parseInt(e.slice(1), 10),
      );
    });
}

/**
 * SPARQL Query Results TSV: a `?var` header, then one line per solution whose cells are Turtle terms. All cells are
 * parsed as one Turtle document so blank node labels stay shared across rows.
 */
export function fromTsv(tsv: string): Result {
  const lines = tsv.replace(/\r\n/g, '\n').split('\n');
  if (lines.at(-1) === '') lines.pop();
  const vars = (lines.shift() ?? '').split('\t').map((v) => v.replace(/^[?$]/, ''));
  const triples: string[] = [];
  lines.forEach((line, r) => {
    line.split('\t').forEach((cell, c) => {
      if (cell.trim() !== '') triples.push(`<urn:row:${r}> <urn:var:${c}> ${cell} .`);
    });
  });
  const rows: Row[] = lines.map(() => new Map());
  for (const q of new Parser().parse(triples.join('\n'))) {
    const r = Number(q.subject.value.slice('urn:row:'.length));
    const c = Number(q.predicate.value.slice('urn:var:'.length));
    rows[r].set(vars[c], q.object);
  }
  return { kind: 'bindings', vars, rows };
}

/**
 * SPARQL Query Results CSV. CSV drops term kinds, so every value becomes a plain literal except `_:` labels, which
 * stay blank nodes so they are matched by isomorphism. Compare two CSV documents read this way, never CSV to JSON.
 */
export function fromCsv(csv: string): Result {
  const records = parseCsv(csv, { relax_column_count: false }) as string[][];
  const vars = records.shift() ?? [];
  const rows = records.map((cells) => {
    const row: Row = new Map();
    cells.forEach((cell, i) => {
      if (cell !== '') row.set(vars[i], cell.startsWith('_:') ? blankNode(cell.slice(2)) : literal(cell));
    });
    return row;
  });
  return { kind: 'bindings', vars, rows };
}

/** A Turtle result file: an rs:ResultSet (bindings or boolean) or, for CONSTRUCT/DESCRIBE, the expected graph. */
export function fromTurtle(path: string, baseIri: string): Result {
  const graph = readGraph(path, baseIri);
  const set = graph.quads.find(
    (q) => q.predicate.value === `${RDF}type` && q.object.value === `${RS}ResultSet`,
  );
  if (!set) return { kind: 'graph', quads: graph.quads };
  const bool = graph.one(set.subject, `${RS}boolean`);
  if (bool) return { kind: 'boolean', value: bool.value === 'true' };
  const vars = graph.all(set.subject, `${RS}resultVariable`).map((v) => v.value);
  const rows = graph.all(set.subject, `${RS}solution`).map((solution) => {
    const row: Row = new Map();
    for (const b of graph.all(solution, `${RS}binding`)) {
      const name = graph.one(b, `${RS}variable`);
      const value = graph.one(b, `${RS}value`);
      if (name && value) row.set(name.value, value);
    }
    return row;
  });
  return { kind: 'bindings', vars, rows };
}

// ---------------------------------------------------------------------------------------------------------------
// Comparison

/** Text of a term for equality; blank nodes are compared separately (by isomorphism), so they never get here. */
export function termText(t: Term, byValue = false): string {
  if (byValue && t.termType === 'Literal') {
    const value = literalValue(t.value, (t as Term & { datatype: { value: string } }).datatype.value);
    if (value !== undefined) return value;
  }
  if (t.termType === 'NamedNode') return `<${t.value}>`;
  if (t.termType === 'BlankNode') return `_:${t.value}`;
  if (t.termType === 'Literal') {
    const lit = t as Term & { language: string; datatype: { value: string } };
    if (lit.language) return `${JSON.stringify(lit.value)}@${lit.language.toLowerCase()}`;
    const dt = lit.datatype.value;
    return dt === XSD_STRING || dt === LANG_STRING || dt === ''
      ? JSON.stringify(lit.value)
      : `${JSON.stringify(lit.value)}^^<${dt}>`;
  }
  return `${t.termType}(${t.value})`;
}

const XSD = 'http://www.w3.org/2001/XMLSchema#';
const INTEGER_TYPES = new Set(
  [
    'integer',
    'long',
    'int',
    'short',
    'byte',
    'nonNegativeInteger',
    'nonPositiveInteger',
    'negativeInteger',
    'positiveInteger',
    'unsignedLong',
    'unsignedInt',
    'unsignedShort',
    'unsignedByte',
  ].map((t) => XSD + t),
);

// Value of a numeric or boolean literal as text, or undefined for other literals; only used to explain failures.
function literalValue(lexical: string, datatype: string): string | undefined {
  const text = lexical.trim();
  if (INTEGER_TYPES.has(datatype) && /^[+-]?\d+$/.test(text)) return `integer ${BigInt(text)}`;
  if (datatype === `${XSD}decimal` && /^[+-]?(\d+\.?\d*|\.\d+)$/.test(text)) return `decimal ${Number(text)}`;
  if ((datatype === `${XSD}double` || datatype === `${XSD}float`) && !Number.isNaN(Number(text))) {
    return `${datatype} ${Number(text)}`;
  }
  if (datatype === `${XSD}boolean` && /^(true|false|1|0)$/.test(text))
    return `boolean ${text === 'true' || text === '1'}`;
  return undefined;
}

/**
 * Whether two solution sequences are equal up to a renaming of blank nodes (one renaming for the whole result, as
 * in SPARQL's result-set equivalence). With `ordered`, solution i must match solution i; otherwise as multisets.
 */
export function sameRows(expected: Row[], actual: Row[], ordered: boolean, byValue = false): boolean {
  if (expected.length !== actual.length) return false;
  const map = new Map<string, string>();
  const back = new Map<string, string>();
  if (ordered) return expected.every((row, i) => extend(row, actual[i], map, back, byValue) !== undefined);
  // Solutions without blank nodes are matched by text first; only the rest need a search.
  const pending = new Map<string, number>();
  const restActual: Row[] = [];
  for (const row of actual) {
    const text = rowText(row, byValue);
    if (hasBlank(row)) restActual.push(row);
    else pending.set(text, (pending.get(text) ?? 0) + 1);
  }
  const restExpected: Row[] = [];
  for (const row of expected) {
    if (hasBlank(row)) {
      restExpected.push(row);
      continue;
    }
    const text = rowText(row, byValue);
    const n = pending.get(text) ?? 0;
    if (n === 0) return false;
    pending.set(text, n - 1);
  }
  if (restExpected.length !== restActual.length) return false;
  return search(restExpected, restActual, 0, new Set(), map, back, byValue);
}

function search(
  expected: Row[],
  actual: Row[],
  i: number,
  used: Set<number>,
  map: Map<string, string>,
  back: Map<string, string>,
  byValue: boolean,
): boolean {
  if (i === expected.length) return true;
  for (let j = 0; j < actual.length; j++) {
    if (used.has(j)) continue;
    const added = extend(expected[i], actual[j], map, back, byValue);
    if (added === undefined) continue;
    used.add(j);
    if (search(expected, actual, i + 1, used, map, back, byValue)) return true;
    used.delete(j);
    for (const label of added) {
      back.delete(map.get(label) as string);
      map.delete(label);
    }
  }
  return false;
}

// Tries to match two solutions under the current blank node renaming; returns the labels it added, or undefined
// (after undoing its own additions) when they do not match.
function extend(
  e: Row,
  a: Row,
  map: Map<string, string>,
  back: Map<string, string>,
  byValue: boolean,
): string[] | undefined {
  const added: string[] = [];
  const undo = () => {
    for (const label of added) {
      back.delete(map.get(label) as string);
      map.delete(label);
    }
    return undefined;
  };
  if (e.size !== a.size) return undefined;
  for (const [name, et] of e) {
    const at = a.get(name);
    if (at === undefined) return undo();
    if (et.termType === 'BlankNode' || at.termType === 'BlankNode') {
      if (et.termType !== 'BlankNode' || at.termType !== 'BlankNode') return undo();
      const mapped = map.get(et.value);
      if (mapped === undefined) {
        if (back.has(at.value)) return undo();
        map.set(et.value, at.value);
        back.set(at.value, et.value);
        added.push(et.value);
      } else if (mapped !== at.value) {
        return undo();
      }
    } else if (termText(et, byValue) !== termText(at, byValue)) {
      return undo();
    }
  }
  return added;
}

function hasBlank(row: Row): boolean {
  for (const t of row.values()) if (t.termType === 'BlankNode') return true;
  return false;
}

function rowText(row: Row, byValue = false): string {
  return [...row.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${termText(v, byValue)}`)
    .join(' ');
}

/** A short human-readable dump of a result, for failure messages. */
export function describeResult(result: Result, limit = 8): string {
  if (result.kind === 'boolean') return String(result.value);
  if (result.kind === 'graph') return `${result.quads.length} triples`;
  const shown = result.rows.slice(0, limit).map((r) => `  {${rowText(r)}}`);
  const more = result.rows.length > limit ? [`  ... ${result.rows.length - limit} more`] : [];
  return [`vars ${JSON.stringify(result.vars)}, ${result.rows.length} rows`, ...shown, ...more].join('\n');
}

/** The solutions only one side has, compared as text (blank node labels as written), for failure messages. */
export function rowDifference(expected: Row[], actual: Row[], limit = 8): string {
  const count = new Map<string, number>();
  for (const r of actual) count.set(rowText(r), (count.get(rowText(r)) ?? 0) + 1);
  const missing: string[] = [];
  for (const r of expected) {
    const n = count.get(rowText(r)) ?? 0;
    if (n > 0) count.set(rowText(r), n - 1);
    else missing.push(rowText(r));
  }
  const extra = [...count.entries()].flatMap(([text, n]) => Array<string>(n).fill(text));
  const lines = (label: string, rows: string[]) => [
    `${label} (${rows.length}):`,
    ...rows.slice(0, limit).map((t) => `  {${t}}`),
    ...(rows.length > limit ? [`  ... ${rows.length - limit} more`] : []),
  ];
  return [...lines('only expected', missing), ...lines('only actual', extra)].join('\n');
}
