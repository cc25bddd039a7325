// The HTTP handler: the whole route table in one function, plus what every response shares (errors, CORS, metrics).
import { requireToken } from './auth.ts';
import { contentType, FORMATS } from './conneg.ts';
import { createContext, type ServeContext, type ServedArchive, type ServeOptions } from './context.ts';
import { describeRoute, listRoute } from './describe.ts';
import { errorResponse, methodNotAllowed, notFound } from './errors.ts';
import { linkedDataRoute } from './linked-data.ts';
import { askRoute } from './ask-route.ts';
import { federatedSparqlRoute, federationFor } from './federation-route.ts';
import { sparqlRoute } from './sparql.ts';
import { tpfRoute } from './tpf.ts';

export type { ServeOptions } from './context.ts';

/** A fetch-style handler (`await handler(new Request(url))`) that owns query workers until `close()`. */
export type Handler = ((request: Request) => Promise<Response>) & {
  /** Stops the query workers (running queries get up to `graceMs` to finish). */
  close(graceMs?: number): Promise<void>;
  readonly context: ServeContext;
};

/** A matched route: its name in metrics (a template, never the raw path), its methods and what runs it. */
type Route = {
  name: string;
  methods: string[];
  run: (ctx: ServeContext, request: Request, url: URL) => Promise<Response> | Response;
};

const READ = ['GET', 'HEAD'];

/**
 * Reads the archives and starts the query workers, then answers requests in-process (tests, embedding) or behind
 * `startServer`'s HTTP adapter.
 */
export async function createHandler(options: ServeOptions): Promise<Handler> {
  const ctx = await createContext(options);
  if (ctx.federationFile !== undefined) {
    // A bad federation file fails the start, not the first query.
    try {
      await federationFor(ctx);
    } catch (error) {
      await ctx.pool.close(0);
      throw error;
    }
  }
  const handler = (request: Request) => handle(ctx, request);
  return Object.assign(handler, { close: (graceMs?: number) => ctx.pool.close(graceMs), context: ctx });
}

/**
 * The route table.
 *
 *   GET          /  and  /archives            public archives (JSON, HTML, DCAT as Turtle/JSON-LD)
 *   GET          /archives/{name}             VoID + SPARQL Service Description + DCAT (Turtle, JSON-LD, N-Triples, HTML)
 *   GET, POST    /sparql                      SPARQL 1.1 Protocol over the federation (--federation FILE, or every public archive)
 *   POST         /ask                         a question in plain language (JSON in; JSON, CSV, JSON-LD, RO-Crate out)
 *   GET, POST    /archives/{name}/sparql      SPARQL 1.1 Protocol; without a query: the service description
 *   GET          /archives/{name}/tpf         Triple/Quad Pattern Fragments (subject, predicate, object, graph, page)
 *   GET          /id/{name}/{path}            Linked Data: the record (or resource) {base}id/{name}/{path}
 *   GET          /health, /metrics            liveness (JSON) and Prometheus counters
 *
 * Statuses (mapped in errors.ts): 400 malformed query or parameter, 401 private archive without a valid token,
 * 403 SPARQL Update, 404 unknown archive (naming the public ones) or resource, 405 other methods, 406 no acceptable
 * format, 413 body over the limit, 415 body type or charset, 422 result over the row limit, 503 + Retry-After queue
 * full, 504 query stopped at the time limit, 500 anything unexpected (logged, never detailed to the client).
 */
