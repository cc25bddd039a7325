// `GET|POST /sparql`: the federated SPARQL endpoint, with the protocol, formats and limits of an archive endpoint;
// the archives of this server are reached in-process, other sources over HTTP (src/federate).
import { FederationConfigError, type FederationConfig, defaultFederation, loadFederationFile } from '../federate/config.ts';
import type { Transport } from '../federate/client.ts';
import { createFederation, type Federation, FederationTimeoutError, type FederatedResult, PlanError, ResultTooLargeError } from '../federate/federation.ts';
import { warningHeaders, writeResults } from '../federate/results.ts';
import { convertRdf } from '../store/query.ts';
import { mediaTypeOf, readBody } from './body.ts';
import { contentType, FORMATS, type Format, negotiate } from './conneg.ts';
import { defaultOntologyFiles, type ServeContext } from './context.ts';
import { describeRoute } from './describe.ts';
import { badRequest, errorResponse, forbidden, queryTimeout, resultTooLarge, unsupportedMediaType } from './errors.ts';
import { writeRdf } from './rdf-out.ts';
import { sparqlRoute } from './sparql.ts';

const RESULT_OFFERS = [FORMATS.sparqlJson, FORMATS.sparqlXml, FORMATS.csv, FORMATS.tsv];
const GRAPH_OFFERS = [FORMATS.turtle, FORMATS.ntriples, FORMATS.nquads, FORMATS.trig, FORMATS.jsonld, FORMATS.rdfxml];
/** Origin of this server's own archives in plan queries; requests to it never leave the process. */
const LOCAL_ORIGIN = 'http://benchgraph.local';

const federations = new WeakMap<ServeContext, Promise<Federation>>();

/**
 * The federation of a server, created on first use: the federation file's sources, or every public archive the
 * server serves. Call it at start-up to fail fast on a bad federation file.
 *
 * @throws FederationConfigError for a federation file that names an unknown or private archive
 */
export function federationFor(ctx: ServeContext, federationFile = ctx.federationFile): Promise<Federation> {
  let f = federations.get(ctx);
  if (!f) {
    f = (async () => {
      const publicArchives = [...ctx.archives.values()].filter((a) => a.tokenHashes === undefined).map((a) => a.name);
      const config: FederationConfig = federationFile ? loadFederationFile(federationFile) : defaultFederation(publicArchives);
      for (const s of config.sources) {
        if (s.kind !== 'archive') continue;
        const archive = ctx.archives.get(s.url);
        if (!archive) throw new FederationConfigError(`${config.origin}: source "${s.name}" names archive "${s.url}", which this server does not serve`);
        if (archive.tokenHashes !== undefined) {
          throw new FederationConfigError(`${config.origin}: source "${s.name}" is the private archive "${s.url}"; the public /sparql endpoint cannot include it`);
        }
      }
      return createFederation({
        config,
        ontologyFiles: defaultOntologyFiles(),
        local: { origin: LOCAL_ORIGIN, transport: localTransport(ctx) },
        queryTimeoutMs: ctx.queryTimeoutMs,
        maxRows: ctx.maxResultRows,
        log: ctx.log,
      });
    })();
    federations.set(ctx, f);
    f.catch(() => federations.delete(ctx));
  }
  return f;
}

/** This server's archive routes, called in-process. */
function localTransport(ctx: ServeContext): Transport {
  return async (request) => {
    const url = new URL(request.url);
    const m = /^\/archives\/([^/]+?)(\/sparql)?\/?$/.exec(url.pathname);
    const archive = m ? ctx.archives.get(m[1]!) : undefined;
    if (!m || !archive) return new Response(`no archive at ${url.pathname}\n`, { status: 404 });
    try {
      return m[2] ? await sparqlRoute(ctx, archive, request, url) : await describeRoute(ctx, archive, request, url);
    } catch (error) {
      return errorResponse(error, ctx.log, `federated ${request.method} ${url.pathname}`);
    }
  };
}

/** `GET|POST /sparql`. Add `explain=true` to get the plan in the JSON results' `federation` member. */
export async function federatedSparqlRoute(ctx: ServeContext, request: Request, url: URL, federationFile = ctx.federationFile): Promise<Response> {
  const { query, params } = await readQuery(ctx, request, url);
  if (query === undefined) {
    throw badRequest('expected a "query" parameter (form field) or an application/sparql-query body');
  }
  if (params.has('default-graph-uri') || params.has('named-graph-uri')) {
    throw badRequest('default-graph-uri and named-graph-uri are not supported by the federated endpoint; use GRAPH in the query');
  }
  const federation = await federationFor(ctx, federationFile);
  let result: FederatedResult;
  try {
    result = await federation.query(query, { signal: request.signal });
  } catch (error) {
    if (error instanceof PlanError) throw badRequest(error.message);
    if (error instanceof ResultTooLargeError) throw resultTooLarge(error.message);
    if (error instanceof FederationTimeoutError) throw queryTimeout(error.message);
    throw error;
  }
  const graph = result.form === 'CONSTRUCT';
  const format: Format = negotiate(graph ? GRAPH_OFFERS : RESULT_OFFERS, request.headers.get('accept'), params.get('format') ?? params.get('output'));
  const body = graph ? writeGraph(result, format) : writeResults(result, format.mediaType, { explain: params.get('explain') === 'true' });
  const headers = new Headers({ 'content-type': contentType(format), vary: 'Accept' });
  for (const w of warningHeaders(result.warnings)) headers.append('benchgraph-warning', w);
  headers.set('benchgraph-sources', result.sources.filter((s) => s.status === 'answered').map((s) => s.name).join(', '));
  headers.set('access-control-expose-headers', 'benchgraph-warning, benchgraph-sources, content-type');
  return new Response(body, { headers });
}

function writeGraph(result: FederatedResult, format: Format): string {
  const quads = result.quads ?? [];
  if (format === FORMATS.rdfxml) return convertRdf(writeRdf(quads, FORMATS.ntriples), FORMATS.ntriples.mediaType, FORMATS.rdfxml.mediaType);
  return writeRdf(quads, format);
}

async function readQuery(ctx: ServeContext, request: Request, url: URL): Promise<{ query?: string; params: URLSearchParams }> {
  if (request.method === 'GET' || request.method === 'HEAD') return { query: single(url.searchParams, 'query'), params: url.searchParams };
  const { type } = mediaTypeOf(request);
  if (type === 'application/x-www-form-urlencoded') {
    const form = new URLSearchParams(await readBody(request, ctx.maxBodyBytes));
    if (form.has('update')) throw forbidden('SPARQL Update is not allowed on the federated endpoint: it is read-only');
    const params = new URLSearchParams(url.searchParams);
    for (const [k, v] of form) if (k !== 'query') params.append(k, v);
    return { query: single(form, 'query'), params };
  }
  if (type === 'application/sparql-query') return { query: await readBody(request, ctx.maxBodyBytes), params: url.searchParams };
  if (type === 'application/sparql-update') throw forbidden('SPARQL Update is not allowed on the federated endpoint: it is read-only');
  throw unsupportedMediaType(
    `${type ? `Content-Type ${type} is not accepted` : 'a POST needs a Content-Type'}; send application/sparql-query, or application/x-www-form-urlencoded with a "query" field`,
  );
}

function single(params: URLSearchParams, name: string): string | undefined {
  const values = params.getAll(name);
  if (values.length > 1) throw badRequest(`expected one "${name}" parameter, found ${values.length}`);
  return values[0];
}

