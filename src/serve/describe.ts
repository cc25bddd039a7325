// Archive descriptions: VoID statistics, a SPARQL 1.1 Service Description and a DCAT entry, plus the listing.
import type { Quad, Quad_Object, Quad_Subject } from '@rdfjs/types';
import { DataFactory } from 'n3';
import { ns, prefixes } from '../namespaces.ts';
import type { SparqlJsonResults } from '../store/store.ts';
import { contentType, FORMATS, negotiate } from './conneg.ts';
import type { ServeContext, ServedArchive } from './context.ts';
import { esc, facts, page, shortIri } from './html.ts';
import { writeRdf } from './rdf-out.ts';

const { namedNode, literal, blankNode, quad } = DataFactory;

/** Specifications the endpoints conform to (dcterms:conformsTo of the DCAT data services). */
const SPEC = {
  sparqlProtocol: 'https://www.w3.org/TR/sparql11-protocol/',
  tpf: 'https://linkeddatafragments.org/specification/triple-pattern-fragments/',
};

/** VoID statistics of an archive's default graph (the union of its graphs). */
export type ArchiveStats = {
  triples: number;
  subjects: number;
  objects: number;
  graphs: number;
  classes: { iri: string; entities: number }[];
  properties: { iri: string; triples: number }[];
};

const STATS_QUERIES = [
  'SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }',
  'SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o }',
  'SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?s ?p ?o }',
  'SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }',
  `SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c FILTER(isIRI(?c)) } GROUP BY ?c ORDER BY DESC(?n) ?c`,
  'SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p ORDER BY DESC(?n) ?p',
];

/** The URLs of an archive's pages and endpoints on this server, from the origin the client used. */
export function archiveUrls(origin: string, name: string) {
  const home = `${origin}/archives/${name}`;
  return {
    home,
    dataset: `${home}#dataset`,
    sparql: `${home}/sparql`,
    tpf: `${home}/tpf`,
    // The endpoint URL names the service itself, so a client that dereferences it finds its own description.
    sparqlService: `${home}/sparql`,
    tpfService: `${home}#tpf-service`,
  };
}

/** The archive's statistics, computed by the query workers the first time they are needed and then kept. */
export function archiveStats(ctx: ServeContext, archive: ServedArchive): Promise<ArchiveStats> {
  let cached = ctx.statsCache.get(archive.name) as Promise<ArchiveStats> | undefined;
  if (!cached) {
    cached = ctx.pool.run({ kind: 'select', archive: archive.name, queries: STATS_QUERIES }).then((value) => {
      if (!('results' in value)) throw new Error('statistics job returned no results');
      return statsFrom(value.results);
    });
    ctx.statsCache.set(archive.name, cached);
    // A failure (timeout, busy server) is not kept: the next request tries again.
    cached.catch(() => ctx.statsCache.delete(archive.name));
  }
  return cached;
}

function statsFrom(results: SparqlJsonResults[]): ArchiveStats {
  const count = (r: SparqlJsonResults) => Number(r.results?.bindings[0]?.n?.value ?? 0);
  const rows = (r: SparqlJsonResults, v: string) =>
    (r.results?.bindings ?? []).map((b) => ({ iri: b[v].value as string, n: Number(b.n.value) }));
  return {
    triples: count(results[0]),
    subjects: count(results[1]),
    objects: count(results[2]),
    graphs: count(results[3]),
    classes: rows(results[4], 'c').map(({ iri, n }) => ({ iri, entities: n })),
    properties: rows(results[5], 'p').map(({ iri, n }) => ({ iri, triples: n })),
  };
}

const integer = (n: number) => literal(String(n), ns.xsd('integer'));

