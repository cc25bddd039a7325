// Triple (and Quad) Pattern Fragments of an archive: a page of matches, an estimated count and hypermedia controls.
import type { Quad, Quad_Graph, Quad_Object, Quad_Predicate, Quad_Subject, Term } from '@rdfjs/types';
import { DataFactory } from 'n3';
import { ns } from '../namespaces.ts';
import type { SparqlJsonTerm } from '../store/store.ts';
import { contentType, FORMATS, negotiate } from './conneg.ts';
import type { ServeContext, ServedArchive } from './context.ts';
import { archiveUrls } from './describe.ts';
import { badRequest } from './errors.ts';
import { esc, page as htmlPage, termHtml, triplesTable } from './html.ts';
import { termFromJson, writeRdf } from './rdf-out.ts';

const { namedNode, literal, blankNode, quad, defaultGraph } = DataFactory;

/**
 * The graph IRI that stands for the default graph (the union of the archive's graphs). Quad Pattern Fragments
 * clients learn it from `sd:defaultGraph` and send it as `graph`; it is the value the reference server
 * (@ldf/server) uses, so clients written against that server work here unchanged.
 */
export const DEFAULT_GRAPH_IRI = 'urn:ldf:defaultGraph';

const OFFERS = [FORMATS.turtle, FORMATS.trig, FORMATS.nquads, FORMATS.ntriples, FORMATS.jsonld, FORMATS.html];
const POSITIONS = ['subject', 'predicate', 'object', 'graph'] as const;
type Position = (typeof POSITIONS)[number];

/** A pattern position: a variable, or a term with its SPARQL text. */
type Slot = { term: undefined } | { term: Term; sparql: string };

/** How the graph position is matched. */
type GraphMode = { kind: 'default' } | { kind: 'named'; term: Term; sparql: string } | { kind: 'any' };

/** A parsed fragment request. */
export type FragmentRequest = {
  subject: Slot;
  predicate: Slot;
  object: Slot;
  graph: GraphMode;
  page: number;
};

