// Normalisation of imported RDF, each change reported: IRI spellings and CURIEs before mapping; after mapping,
// term values (taxa, methods, anatomy, ...) to canonical ontology IRIs, licences to SPDX IRIs, local terms kept.
import type { Literal, NamedNode, Quad, Quad_Object, Term } from '@rdfjs/types';
import { DataFactory } from 'n3';
import type { LicenseTable } from '../ingest/mapping.ts';
import { expandCurie, prefixes } from '../namespaces.ts';
import type { Branch, TermIndex } from '../terms/index.ts';

const { namedNode, literal, quad } = DataFactory;
const OBO = prefixes.obo;
const NCBITAXON = `${OBO}NCBITaxon_`;

/** One change (or refusal to change) the import made, for people: `kind` groups them in the summary. */
export type Notice = { kind: string; message: string };

/** URI schemes that are real schemes; anything else before a colon is taken for a CURIE prefix. */
const URI_SCHEMES = new Set(['http', 'https', 'ftp', 'urn', 'mailto', 'file', 'tag', 'data', 'doi', 'arcp', 's3', 'gs', 'uuid']);

/**
 * Rewrites IRIs the source spelt in a non-canonical way, before mapping: unexpanded CURIEs (`FBbi:00000257`,
 * `NCBITaxon:10090`, `rdfs:seeAlso`) and other spellings of OBO terms (NCBI taxonomy web URLs, https PURLs,
 * zero-padded numbers, openMINDS aliases) become the canonical IRI. One notice per distinct IRI changed.
 */
export function normalizeIris(quads: Quad[], terms: TermIndex): { quads: Quad[]; notices: Notice[] } {
  const notices: Notice[] = [];
  const cache = new Map<string, NamedNode | null>();
  const rewrite = (t: Term): Term => {
    if (t.termType !== 'NamedNode') return t;
    let replacement = cache.get(t.value);
    if (replacement === undefined) {
      const found = canonical(t.value, terms);
      replacement = found === null ? null : namedNode(found.iri);
      cache.set(t.value, replacement);
      if (found) notices.push({ kind: found.kind, message: found.message });
    }
    return replacement ?? t;
  };
  const out = quads.map((q) => {
    const s = rewrite(q.subject);
    const p = rewrite(q.predicate);
    const o = rewrite(q.object);
    return s === q.subject && p === q.predicate && o === q.object ? q : quad(s as never, p as never, o as never, q.graph);
  });
  return { quads: out, notices };
}

function canonical(iri: string, terms: TermIndex): { iri: string; kind: string; message: string } | null {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(iri);
  if (m === null) return null;
  if (!URI_SCHEMES.has(m[1]!.toLowerCase())) {
    const c = terms.canonicalIri(iri);
    const expanded = c !== null && c !== iri && c.startsWith(OBO) ? c : expandCurie(iri);
    if (expanded === null || expanded === iri) return null;
    return { iri: expanded, kind: 'curie-expanded', message: `CURIE '${iri}' expanded to <${expanded}>` };
  }
  if (!/^https?:/i.test(iri)) return null;
  const c = terms.canonicalIri(iri);
  if (c === null || c === iri || !c.startsWith(OBO)) return null;
  const kind = c.startsWith(NCBITAXON) ? 'taxon-iri-normalised' : 'iri-normalised';
  return { iri: c, kind, message: `<${iri}> written as the canonical <${c}>` };
}

export type TermOptions = {
  terms: TermIndex;
  /** Term predicate IRI -> branch. */
  branches: Map<string, Branch>;
  /** Term predicate IRI -> (lower-case name -> IRI): an archive's own names for terms, mapped without notice. */
  values: Map<string, Map<string, string>>;
  licenses: LicenseTable;
  licensePredicates: Set<string>;
  /** IRIs under this base are ids local to the source; they are kept, renamed under the record's IRI. */
  sourceBase: string;
  recordIri: string;
};

/**
 * After mapping: term values become canonical ontology IRIs (a value may be an IRI in any spelling, a CURIE or a
 * name, misspelt names included), licences SPDX IRIs; ids local to the source are kept under the record's IRI.
 * Values that do not resolve stay as they are. Every change and every value kept unresolved gives a notice.
 */