/** VoID + SPARQL Service Description + DCAT description of one archive. */
export function describeArchive(
  archive: ServedArchive,
  stats: ArchiveStats,
  origin: string,
  baseIri: string,
): Quad[] {
  const urls = archiveUrls(origin, archive.name);
  const out: Quad[] = [];
  const add = (s: Quad_Subject, p: string, o: Quad_Object) => out.push(quad(s, namedNode(p), o));
  const dataset = namedNode(urls.dataset);
  const meta = archive.meta;
  const { rdf, void: v, dcat, dcterms, sd, foaf, formats, xsd } = prefixes;

  add(dataset, `${rdf}type`, namedNode(`${v}Dataset`));
  add(dataset, `${rdf}type`, namedNode(`${dcat}Dataset`));
  add(dataset, `${dcterms}title`, literal(meta.title ?? archive.name));
  if (meta.description) add(dataset, `${dcterms}description`, literal(meta.description));
  if (meta.license) {
    add(
      dataset,
      `${dcterms}license`,
      /^https?:\/\//.test(meta.license) ? namedNode(meta.license) : literal(meta.license),
    );
  }
  if (meta.publisher) {
    const publisher = blankNode('publisher');
    add(dataset, `${dcterms}publisher`, publisher);
    add(publisher, `${rdf}type`, namedNode(`${foaf}Agent`));
    add(publisher, `${foaf}name`, literal(meta.publisher));
  }
  add(dataset, `${dcterms}created`, literal(meta.created, namedNode(`${xsd}dateTime`)));
  add(dataset, `${dcterms}modified`, literal(meta.modified, namedNode(`${xsd}dateTime`)));
  add(dataset, `${dcat}landingPage`, namedNode(urls.home));
  add(dataset, `${v}sparqlEndpoint`, namedNode(urls.sparql));
  // Where the records' IRIs are: under the base they were minted with at ingest, whatever this server's base is.
  add(dataset, `${v}uriSpace`, literal(`${meta.baseIri || baseIri}id/${archive.name}/`));
  add(dataset, `${v}triples`, integer(stats.triples));
  add(dataset, `${v}distinctSubjects`, integer(stats.subjects));
  add(dataset, `${v}distinctObjects`, integer(stats.objects));
  add(dataset, `${v}classes`, integer(stats.classes.length));
  add(dataset, `${v}properties`, integer(stats.properties.length));
  stats.classes.forEach((c, i) => {
    const part = blankNode(`class${i}`);
    add(dataset, `${v}classPartition`, part);
    add(part, `${v}class`, namedNode(c.iri));
    add(part, `${v}entities`, integer(c.entities));
  });
  stats.properties.forEach((p, i) => {
    const part = blankNode(`property${i}`);
    add(dataset, `${v}propertyPartition`, part);
    add(part, `${v}property`, namedNode(p.iri));
    add(part, `${v}triples`, integer(p.triples));
  });

  const service = namedNode(urls.sparqlService);
  add(service, `${rdf}type`, namedNode(`${sd}Service`));
  add(service, `${rdf}type`, namedNode(`${dcat}DataService`));
  add(service, `${dcterms}title`, literal(`SPARQL endpoint of ${meta.title ?? archive.name}`));
  add(service, `${sd}endpoint`, namedNode(urls.sparql));
  add(service, `${sd}supportedLanguage`, namedNode(`${sd}SPARQL11Query`));
  add(service, `${sd}feature`, namedNode(`${sd}UnionDefaultGraph`));
  for (const f of ['SPARQL_Results_JSON', 'SPARQL_Results_XML', 'SPARQL_Results_CSV', 'SPARQL_Results_TSV']) {
    add(service, `${sd}resultFormat`, namedNode(`${formats}${f}`));
  }
  for (const f of ['Turtle', 'N-Triples', 'N-Quads', 'TriG', 'JSON-LD', 'RDF_XML']) {
    add(service, `${sd}resultFormat`, namedNode(`${formats}${f}`));
  }
  const defaultDataset = blankNode('defaultDataset');
  const defaultGraph = blankNode('defaultGraph');
  add(service, `${sd}defaultDataset`, defaultDataset);
  add(defaultDataset, `${rdf}type`, namedNode(`${sd}Dataset`));
  add(defaultDataset, `${sd}defaultGraph`, defaultGraph);
  add(defaultGraph, `${rdf}type`, namedNode(`${sd}Graph`));
  add(defaultGraph, `${v}triples`, integer(stats.triples));
  add(defaultGraph, `${dcterms}description`, literal('The union of all named graphs (one per record).'));
  add(service, `${dcat}endpointURL`, namedNode(urls.sparql));
  add(service, `${dcat}servesDataset`, dataset);
  add(service, `${dcterms}conformsTo`, namedNode(SPEC.sparqlProtocol));

  const tpf = namedNode(urls.tpfService);
  add(tpf, `${rdf}type`, namedNode(`${dcat}DataService`));
  add(tpf, `${dcterms}title`, literal(`Triple Pattern Fragments of ${meta.title ?? archive.name}`));
  add(tpf, `${dcat}endpointURL`, namedNode(urls.tpf));
  add(tpf, `${dcat}servesDataset`, dataset);
  add(tpf, `${dcterms}conformsTo`, namedNode(SPEC.tpf));

  for (const [i, s] of [service, tpf].entries()) {
    const distribution = blankNode(`distribution${i}`);
    add(dataset, `${dcat}distribution`, distribution);
    add(distribution, `${rdf}type`, namedNode(`${dcat}Distribution`));
    add(distribution, `${dcat}accessService`, s);
    add(distribution, `${dcat}accessURL`, namedNode(i === 0 ? urls.sparql : urls.tpf));
  }
  return out;
}

