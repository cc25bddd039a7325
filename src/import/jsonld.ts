// JSON-LD to RDF/JS quads with jsonld.js, resolving contexts only from the local copies in mappings/contexts/:
// nothing is fetched, and any other remote context is an error that names it.
import { readFileSync } from 'node:fs';
import type { Quad } from '@rdfjs/types';
import jsonld from 'jsonld';
import { DataFactory } from 'n3';
import { distance } from 'fastest-levenshtein';

const { namedNode, blankNode, literal, quad, defaultGraph } = DataFactory;

export type JsonObject = Record<string, unknown>;

/** A context URL the project has no local copy of. */
export class UnknownContextError extends Error {
  readonly url: string;
  constructor(url: string, known: string[]) {
    super(
      `unknown remote JSON-LD context <${url}>: benchgraph never fetches contexts; it knows ${known.map((k) => `<${k}>`).join(', ')} ` +
        '(add a local copy to mappings/contexts/ and list it in mappings/import.yaml to import this document)',
    );
    this.name = 'UnknownContextError';
    this.url = url;
  }
}

/** Something JSON-LD processing reported about the document: a dropped term, say. */
export type JsonLdNotice = { kind: string; message: string };

export type ContextLoader = {
  load(url: string): Promise<{ contextUrl: null; documentUrl: string; document: JsonObject }>;
  /** Every term name (a key of any @context object) reachable from a document's @context value. */
  termsOf(context: unknown): Set<string>;
};

/** A document loader over local files: contexts are parsed once and shared by every document. */
export function localContextLoader(contexts: Map<string, string>): ContextLoader {
  const parsed = new Map<string, JsonObject>();
  const termCache = new Map<string, Set<string>>();
  const read = (url: string): JsonObject => {
    const key = url.replace(/#.*$/, '');
    let doc = parsed.get(key);
    if (doc) return doc;
    const file = contexts.get(key) ?? contexts.get(key.replace(/\/$/, '')) ?? contexts.get(`${key}/`);
    if (file === undefined) throw new UnknownContextError(url, [...contexts.keys()]);
    try {
      doc = JSON.parse(readFileSync(file, 'utf8')) as JsonObject;
    } catch (err) {
      throw new Error(`${file} (local copy of <${url}>): ${(err as Error).message}`, { cause: err });
    }
    parsed.set(key, doc);
    return doc;
  };
  const termsOf = (context: unknown, seen = new Set<string>()): Set<string> => {
    const out = new Set<string>();
    for (const c of Array.isArray(context) ? context : [context]) {
      if (typeof c === 'string') {
        if (seen.has(c)) continue;
        seen.add(c);
        let cached = termCache.get(c);
        if (!cached) {
          cached = termsOf(read(c)['@context'], seen);
          termCache.set(c, cached);
        }
        for (const t of cached) out.add(t);
      } else if (c && typeof c === 'object') {
        for (const k of Object.keys(c)) if (!k.startsWith('@')) out.add(k);
      }
    }
    return out;
  };
  return {
    load: async (url) => ({ contextUrl: null, documentUrl: url, document: read(url) }),
    termsOf: (context) => termsOf(context),
  };
}

/**
 * Corrects misspelt type names (`QuantitiveValue`) to the context's term at the smallest edit distance (at most
 * 2 edits and a fifth of the name), in place. Types that are IRIs, CURIEs or context terms are left alone.
 */
export function correctTypeNames(doc: unknown, terms: Set<string>): JsonLdNotice[] {
  const typeTerms = [...terms].filter((t) => /^[A-Z]/.test(t));
  const notices: JsonLdNotice[] = [];
  const fixed = new Map<string, string | null>();
  const fix = (name: string): string => {
    if (terms.has(name) || name.includes(':') || name.startsWith('#') || name.startsWith('@')) return name;
    if (!fixed.has(name)) {
      const limit = Math.min(2, Math.floor(name.length / 5));
      let best: string | null = null;
      let bestDistance = limit + 1;
      let tie = false;
      for (const t of typeTerms) {
        if (Math.abs(t.length - name.length) > limit) continue;
        const d = distance(name.toLowerCase(), t.toLowerCase());
        if (d < bestDistance) {
          best = t;
          bestDistance = d;
          tie = false;
        } else if (d === bestDistance) tie = true;
      }
      fixed.set(name, tie ? null : best);
      if (best !== null && !tie) {
        notices.push({ kind: 'type-corrected', message: `type '${name}' is not a term of the context; read as '${best}'` });
      }
    }
    return fixed.get(name) ?? name;
  };
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const n of node) walk(n);
      return;
    }
    if (!node || typeof node !== 'object') return;
    const obj = node as JsonObject;
    for (const [key, value] of Object.entries(obj)) {
      if (key === '@context') continue;
      if (key === '@type') {
        if (typeof value === 'string') obj[key] = fix(value);
        else if (Array.isArray(value)) obj[key] = value.map((v) => (typeof v === 'string' ? fix(v) : v));
      } else walk(value);
    }
  };
  walk(doc);
  return notices;
}

/**
 * Expands a JSON-LD document to quads (default graph unless the document names graphs). Properties that do not
 * expand to an IRI are dropped by JSON-LD; each is reported once.
 *
 * @throws UnknownContextError for a context without a local copy; jsonld.js errors for invalid JSON-LD.
 */
export async function toQuads(
  doc: JsonObject,
  opts: { base: string; loader: ContextLoader },
): Promise<{ quads: Quad[]; notices: JsonLdNotice[] }> {
  const notices: JsonLdNotice[] = [];
  const dropped = new Set<string>();
  const raw = (await jsonld.toRDF(doc as jsonld.JsonLdDocument, {
    base: opts.base,
    documentLoader: opts.loader.load as unknown as jsonld.Options.DocLoader['documentLoader'],
    eventHandler: ({ event, next }: { event: { code: string; details?: Record<string, unknown> }; next: () => void }) => {
      if (event.code === 'invalid property') {
        const property = String(event.details?.property ?? '?');
        if (!dropped.has(property)) {
          dropped.add(property);
          notices.push({ kind: 'term-dropped', message: `property '${property}' is not a term of the context; dropped` });
        }
        return;
      }
      next();
    },
  } as jsonld.Options.ToRdf)) as unknown as RawQuad[];
  return { quads: raw.map(fromRaw), notices };
}

type RawTerm = { termType: string; value: string; datatype?: { value: string }; language?: string };
type RawQuad = { subject: RawTerm; predicate: RawTerm; object: RawTerm; graph: RawTerm };

function fromRaw(q: RawQuad): Quad {
  return quad(term(q.subject) as never, term(q.predicate) as never, term(q.object) as never, term(q.graph) as never);
}

function term(t: RawTerm) {
  switch (t.termType) {
    case 'NamedNode':
      return namedNode(t.value);
    case 'BlankNode':
      return blankNode(t.value.replace(/^_:/, ''));
    case 'Literal':
      return t.language ? literal(t.value, t.language) : literal(t.value, t.datatype ? namedNode(t.datatype.value) : undefined);
    default:
      return defaultGraph();
  }
}