function match(path: string): Route {
  if (path === '/' || path === '/archives' || path === '/archives/') {
    return { name: '/archives', methods: READ, run: (ctx, request, url) => listRoute(ctx, request, url) };
  }
  if (path === '/health') return { name: '/health', methods: READ, run: health };
  if (path === '/metrics') return { name: '/metrics', methods: READ, run: metrics };
  if (path === '/sparql') {
    return { name: '/sparql', methods: [...READ, 'POST'], run: (ctx, request, url) => federatedSparqlRoute(ctx, request, url) };
  }
  if (path === '/ask') return { name: '/ask', methods: ['POST'], run: (ctx, request) => askRoute(ctx, request) };
  const archivePath = /^\/archives\/([^/]+)(?:\/(sparql|tpf))?\/?$/.exec(path);
  if (archivePath) {
    const [, name, endpoint] = archivePath;
    if (endpoint === 'sparql') {
      return {
        name: '/archives/{name}/sparql',
        methods: [...READ, 'POST'],
        run: withArchive(name, (ctx, archive, request, url) => sparqlRoute(ctx, archive, request, url)),
      };
    }
    if (endpoint === 'tpf') {
      return { name: '/archives/{name}/tpf', methods: READ, run: withArchive(name, tpfRoute) };
    }
    return { name: '/archives/{name}', methods: READ, run: withArchive(name, describeRoute) };
  }
  const resource = /^\/id\/([^/]+)\/(.+)$/.exec(path);
  if (resource) {
    const [, name, rest] = resource;
    return {
      name: '/id/{archive}/{path}',
      methods: READ,
      run: withArchive(name, (ctx, archive, request, url) =>
        linkedDataRoute(ctx, archive, request, url, rest),
      ),
    };
  }
  return {
    name: 'unmatched',
    methods: READ,
    run: () => {
      throw notFound(
        `nothing at ${path}; this server has /archives, /archives/{name} (with /sparql and /tpf), /id/{archive}/..., ` +
          '/health and /metrics',
      );
    },
  };
}

async function handle(ctx: ServeContext, request: Request): Promise<Response> {
  const started = performance.now();
  const url = new URL(request.url);
  const route = match(url.pathname);
  let response: Response;
  try {
    if (request.method === 'OPTIONS') response = preflight(route);
    else if (!route.methods.includes(request.method)) throw methodNotAllowed(request.method, route.methods);
    else response = await route.run(ctx, request, url);
  } catch (error) {
    response = errorResponse(error, ctx.log, `${request.method} ${url.pathname}`);
  }
  // Any page may be read by a browser application on another origin (YASGUI, Comunica in the browser).
  response.headers.set('access-control-allow-origin', '*');
  response.headers.set('access-control-expose-headers', 'retry-after, www-authenticate, content-type');
  if (request.method === 'HEAD') {
    response = new Response(null, { status: response.status, headers: response.headers });
  }
  ctx.metrics.observe(route.name, request.method, response.status, (performance.now() - started) / 1000);
  return response;
}

function preflight(route: Route): Response {
  return new Response(null, {
    status: 204,
    headers: {
      allow: [...route.methods, 'OPTIONS'].join(', '),
      'access-control-allow-methods': [...route.methods, 'OPTIONS'].join(', '),
      'access-control-allow-headers': 'Accept, Content-Type, Authorization',
      'access-control-max-age': '86400',
    },
  });
}

// Resolves the archive of a route (404 naming the public archives, 401 for a private one without a valid token)
// before running it; responses of private archives must not be kept by shared caches.
function withArchive(
  name: string,
  run: (ctx: ServeContext, archive: ServedArchive, request: Request, url: URL) => Promise<Response>,
): Route['run'] {
  return async (ctx, request, url) => {
    // Archive names are plain [a-z0-9-]; a percent-encoded segment can only be a name that does not exist.
    const archive = ctx.archives.get(name);
    if (!archive) {
      const listed = [...ctx.archives.values()].filter((a) => a.tokenHashes === undefined).map((a) => a.name);
      throw notFound(`no archive "${name}" here; archives: ${listed.join(', ') || '(none)'}`);
    }
    if (archive.tokenHashes === undefined) return run(ctx, archive, request, url);
    requireToken(request, name, archive.tokenHashes);
    const response = await run(ctx, archive, request, url);
    response.headers.set('cache-control', 'private, no-store');
    response.headers.append('vary', 'Authorization');
    return response;
  };
}

function health(ctx: ServeContext): Response {
  const pool = ctx.pool.stats();
  const ok = pool.ready > 0;
  const body = {
    status: ok ? 'ok' : 'unavailable',
    archives: [...ctx.archives.values()].filter((a) => a.tokenHashes === undefined).length,
    workers: { total: pool.workers, ready: pool.ready, busy: pool.busy },
    queued: pool.queued,
  };
  return new Response(`${JSON.stringify(body)}\n`, {
    status: ok ? 200 : 503,
    headers: { 'content-type': contentType(FORMATS.json), 'cache-control': 'no-store' },
  });
}

function metrics(ctx: ServeContext): Response {
  return new Response(ctx.metrics.render(ctx.pool.stats()), {
    headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'cache-control': 'no-store' },
  });
}
