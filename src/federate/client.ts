// Every request to a federated source goes through here: allow-list, auth header, time limit, result checks, circuit
// breaker and per-query request counts and warnings. Comunica gets `fetch` from here and never reaches the network itself.
import type { BreakerConfig, SourceConfig } from './config.ts';

/** Sends one request to a source: the global `fetch`, or the server's own handler for archives served in-process. */
export type Transport = (request: Request) => Promise<Response>;

/** A configured source with the URLs it is reached at. */
export type RuntimeSource = SourceConfig & {
  /** SPARQL endpoint (or TPF entry point) URL; also the SERVICE IRI in plans. */
  endpoint: string;
  /** URL of its VoID description (benchgraph archives), if any. */
  description?: string;
  transport: Transport;
};

/** Why a source's answer is missing from a result. */
export type WarningKind = 'timeout' | 'unreachable' | 'http-error' | 'malformed' | 'circuit-open';

/** A machine-readable warning naming the source. */
export type SourceWarning = { source: string; kind: WarningKind; message: string };

/** SPARQL JSON results as parsed from a source. */
export type JsonResults = {
  head: { vars?: string[] };
  results?: { bindings: Record<string, JsonTerm>[] };
  boolean?: boolean;
};
export type JsonTerm = { type: string; value: string; datatype?: string; 'xml:lang'?: string };

/** A source failure, with its kind (used by summaries, which call sources directly). */
export class SourceError extends Error {
  override name = 'SourceError';
  readonly source: string;
  readonly kind: WarningKind;
  constructor(source: string, kind: WarningKind, message: string) {
    super(`source "${source}": ${message}`);
    this.source = source;
    this.kind = kind;
  }
}

/** What one federated query did: requests sent, rows per source, warnings. */
export class QueryState {
  readonly token: string;
  readonly sources: ReadonlySet<string>;
  readonly signal: AbortSignal;
  requests = 0;
  readonly rows = new Map<string, number>();
  readonly warnings: SourceWarning[] = [];

  constructor(token: string, sources: Iterable<string>, signal: AbortSignal) {
    this.token = token;
    this.sources = new Set(sources);
    this.signal = signal;
  }

  warn(warning: SourceWarning): void {
    if (!this.warnings.some((w) => w.source === warning.source && w.kind === warning.kind)) this.warnings.push(warning);
  }
}

/** Consecutive failures open the circuit for a cool-down; then one trial request decides. */
export class CircuitBreaker {
  readonly #config: BreakerConfig;
  #failures = 0;
  #openUntil = 0;

  constructor(config: BreakerConfig) {
    this.#config = config;
  }

  /** True while the source is being skipped. */
  isOpen(now = Date.now()): boolean {
    return this.#openUntil > now;
  }

