// The SPARQL 1.1 Protocol endpoint of one archive: query by GET or POST, dataset parameters, content negotiation.
import sparqljs from 'sparqljs';
import type { ProtocolDataset } from '../store/query.ts';
import { scanQuery } from '../store/sparql-form.ts';
import { mediaTypeOf, readBody } from './body.ts';
import { contentType, FORMATS, type Format, negotiate } from './conneg.ts';
import type { ServeContext, ServedArchive } from './context.ts';
import { describeRoute } from './describe.ts';
import { badRequest, forbidden, unsupportedMediaType } from './errors.ts';
import { JobFailedError } from './pool.ts';
import { tokens } from '../store/sparql-tokens.ts';

const RESULT_OFFERS = [FORMATS.sparqlJson, FORMATS.sparqlXml, FORMATS.csv, FORMATS.tsv];
const GRAPH_OFFERS = [
  FORMATS.turtle,
  FORMATS.ntriples,
  FORMATS.nquads,
  FORMATS.trig,
  FORMATS.jsonld,
  FORMATS.rdfxml,
];
const UPDATE_WORDS = /^(INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD|WITH)$/i;

/** One protocol operation as read from the request. */
type Operation = {
  query?: string;
  update?: string;
  params: URLSearchParams;
};

/** `GET|POST /archives/{name}/sparql`. */
export async function sparqlRoute(
  ctx: ServeContext,
  archive: ServedArchive,
  request: Request,
  url: URL,
): Promise<Response> {
  const op = await readOperation(ctx, request, url);
  if (op.update !== undefined) {
    // The protocol only carries updates by POST; a GET must never change anything, test mode or not.
    if (request.method !== 'POST') throw badRequest('SPARQL Update must be sent by POST, not GET');
    return update(ctx, archive, op.update, op.params, url);
  }
  if (op.query === undefined) {
    // The Service Description spec: the endpoint URL without a query describes the service.
    if (request.method === 'GET') return describeRoute(ctx, archive, request, url);
    throw badRequest('expected a "query" parameter (form field) or an application/sparql-query body');
  }
  const query = op.query;
  const { form } = scanQuery(query);
  if (form === undefined) {
    const first = /^\s*(?:(?:#[^\n]*)?\s*)*([A-Za-z]+)/.exec(
      query.replace(/(BASE|PREFIX)\s+[^<]*<[^>]*>/gi, ''),
    )?.[1];
    if (first && UPDATE_WORDS.test(first)) {
      throw badRequest(
        `expected a query (SELECT, ASK, CONSTRUCT or DESCRIBE) but found an update (${first.toUpperCase()}); ` +
          'updates are not accepted here, archives change through ingest',
      );
    }
  }
  // An unknown form is a syntax error the engine will describe; negotiating for it would only hide that.
  const offers = form === 'CONSTRUCT' || form === 'DESCRIBE' ? GRAPH_OFFERS : RESULT_OFFERS;
  const format: Format =
    form === undefined
      ? FORMATS.sparqlJson
      : negotiate(offers, request.headers.get('accept'), op.params.get('format') ?? op.params.get('output'));
  const dataset = graphsOf(op.params, 'default-graph-uri', 'named-graph-uri');
  let body: string;
  try {
    const value = await ctx.pool.run(
      {
        kind: 'query',
        archive: archive.name,
        query,
        form,
        mediaType: format.mediaType,
        ...(dataset ? { dataset } : {}),
        baseIri: serviceUrl(url),
        maxRows: ctx.maxResultRows,
      },
      { signal: request.signal },
    );
    if (!('body' in value)) throw new Error('query job returned no body');
    body = value.body;
  } catch (error) {
    throw explainSyntaxError(error, query);
  }
  return new Response(body, { headers: { 'content-type': contentType(format), vary: 'Accept' } });
}

async function readOperation(ctx: ServeContext, request: Request, url: URL): Promise<Operation> {
  if (request.method === 'GET' || request.method === 'HEAD') {
    const params = url.searchParams;
    return { query: single(params, 'query'), update: single(params, 'update'), params };
  }
  const { type } = mediaTypeOf(request);
  switch (type) {
    case 'application/x-www-form-urlencoded': {
      const form = new URLSearchParams(await readBody(request, ctx.maxBodyBytes));
      // Dataset and format parameters may come in the form or the URL; the form wins.
      const params = new URLSearchParams(url.searchParams);
      for (const key of new Set(form.keys())) {
        params.delete(key);
        for (const value of form.getAll(key)) params.append(key, value);
      }
      const query = single(form, 'query');
      const update = single(form, 'update');
      if (query !== undefined && update !== undefined) {
        throw badRequest('a request carries either "query" or "update", not both');
      }
      return { query, update, params };
    }
    case 'application/sparql-query':
      return { query: await readBody(request, ctx.maxBodyBytes), params: url.searchParams };
    case 'application/sparql-update':
      return { update: await readBody(request, ctx.maxBodyBytes), params: url.searchParams };
    case '':
      throw unsupportedMediaType(
        'a POST needs a Content-Type: application/sparql-query, or application/x-www-form-urlencoded with a ' +
          '"query" field',
      );
    default:
      throw unsupportedMediaType(
        `Content-Type ${type} is not accepted; send application/sparql-query, or ` +
          'application/x-www-form-urlencoded with a "query" field',
      );
  }
}

// The protocol allows exactly one query (or update) per request.
function single(params: URLSearchParams, name: string): string | undefined {
  const values = params.getAll(name);
  if (values.length > 1) throw badRequest(`expected one "${name}" parameter, found ${values.length}`);
  return values[0];
}

// The graphs named by a pair of protocol parameters (default-graph-uri / named-graph-uri, or the using- ones).
function graphsOf(
  params: URLSearchParams,
  defaultName: string,
  namedName: string,
): ProtocolDataset | undefined {
  const defaultGraphs = params.getAll(defaultName);
  const namedGraphs = params.getAll(namedName);
  if (defaultGraphs.length === 0 && namedGraphs.length === 0) return undefined;
  for (const [name, iris] of [
    [defaultName, defaultGraphs],
    [namedName, namedGraphs],
  ] as const) {
    for (const iri of iris) {
      if (!/^[a-z][a-z0-9+.-]*:[^\s<>"{}|^`\\]*$/i.test(iri)) {
        throw badRequest(`${name} must be an absolute IRI, found ${JSON.stringify(iri)}`);
      }
    }
  }
  return { defaultGraphs, namedGraphs };
}

async function update(
  ctx: ServeContext,
  archive: ServedArchive,
  text: string,
  params: URLSearchParams,
  url: URL,
): Promise<Response> {
  if (!ctx.allowUpdates) {
    throw forbidden(
      `SPARQL Update is not allowed on archive "${archive.name}": the endpoint is read-only; ` +
        'archives change through ingest (benchgraph ingest)',
    );
  }
  const using = graphsOf(params, 'using-graph-uri', 'using-named-graph-uri');
  const update = using ? withUsing(text, using.defaultGraphs, using.namedGraphs) : text;
  try {
    await ctx.pool.run({ kind: 'update', archive: archive.name, update, baseIri: serviceUrl(url) });
  } catch (error) {
    throw explainSyntaxError(error, text);
  }
  // The archive's statistics and fragment counts no longer hold.
  ctx.statsCache.delete(archive.name);
  ctx.countCache.clear();
  return new Response(null, { status: 204 });
}

// Relative IRIs in a request resolve against the service URL, as the protocol says.
function serviceUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

/**
 * The protocol's using-graph-uri / using-named-graph-uri as USING / USING NAMED clauses of every DELETE/INSERT
 * operation with a WHERE clause (they set the dataset of that WHERE). An update that names its own dataset (USING,
 * WITH) may not be given one by the request too.
 *
 * @throws HttpError 400 on such a conflict.
 */
export function withUsing(update: string, defaultGraphs: string[], namedGraphs: string[]): string {
  const clause = [
    ...defaultGraphs.map((g) => `USING <${g}>`),
    ...namedGraphs.map((g) => `USING NAMED <${g}>`),
  ].join(' ');
  const at: number[] = [];
  const list = tokens(update);
  list.forEach((t, i) => {
    if (t.depth !== 0 || t.word === undefined) return;
    if (t.word === 'USING' || t.word === 'WITH') {
      throw badRequest(
        `the update has its own ${t.word} clause, so using-graph-uri / using-named-graph-uri cannot also be given`,
      );
    }
    // DELETE WHERE has no dataset clause; every other WHERE at the top level ends a DELETE/INSERT operation.
    if (t.word === 'WHERE' && list[i - 1]?.word !== 'DELETE') at.push(t.index);
  });
  let out = update;
  for (const index of at.reverse()) out = `${out.slice(0, index)}${clause} ${out.slice(index)}`;
  return out;
}

/**
 * The engine's syntax errors ("error at 3:17: expected ...") name the position but rarely the problem; when
 * sparqljs also rejects the text, its message (with the offending line and what it expected) is added.
 */
function explainSyntaxError(error: unknown, text: string): unknown {
  if (!(error instanceof JobFailedError) || error.workerErrorName !== 'QueryError') return error;
  if (!/^error at \d+:\d+/.test(error.message)) return error;
  let hint = '';
  try {
    new sparqljs.Parser().parse(text);
  } catch (parseError) {
    hint = `\n${(parseError as Error).message}`;
  }
  return new JobFailedError('QueryError', `malformed query: ${error.message}${hint}`, error.workerStack);
}
