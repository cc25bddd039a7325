// Linked Data: the IRIs minted for records (`{base}id/{archive}/{kind}/{id}`) resolve here to their descriptions.
import type { Quad, Quad_Graph, Quad_Object, Quad_Predicate, Quad_Subject } from '@rdfjs/types';
import { DataFactory } from 'n3';
import { PROVENANCE_GRAPH } from '../archive/archive.ts';
import type { SparqlJsonResults } from '../store/store.ts';
import { contentType, FORMATS, negotiate } from './conneg.ts';
import type { ServeContext, ServedArchive } from './context.ts';
import { archiveUrls } from './describe.ts';
import { notFound } from './errors.ts';
import { esc, facts, page, termHtml, triplesTable } from './html.ts';
import { termFromJson, writeRdf } from './rdf-out.ts';

const { namedNode, quad, defaultGraph } = DataFactory;

const OFFERS = [
  FORMATS.turtle,
  FORMATS.jsonld,
  FORMATS.ntriples,
  FORMATS.trig,
  FORMATS.nquads,
  FORMATS.rdfxml,
  FORMATS.html,
];
const SAFE_IRI = /^https?:\/\/[^\s<>"{}|^`\\]*$/;

/**
 * `GET /id/{archive}/{path}`: the record whose graph is `{base}id/{archive}/{path}` (its whole graph), or else any
 * other resource of the archive with that IRI (its triples as subject), by content negotiation.
 *
 * @throws HttpError 404 when the archive holds nothing about the IRI.
 */
export async function linkedDataRoute(
  ctx: ServeContext,
  archive: ServedArchive,
  request: Request,
  url: URL,
  path: string,
): Promise<Response> {
  const format = negotiate(OFFERS, request.headers.get('accept'), url.searchParams.get('format'));
  const prefix = `${ctx.baseIri}id/${archive.name}/`;
  // Clients percent-encode non-ASCII characters of an IRI; the archive may hold the IRI with or without that.
  const candidates = [...new Set([prefix + path, prefix + safeDecode(path)])].filter((c) => SAFE_IRI.test(c));
  const recordIri = candidates.find((c) => archive.graphs.has(c));
  const iri = recordIri ?? candidates[0];
  if (iri === undefined) throw notFound(`no resource at ${url.pathname} in archive "${archive.name}"`);
  const signal = request.signal;

  if (format === FORMATS.rdfxml) {
    // The engine writes RDF/XML; an empty document would not say "not found", so a non-record is checked first.
    if (!recordIri) {
      const found = await ctx.pool.run(
        { kind: 'select', archive: archive.name, queries: [`ASK { <${iri}> ?p ?o }`] },
        { signal },
      );
      if (!('results' in found) || found.results[0].boolean !== true) {
        throw notFound(`archive "${archive.name}" has nothing about <${iri}>`);
      }
    }
    const query = recordIri
      ? `CONSTRUCT { ?s ?p ?o } WHERE { GRAPH <${iri}> { ?s ?p ?o } }`
      : `CONSTRUCT { <${iri}> ?p ?o } WHERE { <${iri}> ?p ?o }`;
    const value = await ctx.pool.run(
      {
        kind: 'query',
        archive: archive.name,
        query,
        form: 'CONSTRUCT',
        mediaType: format.mediaType,
        maxRows: ctx.maxResultRows,
      },
      { signal },
    );
    if (!('body' in value)) throw new Error('linked data job returned no body');
    return respond(value.body, format);
  }

  const queries = recordIri
    ? [`SELECT ?s ?p ?o WHERE { GRAPH <${iri}> { ?s ?p ?o } }`]
    : [`SELECT ?p ?o WHERE { <${iri}> ?p ?o } LIMIT ${ctx.maxResultRows}`];
  if (format === FORMATS.html)
    queries.push(`SELECT ?p ?o WHERE { GRAPH <${PROVENANCE_GRAPH}> { <${iri}> ?p ?o } }`);
  const value = await ctx.pool.run({ kind: 'select', archive: archive.name, queries }, { signal });
  if (!('results' in value)) throw new Error('linked data job returned no results');
  const subject = namedNode(iri);
  // Every format gives the same RDF graph; only the dataset formats (TriG, N-Quads) also name the record's graph.
  // (A JSON-LD named graph would be invisible to the many Linked Data clients that read the default graph only.)
  const named = recordIri !== undefined && (format === FORMATS.trig || format === FORMATS.nquads);
  const graph: Quad_Graph = named ? subject : defaultGraph();
  const quads = toQuads(value.results[0], subject, graph);
  if (quads.length === 0) throw notFound(`archive "${archive.name}" has nothing about <${iri}>`);
  if (format === FORMATS.html) {
    const provenance = toQuads(value.results[1], subject, defaultGraph());
    return respond(recordHtml(iri, archive, url, quads, provenance, recordIri !== undefined), format);
  }
  return respond(writeRdf(quads, format), format);
}

function respond(body: string, format: (typeof OFFERS)[number]): Response {
  return new Response(body, { headers: { 'content-type': contentType(format), vary: 'Accept' } });
}

function safeDecode(path: string): string {
  try {
    return decodeURI(path);
  } catch (error) {
    // A malformed escape: the path can only match as it was sent.
    if (error instanceof URIError) return path;
    throw error;
  }
}

function toQuads(results: SparqlJsonResults, subject: Quad_Subject, graph: Quad_Graph): Quad[] {
  return (results.results?.bindings ?? []).map((b) =>
    quad(
      b.s ? (termFromJson(b.s) as Quad_Subject) : subject,
      termFromJson(b.p) as Quad_Predicate,
      termFromJson(b.o) as Quad_Object,
      graph,
    ),
  );
}

function recordHtml(
  iri: string,
  archive: ServedArchive,
  url: URL,
  quads: Quad[],
  provenance: Quad[],
  isRecord: boolean,
): string {
  const home = archiveUrls(url.origin, archive.name).home;
  const here = `${url.origin}${url.pathname}`;
  const as = (f: string, label: string) => `<a href="${esc(`${here}?format=${f}`)}">${label}</a>`;
  const provenanceRows = provenance.map((q) => [termHtml(q.predicate), termHtml(q.object)] as const);
  const body = `${facts([
    ['IRI', `<code>${esc(iri)}</code>`],
    ['Archive', `<a href="${esc(home)}">${esc(archive.meta.title ?? archive.name)}</a>`],
    ['Kind', isRecord ? 'record (its named graph is shown)' : 'resource (its triples as subject)'],
    [
      'As',
      [
        as('ttl', 'Turtle'),
        as('jsonld', 'JSON-LD'),
        as('nt', 'N-Triples'),
        as('trig', 'TriG'),
        as('rdfxml', 'RDF/XML'),
      ].join(', '),
    ],
  ])}
${triplesTable(quads)}
${
  provenanceRows.length > 0
    ? `<h2>Provenance</h2><table>${provenanceRows.map(([p, o]) => `<tr><td>${p}</td><td>${o}</td></tr>`).join('\n')}</table>`
    : ''
}`;
  return page(iri, body);
}