export function resolveTermValues(quads: Quad[], opts: TermOptions): { quads: Quad[]; notices: Notice[] } {
  const notices: Notice[] = [];
  const said = new Set<string>();
  const notice = (kind: string, message: string) => {
    const key = `${kind}\n${message}`;
    if (said.has(key)) return;
    said.add(key);
    notices.push({ kind, message });
  };
  const local = (t: Term): Term => {
    if (t.termType !== 'NamedNode' || !t.value.startsWith(opts.sourceBase)) return t;
    const tail = t.value.slice(opts.sourceBase.length);
    const name = (tail.includes('#') ? tail.slice(tail.indexOf('#') + 1) : tail).replace(/[^A-Za-z0-9._~-]+/g, '-') || 'root';
    const kept = namedNode(`${opts.recordIri}#local-${name}`);
    notice('local-term-kept', `'${decodeURIComponent(tail)}' is an id local to the source; kept as <${kept.value}>`);
    return kept;
  };
  const out: Quad[] = [];
  for (const q of quads) {
    const subject = local(q.subject);
    let object = local(q.object) as Quad_Object;
    const predicate = q.predicate.value;
    const branch = opts.branches.get(predicate);
    if (branch !== undefined && object === q.object) object = resolveTerm(object, predicate, branch, opts, notice);
    else if (opts.licensePredicates.has(predicate)) object = resolveLicense(object, opts.licenses, notice);
    out.push(subject === q.subject && object === q.object ? q : quad(subject as never, q.predicate, object, q.graph));
  }
  return { quads: out, notices };
}

function resolveTerm(
  object: Quad_Object,
  predicate: string,
  branch: Branch,
  opts: TermOptions,
  notice: (kind: string, message: string) => void,
): Quad_Object {
  if (object.termType !== 'NamedNode' && object.termType !== 'Literal') return object;
  const text = object.value.trim();
  const what = `${localName(predicate)} '${text}'`;
  const mapped = opts.values.get(predicate)?.get(text.toLowerCase());
  if (mapped !== undefined) return namedNode(mapped);
  const r = opts.terms.resolve(text, branch);
  if (r.status === 'unresolved') {
    if (object.termType === 'NamedNode') notice('local-term-kept', `${what} is kept as it is: ${r.warning}`);
    else notice('term-unresolved', `${what} kept as text (${r.warning.replace(/; kept as text$/, '')})`);
    return object;
  }
  if (r.iri === text) {
    if (r.warning) notice('term-outside-slims', `${what}: ${r.warning}`);
    return object.termType === 'NamedNode' ? object : namedNode(r.iri);
  }
  const to = `'${r.label}' <${r.iri}>`;
  switch (r.match) {
    case 'curie':
      notice('curie-expanded', `${what} expanded to ${to}`);
      break;
    case 'iri':
      notice(r.iri.startsWith(NCBITAXON) ? 'taxon-iri-normalised' : 'iri-normalised', `${what} written as the canonical ${to}`);
      break;
    case 'fuzzy':
      notice('name-fuzzy-matched', `${what} matched ${to} by close spelling`);
      break;
    default:
      notice('name-resolved', `${what} resolved to ${to}${r.warning ? ` (${r.warning})` : ''}`);
  }
  return namedNode(r.iri);
}

function resolveLicense(object: Quad_Object, licenses: LicenseTable, notice: (kind: string, message: string) => void): Quad_Object {
  if (object.termType !== 'NamedNode' && object.termType !== 'Literal') return object;
  const text = object.value.trim();
  const iri = licenses.resolve(text);
  if (iri) return namedNode(iri);
  if (/^https?:\/\/\S+$/.test(text)) return object.termType === 'NamedNode' ? object : namedNode(text);
  notice('licence-unknown', `licence '${text}' is not a known SPDX identifier or licence URL; kept as text`);
  return object.termType === 'Literal' ? object : (literal(text) as Literal);
}

function localName(iri: string): string {
  return iri.slice(Math.max(iri.lastIndexOf('#'), iri.lastIndexOf('/')) + 1);
}