  /** Seconds until the next trial, for messages. */
  retryInSeconds(now = Date.now()): number {
    return Math.max(0, Math.ceil((this.#openUntil - now) / 1000));
  }

  success(): void {
    this.#failures = 0;
    this.#openUntil = 0;
  }

  failure(now = Date.now()): void {
    this.#failures++;
    if (this.#failures >= this.#config.failures) this.#openUntil = now + this.#config.cooldownMs;
  }
}

/** Token marking a planned subquery as belonging to one federated query (see {@link SourceClient.fetch}). */
export const TOKEN_VARIABLE = '_fq';
const TOKEN = /"(bgfq[0-9]+)"/;
const COUNT_PROBE = /^\s*SELECT\s*\(\s*COUNT\s*\(\s*\*\s*\)\s*AS\s*\?count\s*\)\s*WHERE/i;
const JSON_TYPE = 'application/sparql-results+json';
const EMPTY_RESULT = '{"head":{"vars":[]},"results":{"bindings":[]}}';
const SD = 'http://www.w3.org/ns/sparql-service-description#';

/**
 * Holds the sources, their circuit breakers and the queries in flight. `fetch` is what Comunica calls: it only
 * reaches configured sources, answers Comunica's own probes locally (no network), and turns every failure of a
 * source into an empty answer plus a warning, so one bad source never fails a federated query.
 */
export class SourceClient {
  readonly #sources = new Map<string, RuntimeSource>();
  readonly #byEndpoint = new Map<string, RuntimeSource>();
  readonly #breakers = new Map<string, CircuitBreaker>();
  readonly #states = new Map<string, QueryState>();
  readonly #estimate: (source: string, queryText: string) => number;
  #counter = 0;
  /** Called with every subquery sent to a source (tests, benchmarks, debugging). */
  trace: ((source: string, queryText: string | undefined) => void) | undefined;

  constructor(sources: RuntimeSource[], breaker: BreakerConfig, estimate: (source: string, queryText: string) => number) {
    for (const s of sources) {
      this.#sources.set(s.name, s);
      this.#byEndpoint.set(s.endpoint, s);
      this.#breakers.set(s.name, new CircuitBreaker(breaker));
    }
    this.#estimate = estimate;
  }

  source(name: string): RuntimeSource {
    const s = this.#sources.get(name);
    if (!s) throw new Error(`no source "${name}" in the federation`);
    return s;
  }

  get sources(): RuntimeSource[] {
    return [...this.#sources.values()];
  }

  /** Whether the source is skipped by its circuit breaker right now; the warning to report if so. */
  skipped(name: string): SourceWarning | undefined {
    const breaker = this.#breakers.get(name);
    if (!breaker?.isOpen()) return undefined;
    return {
      source: name,
      kind: 'circuit-open',
      message: `skipped: the source failed repeatedly; it is tried again in ${breaker.retryInSeconds()} s`,
    };
  }

  /** Registers a federated query; its subqueries carry `state.token` so their requests are counted for it. */
  begin(sources: Iterable<string>, signal: AbortSignal): QueryState {
    const state = new QueryState(`bgfq${++this.#counter}`, sources, signal);
    this.#states.set(state.token, state);
    return state;
  }

  end(state: QueryState): void {
    this.#states.delete(state.token);
  }

  /** Runs a SELECT/ASK at a source and returns its JSON results (summaries and checks; not counted per query). */
  async select(name: string, query: string, timeoutMs?: number): Promise<JsonResults> {
    const source = this.source(name);
    const body = new URLSearchParams({ query });
    const response = await this.#send(source, source.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: JSON_TYPE },
      body,
    }, timeoutMs);
    const text = await this.#read(source, response, timeoutMs);
    const parsed = checkJsonResults(text);
    if (typeof parsed === 'string') throw new SourceError(name, 'malformed', parsed);
    return parsed;
  }

  /** GETs a document of a source (its VoID description) as text. */
  async getText(name: string, url: string, accept: string): Promise<string> {
    const source = this.source(name);
    const response = await this.#send(source, url, { method: 'GET', headers: { accept } });
    return this.#read(source, response);
  }

  /** The `fetch` handed to Comunica. */
  readonly fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const source = this.#byEndpoint.get(`${url.origin}${url.pathname}`) ?? this.#byEndpoint.get(url.href);
    if (!source) {
      // The planner only writes configured endpoints; anything else would be a request forgery.
      throw new Error(`refusing to contact ${url.origin}${url.pathname}: it is not a source of this federation`);
    }
    const queryText = url.searchParams.get('query') ?? bodyQuery(init?.body);
    const states = this.#statesFor(source, queryText);
    if (queryText === undefined && source.kind !== 'tpf') {
      // Comunica looks at a SERVICE target before querying it; the federation already knows it is a SPARQL
      // endpoint. A cacheable answer also lets Comunica keep its source object between queries.
      return new Response(`<${source.endpoint}> a <${SD}Service>; <${SD}endpoint> <${source.endpoint}>.\n`, {
        headers: { 'content-type': 'text/turtle', 'cache-control': 'max-age=86400' },
      });
    }
    if (queryText !== undefined && COUNT_PROBE.test(queryText)) {
      // Comunica's cardinality probe: answered from the source summary instead of a COUNT over the network.
      const n = this.#estimate(source.name, queryText);
      return jsonResponse(`{"head":{"vars":["count"]},"results":{"bindings":[{"count":{"type":"literal","datatype":"http://www.w3.org/2001/XMLSchema#integer","value":"${n}"}}]}}`);
    }
    const skipped = this.skipped(source.name);
    if (skipped) {
      for (const s of states) s.warn(skipped);
      return emptyAnswer(source);
    }
    for (const s of states) s.requests++;
    this.trace?.(source.name, queryText);
    try {
      const signals = [init?.signal, ...states.map((s) => s.signal)].filter((s): s is AbortSignal => s != null);
      const response = await this.#send(source, url.href, { ...init, signal: signals.length > 0 ? AbortSignal.any(signals) : undefined });
      const text = await this.#read(source, response);
      if (source.kind !== 'tpf') {
        const checked = checkResults(text, response.headers.get('content-type'));
        if (typeof checked === 'string') {
          this.#breakers.get(source.name)!.failure();
          throw new SourceError(source.name, 'malformed', checked);
        }
        for (const s of states) s.rows.set(source.name, (s.rows.get(source.name) ?? 0) + checked.rows);
      }
      this.#breakers.get(source.name)!.success();
      return new Response(text, { status: response.status, headers: response.headers });
    } catch (error) {
      if (!(error instanceof SourceError)) throw error;
      // Also for a query given up already: its Comunica streams may still read, and must not see an error.
      if (!states.every((s) => s.signal.aborted)) {
        for (const s of states) s.warn({ source: error.source, kind: error.kind, message: error.message.replace(/^source "[^"]*": /, '') });
      }
      return emptyAnswer(source);
    }
  };

  #statesFor(source: RuntimeSource, queryText: string | undefined): QueryState[] {
    const token = queryText === undefined ? undefined : TOKEN.exec(queryText)?.[1];
    const state = token === undefined ? undefined : this.#states.get(token);
    if (state) return [state];
    // Requests Comunica builds itself (TPF pages) carry no token: they count for every query using the source.
    return [...this.#states.values()].filter((s) => s.sources.has(source.name));
  }

  async #send(source: RuntimeSource, url: string, init: RequestInit, timeoutMs = source.timeoutMs): Promise<Response> {
    const headers = new Headers(init.headers);
    if (source.auth) headers.set(source.auth.header, source.auth.value);
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    let response: Response;
    try {
      response = await source.transport(new Request(url, { ...init, headers, signal }));
    } catch (error) {
      // A kept-alive connection the server closed just before reuse: sent again once on a fresh connection.
      if (!isStaleConnection(error) || signal.aborted) throw this.#failure(source, error, timeout, timeoutMs);
      try {
        response = await source.transport(new Request(url, { ...init, headers, signal }));
      } catch (again) {
        throw this.#failure(source, again, timeout, timeoutMs);
      }
    }
    if (!response.ok) {
      const detail = (await response.text().catch((e: Error) => `(the error body could not be read: ${e.message})`)).trim().split('\n')[0]?.slice(0, 300) ?? '';
      // 5xx and 429 say the source is unwell; a 4xx is about this request only.
      if (response.status >= 500 || response.status === 429) this.#breakers.get(source.name)!.failure();
      throw new SourceError(source.name, 'http-error', `HTTP ${response.status}${detail ? `: ${detail}` : ''}`);
    }
    return response;
  }

  async #read(source: RuntimeSource, response: Response, timeoutMs = source.timeoutMs): Promise<string> {
    try {
      return await response.text();
    } catch (error) {
      throw this.#failure(source, error, undefined, timeoutMs);
    }
  }

  #failure(source: RuntimeSource, error: unknown, timeout: AbortSignal | undefined, timeoutMs: number): SourceError {
    const e = error as Error & { cause?: { code?: string; message?: string } };
    const timedOut = timeout?.aborted || e.name === 'TimeoutError' || (e.name === 'AbortError' && /timeout/i.test(String(e.message)));
    if (e.name === 'AbortError' && !timedOut) return new SourceError(source.name, 'unreachable', 'the request was cancelled');
    this.#breakers.get(source.name)!.failure();
    if (timedOut) return new SourceError(source.name, 'timeout', `no complete answer within ${timeoutMs} ms`);
    const detail = e.cause?.code ?? e.cause?.message ?? e.message;
    return new SourceError(source.name, 'unreachable', `the connection failed (${detail})`);
  }
}

function isStaleConnection(error: unknown): boolean {
  const code = (error as { cause?: { code?: string } }).cause?.code;
  return code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET';
}

function jsonResponse(text: string): Response {
  return new Response(text, { headers: { 'content-type': JSON_TYPE } });
}

// A failed source contributes no rows (not SERVICE SILENT's single empty solution, which would join with everything);
// for a TPF interface, an empty document: a fragment without triples.
function emptyAnswer(source: RuntimeSource): Response {
  if (source.kind === 'tpf') return new Response('', { headers: { 'content-type': 'text/turtle' } });
  return jsonResponse(EMPTY_RESULT);
}

function bodyQuery(body: RequestInit['body']): string | undefined {
  if (body instanceof URLSearchParams) return body.get('query') ?? undefined;
  if (typeof body === 'string') {
    if (/^query=/.test(body) || /&query=/.test(body)) return new URLSearchParams(body).get('query') ?? undefined;
    return body;
  }
  return undefined;
}

/** Checks a SPARQL results document by its media type; returns its row count, or what is wrong. */
export function checkResults(text: string, contentType: string | null): { rows: number } | string {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/sparql-results+xml' || type === 'application/xml' || type === 'text/xml') {
    const t = text.trim();
    if (!/^(<\?xml[^>]*>\s*)?<sparql[\s>]/.test(t) || !/<\/sparql>$/.test(t)) {
      return 'expected a SPARQL XML results document, found a truncated or different document';
    }
    return { rows: t.split('<result>').length - 1 };
  }
  const parsed = checkJsonResults(text);
  return typeof parsed === 'string' ? parsed : { rows: parsed.results?.bindings.length ?? 0 };
}

/** Parses and checks SPARQL JSON results; returns the results or a description of what is wrong. */
export function checkJsonResults(text: string): JsonResults | string {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return `expected SPARQL JSON results, found unparsable content (${(error as Error).message}; starts with ${JSON.stringify(text.slice(0, 40))})`;
  }
  const d = data as JsonResults;
  if (typeof d !== 'object' || d === null || typeof d.head !== 'object' || d.head === null) {
    return 'expected SPARQL JSON results with a "head" object';
  }
  if (typeof d.boolean === 'boolean') return d;
  if (!Array.isArray(d.results?.bindings)) return 'expected SPARQL JSON results with "results": { "bindings": [...] }';
  for (const b of d.results.bindings) {
    if (typeof b !== 'object' || b === null) return 'expected every binding to be an object';
    for (const term of Object.values(b)) {
      if (typeof term !== 'object' || term === null || typeof term.type !== 'string' || typeof term.value !== 'string') {
        return 'expected every bound value to have a "type" and a "value"';
      }
    }
  }
  return d;
}