const DESCRIPTION_OFFERS = [FORMATS.turtle, FORMATS.jsonld, FORMATS.ntriples, FORMATS.html];

/** `GET /archives/{name}` (and the SPARQL endpoint without a query): the description, by content negotiation. */
export async function describeRoute(
  ctx: ServeContext,
  archive: ServedArchive,
  request: Request,
  url: URL,
): Promise<Response> {
  const format = negotiate(DESCRIPTION_OFFERS, request.headers.get('accept'), url.searchParams.get('format'));
  const stats = await archiveStats(ctx, archive);
  const body =
    format === FORMATS.html
      ? archiveHtml(archive, stats, url.origin, ctx.baseIri)
      : writeRdf(describeArchive(archive, stats, url.origin, ctx.baseIri), format);
  return new Response(body, { headers: { 'content-type': contentType(format), vary: 'Accept' } });
}

function archiveHtml(archive: ServedArchive, stats: ArchiveStats, origin: string, baseIri: string): string {
  const urls = archiveUrls(origin, archive.name);
  const meta = archive.meta;
  const link = (href: string, text = href) => `<a href="${esc(href)}">${esc(text)}</a>`;
  const tpfLink = (params: Record<string, string>) => `${urls.tpf}?${new URLSearchParams(params)}`;
  const example =
    'SELECT ?class (COUNT(?s) AS ?n) WHERE { ?s a ?class } GROUP BY ?class ORDER BY DESC(?n) LIMIT 10';
  const classes = stats.classes
    .map(
      (c) =>
        `<tr><td>${link(tpfLink({ predicate: `${prefixes.rdf}type`, object: c.iri }), shortIri(c.iri))}</td><td>${c.entities}</td></tr>`,
    )
    .join('\n');
  const properties = stats.properties
    .map(
      (p) => `<tr><td>${link(tpfLink({ predicate: p.iri }), shortIri(p.iri))}</td><td>${p.triples}</td></tr>`,
    )
    .join('\n');
  const body = `${meta.description ? `<p>${esc(meta.description)}</p>` : ''}
${facts([
  ['Licence', meta.license && (/^https?:\/\//.test(meta.license) ? link(meta.license) : esc(meta.license))],
  ['Publisher', meta.publisher && esc(meta.publisher)],
  ['Records', String(archive.records)],
  [
    'Triples',
    `${stats.triples} (${stats.subjects} subjects, ${stats.objects} objects, ${stats.graphs} graphs)`,
  ],
  ['Modified', esc(meta.modified)],
  ['SPARQL endpoint', link(urls.sparql)],
  ['Triple Pattern Fragments', link(urls.tpf)],
  ['Record IRIs', esc(`${baseIri}id/${archive.name}/…`)],
  [
    'Description as',
    `${link(`${urls.home}?format=ttl`, 'Turtle')}, ${link(`${urls.home}?format=jsonld`, 'JSON-LD')}`,
  ],
])}
<h2>Query</h2>
<form action="${esc(urls.sparql)}" method="get">
<textarea name="query" rows="6">${esc(example)}</textarea>
<p><label>Results as <select name="format"><option>json</option><option>xml</option><option>csv</option><option>tsv</option></select></label>
<button type="submit">Run</button></p>
</form>
<h2>Classes</h2>
<table><thead><tr><th>class</th><th>entities</th></tr></thead><tbody>${classes}</tbody></table>
<h2>Properties</h2>
<table><thead><tr><th>property</th><th>triples</th></tr></thead><tbody>${properties}</tbody></table>`;
  return page(meta.title ?? archive.name, body);
}

