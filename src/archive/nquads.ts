// Serializes one record's RDF/JS quads to canonical N-Quads, checking every term first so a bad quad never reaches disk.
import type { Literal, Quad, Term } from '@rdfjs/types';
import { prefixes } from '../namespaces.ts';

const XSD_STRING = `${prefixes.xsd}string`;
const RDF_LANG_STRING = `${prefixes.rdf}langString`;

// IRIREF of N-Quads, plus a scheme so relative IRIs (which N-Quads forbids) are caught here, not at load time.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what an IRI must not contain
const ABSOLUTE_IRI = /^[A-Za-z][A-Za-z0-9+.-]*:[^\u0000-\u0020<>"{}|^`\\]*$/;
const LANGUAGE_TAG = /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/;

/** True when `iri` is an absolute IRI that N-Quads can carry without escaping. */
export function isAbsoluteIri(iri: string): boolean {
  return ABSOLUTE_IRI.test(iri) && iri.isWellFormed();
}

/** The record's quads as N-Quads text (one line per distinct quad) and how many distinct quads it holds. */
export type SerializedRecord = { text: string; triples: number };

/**
 * Serializes the quads of one record into its graph.
 *
 * Quads in the default graph are moved into `graph`; quads already in `graph` stay; any other graph is an error,
 * because a record owns exactly one graph. Blank nodes are relabelled `<blankPrefix>x<n>` so that record files can
 * be concatenated into one load without two records' blank nodes merging. Duplicate quads are written once.
 *
 * @throws Error naming the record, the quad's position and the offending term.
 */
export function serializeRecordQuads(
  recordId: string,
  graph: string,
  quads: Iterable<Quad>,
  blankPrefix: string,
): SerializedRecord {
  const where = (i: number) => `record "${recordId}", quad ${i + 1}`;
  if (!isAbsoluteIri(graph))
    throw new Error(`record "${recordId}": graph must be an absolute IRI, got <${graph}>`);
  const graphText = `<${graph}>`;
  const blanks = new Map<string, string>();
  const blank = (label: string): string => {
    let mapped = blanks.get(label);
    if (mapped === undefined) {
      mapped = `_:${blankPrefix}x${blanks.size}`;
      blanks.set(label, mapped);
    }
    return mapped;
  };
  const term = (t: Term, i: number, position: string): string => {
    switch (t.termType) {
      case 'NamedNode':
        if (!isAbsoluteIri(t.value)) {
          throw new Error(`${where(i)}: ${position} must be an absolute IRI, got <${t.value}>`);
        }
        return `<${t.value}>`;
      case 'BlankNode':
        return blank(t.value);
      case 'Literal':
        return literal(t, i);
      default:
        throw new Error(`${where(i)}: ${position} cannot be a ${t.termType}`);
    }
  };
  const literal = (t: Literal, i: number): string => {
    if (!t.value.isWellFormed()) throw new Error(`${where(i)}: literal holds a lone UTF-16 surrogate`);
    const lexical = `"${escapeString(t.value)}"`;
    if ((t as { direction?: string }).direction) {
      throw new Error(`${where(i)}: literals with a base direction are not supported ("${t.value}")`);
    }
    if (t.language) {
      if (!LANGUAGE_TAG.test(t.language)) {
        throw new Error(`${where(i)}: invalid language tag "${t.language}" on "${t.value}"`);
      }
      return `${lexical}@${t.language}`;
    }
    const datatype = t.datatype?.value ?? XSD_STRING;
    if (datatype === XSD_STRING) return lexical;
    if (datatype === RDF_LANG_STRING)
      throw new Error(`${where(i)}: rdf:langString literal without a language tag`);
    if (!isAbsoluteIri(datatype))
      throw new Error(`${where(i)}: datatype must be an absolute IRI, got <${datatype}>`);
    return `${lexical}^^<${datatype}>`;
  };

  const lines = new Set<string>();
  let i = 0;
  for (const q of quads) {
    if (q.subject.termType !== 'NamedNode' && q.subject.termType !== 'BlankNode') {
      throw new Error(`${where(i)}: subject must be an IRI or a blank node, got a ${q.subject.termType}`);
    }
    if (q.predicate.termType !== 'NamedNode') {
      throw new Error(`${where(i)}: predicate must be an IRI, got a ${q.predicate.termType}`);
    }
    if (
      q.graph.termType !== 'DefaultGraph' &&
      !(q.graph.termType === 'NamedNode' && q.graph.value === graph)
    ) {
      throw new Error(
        `${where(i)}: quad is in graph ${describe(q.graph)}, expected the record graph <${graph}>`,
      );
    }
    const s = term(q.subject, i, 'subject');
    const p = term(q.predicate, i, 'predicate');
    const o = term(q.object, i, 'object');
    lines.add(`${s} ${p} ${o} ${graphText} .\n`);
    i++;
  }
  return { text: [...lines].join(''), triples: lines.size };
}

function describe(t: Term): string {
  return t.termType === 'NamedNode' ? `<${t.value}>` : `a ${t.termType} ${JSON.stringify(t.value)}`;
}

// Canonical N-Triples string escaping: ECHAR for the usual controls, UCHAR for the rest of C0 and DEL.
function escapeString(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what must be escaped
  return value.replace(/[\u0000-\u001f"\\\u007f]/g, (c) => {
    switch (c) {
      case '"':
        return '\\"';
      case '\\':
        return '\\\\';
      case '\n':
        return '\\n';
      case '\r':
        return '\\r';
      case '\t':
        return '\\t';
      case '\b':
        return '\\b';
      case '\f':
        return '\\f';
      default:
        return `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
    }
  });
}