const IRI = /^[a-z][a-z0-9+.-]*:[^\s<>"{}|^`\\]*$/i;

// A parameter value in the explicit representation TPF clients send: IRIs bare (or in <>), literals as
// "text", "text"@lang or "text"^^datatype, variables as ?name or empty.
function parseSlot(value: string | null, position: Position): Slot {
  if (value === null || value === '' || value.startsWith('?')) return { term: undefined };
  if (value.startsWith('"')) {
    if (position !== 'object') throw badRequest(`${position} cannot be a literal: ${value}`);
    const m = /^"([\s\S]*)"(?:@([a-zA-Z]+(?:-[a-zA-Z0-9]+)*)|\^\^<?([^<>]+?)>?)?$/.exec(value);
    if (!m)
      throw badRequest(
        `object ${JSON.stringify(value)} is not a literal of the form "text", "text"@lang or "text"^^datatype`,
      );
    const [, text, lang, datatype] = m;
    if (datatype !== undefined && !IRI.test(datatype))
      throw badRequest(`object datatype is not an absolute IRI: ${datatype}`);
    const term = lang
      ? literal(text, lang)
      : literal(text, datatype === undefined ? undefined : namedNode(datatype));
    const sparql = `${JSON.stringify(text)}${lang ? `@${lang}` : datatype ? `^^<${datatype}>` : ''}`;
    return { term, sparql };
  }
  if (value.startsWith('_:')) {
    throw badRequest(
      `${position} ${value}: blank nodes cannot be matched, they are local to the page that shows them`,
    );
  }
  const iri = value.startsWith('<') && value.endsWith('>') ? value.slice(1, -1) : value;
  if (!IRI.test(iri))
    throw badRequest(
      `${position} must be an absolute IRI, a literal or a variable, found ${JSON.stringify(value)}`,
    );
  return { term: namedNode(iri), sparql: `<${iri}>` };
}

/** Reads `subject`, `predicate`, `object`, `graph` and `page` from a fragment URL. */
export function parseFragmentRequest(params: URLSearchParams): FragmentRequest {
  const subject = parseSlot(params.get('subject'), 'subject');
  const predicate = parseSlot(params.get('predicate'), 'predicate');
  const object = parseSlot(params.get('object'), 'object');
  const graphParam = params.get('graph');
  let graph: GraphMode;
  if (graphParam === DEFAULT_GRAPH_IRI) graph = { kind: 'default' };
  else if (graphParam === null || graphParam === '' || graphParam.startsWith('?')) {
    // Without `graph` the fragment is a Quad Pattern Fragment over every graph, as QPF specifies.
    graph = { kind: 'any' };
  } else {
    const slot = parseSlot(graphParam, 'graph');
    if (slot.term === undefined) throw new Error('unreachable: graph slot without term');
    graph = { kind: 'named', term: slot.term, sparql: slot.sparql };
  }
  const pageParam = params.get('page') ?? '1';
  if (!/^[1-9]\d{0,8}$/.test(pageParam))
    throw badRequest(`page must be a positive integer, found ${JSON.stringify(pageParam)}`);
  return { subject, predicate, object, graph, page: Number(pageParam) };
}

/** The SELECT queries for one page (one row more than the page holds, to see whether another follows) and the count. */
export function fragmentQueries(
  req: FragmentRequest,
  pageSize: number,
  countCap: number,
): { page: string; count: string } {
  const slots = [req.subject, req.predicate, req.object] as const;
  const text = (slot: Slot, v: string) => (slot.term === undefined ? `?${v}` : slot.sparql);
  const triple = `${text(req.subject, 's')} ${text(req.predicate, 'p')} ${text(req.object, 'o')}`;
  const vars = ['s', 'p', 'o'].filter((_, i) => slots[i].term === undefined).map((v) => `?${v}`);
  let where: string;
  let distinct = '';
  if (req.graph.kind === 'default') {
    where = `{ ${triple} }`;
    // The union default graph repeats a triple held by several graphs; a fragment is a set.
    distinct = 'DISTINCT ';
  } else if (req.graph.kind === 'named') {
    where = `{ GRAPH ${req.graph.sparql} { ${triple} } }`;
  } else {
    where = `{ GRAPH ?g { ${triple} } }`;
    vars.push('?g');
  }
  const projection = vars.length > 0 ? vars.join(' ') : '*';
  const offset = (req.page - 1) * pageSize;
  return {
    page: `SELECT ${distinct}${projection} WHERE ${where} LIMIT ${pageSize + 1} OFFSET ${offset}`,
    count: `SELECT (COUNT(*) AS ?n) WHERE { SELECT ${distinct}${projection} WHERE ${where} LIMIT ${countCap} }`,
  };
}

/** `GET /archives/{name}/tpf`. */
export async function tpfRoute(
  ctx: ServeContext,
  archive: ServedArchive,
  request: Request,
  url: URL,
): Promise<Response> {
  const format = negotiate(OFFERS, request.headers.get('accept'), url.searchParams.get('format'));
  const req = parseFragmentRequest(url.searchParams);
  const pageSize = ctx.tpfPageSize;
  const queries = fragmentQueries(req, pageSize, ctx.tpfCountCap);
  // The count does not change from page to page (stores only change on restart), so it is asked for once.
  const countKey = `${archive.name}\n${queries.count}`;
  const known = ctx.countCache.get(countKey);
  const value = await ctx.pool.run(
    {
      kind: 'select',
      archive: archive.name,
      queries: known === undefined ? [queries.page, queries.count] : [queries.page],
    },
    { signal: request.signal },
  );
  if (!('results' in value)) throw new Error('fragment job returned no results');
  const [pageResults, countResults] = value.results;
  const rows = pageResults.results?.bindings ?? [];
  const data = rows.slice(0, pageSize).map((b) => dataQuad(req, b));
  const hasNext = rows.length > pageSize;
  const counted = known ?? Number(countResults.results?.bindings[0]?.n?.value ?? 0);
  if (known === undefined) remember(ctx.countCache, countKey, counted);
  const offset = (req.page - 1) * pageSize;
  // A count that reached the cap is a lower bound; what this page has seen may push it further.
  const total = counted < ctx.tpfCountCap ? counted : Math.max(counted, offset + rows.length);
  const links = controls(url, req.page, hasNext);
  const urls = archiveUrls(url.origin, archive.name);
  const title = archive.meta.title ?? archive.name;
  const body =
    format === FORMATS.html
      ? fragmentHtml(title, url, req, data, total, links, pageSize)
      : writeRdf(
          [...data, ...metadata(request.url, urls, title, req, total, pageSize, links, format)],
          format,
        );
  return new Response(body, { headers: { 'content-type': contentType(format), vary: 'Accept' } });
}

function dataQuad(req: FragmentRequest, b: Record<string, SparqlJsonTerm>): Quad {
  const pick = (slot: Slot, v: string) => (slot.term ?? termFromJson(b[v])) as Term;
  const graph: Quad_Graph =
    req.graph.kind === 'default'
      ? defaultGraph()
      : req.graph.kind === 'named'
        ? (req.graph.term as Quad_Graph)
        : (termFromJson(b.g) as Quad_Graph);
  return quad(
    pick(req.subject, 's') as Quad_Subject,
    pick(req.predicate, 'p') as Quad_Predicate,
    pick(req.object, 'o') as Quad_Object,
    graph,
  );
}

const COUNT_CACHE_SIZE = 10_000;

// Keeps the most recently added counts; the oldest goes first (a Map iterates in insertion order).
function remember(cache: Map<string, number>, key: string, count: number): void {
  cache.set(key, count);
  if (cache.size > COUNT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
}

type Links = { first: string; next?: string; previous?: string };

// Links to other pages of the same fragment: the pattern parameters as requested, then `page`.
function controls(url: URL, page: number, hasNext: boolean): Links {
  const base = `${url.origin}${url.pathname}`;
  const kept = [...POSITIONS, 'format'].flatMap((k) => {
    const v = url.searchParams.get(k);
    return v === null || v === '' ? [] : [`${k}=${encodeURIComponent(v)}`];
  });
  const at = (n: number) => `${base}?${[...kept, `page=${n}`].join('&')}`;
  return {
    first: at(1),
    ...(hasNext ? { next: at(page + 1) } : {}),
    ...(page > 1 ? { previous: at(page - 1) } : {}),
  };
}

// The hypermedia part of the page. In TriG/N-Quads it goes in its own graph, linked by foaf:primaryTopic to the
// dataset that has this page as a subset: that is how Comunica tells the metadata from the data.
function metadata(
  pageUrl: string,
  urls: ReturnType<typeof archiveUrls>,
  title: string,
  req: FragmentRequest,
  total: number,
  pageSize: number,
  links: Links,
  format: (typeof OFFERS)[number],
): Quad[] {
  const withGraphs = format === FORMATS.trig || format === FORMATS.nquads || format === FORMATS.jsonld;
  const g = withGraphs ? namedNode(`${pageUrl}#metadata`) : defaultGraph();
  const out: Quad[] = [];
  const add = (s: Quad_Subject, p: Quad_Predicate, o: Quad_Object) => out.push(quad(s, p, o, g));
  const dataset = namedNode(`${urls.tpf}#dataset`);
  const page = namedNode(pageUrl);
  const integer = (n: number) => literal(String(n), ns.xsd('integer'));
  if (withGraphs) add(g as Quad_Subject, ns.foaf('primaryTopic'), dataset);
  add(dataset, ns.rdf('type'), ns.void('Dataset'));
  add(dataset, ns.rdf('type'), ns.hydra('Collection'));
  add(dataset, ns.dcterms('title'), literal(title));
  add(dataset, ns.void('subset'), page);
  add(dataset, ns.void('sparqlEndpoint'), namedNode(urls.sparql));
  add(dataset, ns.sd('defaultGraph'), namedNode(DEFAULT_GRAPH_IRI));
  const search = blankNode('tpf-search');
  add(dataset, ns.hydra('search'), search);
  add(search, ns.hydra('template'), literal(`${urls.tpf}{?subject,predicate,object,graph}`));
  add(search, ns.hydra('variableRepresentation'), ns.hydra('ExplicitRepresentation'));
  const properties: Record<Position, Quad_Object> = {
    subject: ns.rdf('subject'),
    predicate: ns.rdf('predicate'),
    object: ns.rdf('object'),
    graph: ns.sd('graph'),
  };
  for (const position of POSITIONS) {
    const mapping = blankNode(`tpf-${position}`);
    add(search, ns.hydra('mapping'), mapping);
    add(mapping, ns.hydra('variable'), literal(position));
    add(mapping, ns.hydra('property'), properties[position]);
  }
  add(page, ns.rdf('type'), ns.hydra('PartialCollectionView'));
  add(page, ns.dcterms('title'), literal(`Linked Data Fragment of ${title}`, 'en'));
  add(
    page,
    ns.dcterms('description'),
    literal(`Matches of the pattern ${patternText(req)} in ${title}.`, 'en'),
  );
  add(page, ns.dcterms('source'), dataset);
  add(page, ns.hydra('totalItems'), integer(total));
  add(page, ns.void('triples'), integer(total));
  add(page, ns.hydra('itemsPerPage'), integer(pageSize));
  add(page, ns.hydra('first'), namedNode(links.first));
  if (links.next) add(page, ns.hydra('next'), namedNode(links.next));
  if (links.previous) add(page, ns.hydra('previous'), namedNode(links.previous));
  return out;
}

function patternText(req: FragmentRequest): string {
  const show = (slot: Slot, v: string) => (slot.term === undefined ? `?${v}` : slot.sparql);
  const triple = `{ ${show(req.subject, 's')} ${show(req.predicate, 'p')} ${show(req.object, 'o')} }`;
  if (req.graph.kind === 'default') return triple;
  return `GRAPH ${req.graph.kind === 'named' ? req.graph.sparql : '?g'} ${triple}`;
}

function fragmentHtml(
  title: string,
  url: URL,
  req: FragmentRequest,
  data: Quad[],
  total: number,
  links: Links,
  pageSize: number,
): string {
  const value = (k: Position) => esc(url.searchParams.get(k) ?? '');
  const nav = [
    links.previous ? `<a href="${esc(links.previous)}">previous</a>` : '',
    links.next ? `<a href="${esc(links.next)}">next</a>` : '',
  ]
    .filter(Boolean)
    .join(' · ');
  const graphs = req.graph.kind === 'any' ? new Set(data.map((q) => q.graph.value)) : new Set<string>();
  const body = `<form method="get" action="${esc(url.origin + url.pathname)}">
${POSITIONS.map((p) => `<p><label>${p} <input name="${p}" value="${value(p)}" size="80"></label></p>`).join('\n')}
<p><button type="submit">Find matches</button> <span class="muted">IRIs bare, literals as "text"@lang or "text"^^datatype, empty for any; graph ${esc(DEFAULT_GRAPH_IRI)} is the default graph, empty is every graph.</span></p>
</form>
<p>${total} matches of <code>${esc(patternText(req))}</code>${total > pageSize ? ` (page ${req.page}, ${pageSize} per page)` : ''}. ${nav}</p>
${triplesTable(data)}
${graphs.size > 0 ? `<p class="muted">Graphs on this page: ${[...graphs].map((g) => termHtml(namedNode(g))).join(', ')}</p>` : ''}`;
  return htmlPage(`Triple Pattern Fragments of ${title}`, body);
}