const LISTING_OFFERS = [FORMATS.json, FORMATS.html, FORMATS.turtle, FORMATS.jsonld];

/** `GET /archives`: the public archives (private ones are never listed). */
export function listRoute(ctx: ServeContext, request: Request, url: URL): Response {
  const format = negotiate(LISTING_OFFERS, request.headers.get('accept'), url.searchParams.get('format'));
  const listed = [...ctx.archives.values()].filter((a) => a.tokenHashes === undefined);
  const entries = listed.map((a) => ({
    name: a.name,
    title: a.meta.title ?? a.name,
    ...(a.meta.description ? { description: a.meta.description } : {}),
    records: a.records,
    triples: a.triples,
    ...archiveUrls(url.origin, a.name),
  }));
  let body: string;
  if (format === FORMATS.json) {
    body = `${JSON.stringify(
      {
        archives: entries.map(({ name, title, description, records, triples, home, sparql, tpf }) => ({
          name,
          title,
          description,
          records,
          triples,
          url: home,
          sparql,
          tpf,
        })),
      },
      null,
      2,
    )}\n`;
  } else if (format === FORMATS.html) {
    const rows = entries
      .map(
        (e) =>
          `<tr><td><a href="${esc(e.home)}">${esc(e.name)}</a></td><td>${esc(e.title)}</td><td>${e.records}</td>` +
          `<td>${e.triples}</td><td><a href="${esc(e.sparql)}">SPARQL</a> · <a href="${esc(e.tpf)}">TPF</a></td></tr>`,
      )
      .join('\n');
    body = page(
      'benchgraph archives',
      `<table><thead><tr><th>archive</th><th>title</th><th>records</th><th>triples</th><th>endpoints</th></tr></thead><tbody>${rows}</tbody></table>`,
    );
  } else {
    const catalog = namedNode(`${url.origin}/archives`);
    const { rdf, dcat, dcterms, void: v } = prefixes;
    const quads: Quad[] = [
      quad(catalog, namedNode(`${rdf}type`), namedNode(`${dcat}Catalog`)),
      quad(catalog, namedNode(`${dcterms}title`), literal('benchgraph archives')),
    ];
    for (const e of entries) {
      const dataset = namedNode(e.dataset);
      quads.push(
        quad(catalog, namedNode(`${dcat}dataset`), dataset),
        quad(dataset, namedNode(`${rdf}type`), namedNode(`${dcat}Dataset`)),
        quad(dataset, namedNode(`${dcterms}title`), literal(e.title)),
        quad(dataset, namedNode(`${dcat}landingPage`), namedNode(e.home)),
        quad(dataset, namedNode(`${v}sparqlEndpoint`), namedNode(e.sparql)),
      );
    }
    body = writeRdf(quads, format);
  }
  return new Response(body, { headers: { 'content-type': contentType(format), vary: 'Accept' } });
}
