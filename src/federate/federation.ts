// A federation: its sources and their summaries, the planner and Comunica, put together to answer one query with
// provenance and warnings; also the CLI entry point.
import type { Quad } from '@rdfjs/types';
import { Analyzer, type PlanSource } from './analyze.ts';
import { type JsonTerm, type QueryState, type RuntimeSource, SourceClient, type SourceWarning, type Transport } from './client.ts';
import type { FederationConfig } from './config.ts';
import { createEngine, type JsonRow } from './engine.ts';
import { type LocalOntology, loadLocalOntology } from './ontology.ts';
import { type Plan, PlanError, parseQuery, planQuery, type SourceCredit } from './plan.ts';
import { buildSummary, type Description, parseDescription, type SourceSummary } from './summary.ts';

export { PlanError } from './plan.ts';

/** Options of {@link createFederation}. */
export type FederationOptions = {
  config: FederationConfig;
  /** Ontology files loaded by every archive store (the federator keeps its own copy). */
  ontologyFiles: string[];
  /** How archives of kind `archive` are reached: this server's handler, under an origin used only in URLs. */
  local?: { origin: string; transport: Transport };
  /** Time limit of a whole federated query (default 30 s). */
  queryTimeoutMs?: number;
  /** Most rows a SELECT may return (default 100,000). */
  maxRows?: number;
  log?: (message: string) => void;
};

/** What a source did for one answer. */
export type SourceReport = {
  name: string;
  kind: RuntimeSource['kind'];
  /** The endpoint (relative to this server for its own archives). */
  endpoint: string;
  status: 'answered' | 'failed' | 'skipped' | 'not needed';
  rows: number;
  title?: string;
  license?: string;
  citation?: string;
};

/** One federated answer. */
export type FederatedResult = {
  form: Plan['form'];
  variables: string[];
  bindings: JsonRow[];
  boolean?: boolean;
  quads?: Quad[];
  sources: SourceReport[];
  warnings: SourceWarning[];
  plan: { mode: Plan['mode']; query: string; notes: string[] };
  stats: { requests: number; ms: number; firstResultMs?: number };
};

/** The result has more rows than allowed (HTTP 422). */
export class ResultTooLargeError extends Error {
  override name = 'ResultTooLargeError';
}

/** The federated query did not finish in time (HTTP 504). */
export class FederationTimeoutError extends Error {
  override name = 'FederationTimeoutError';
}

type Held = { summary?: SourceSummary; description?: Description; checkedAt: number; pending?: Promise<void>; error?: SourceWarning };

/** Sources, summaries, planner and engine of one federation; create it once and query it many times. */
export class Federation {
  readonly config: FederationConfig;
  readonly client: SourceClient;
  readonly ontology: LocalOntology;
  readonly #engine = createEngine();
  readonly #held = new Map<string, Held>();
  readonly #timeoutMs: number;
  readonly #maxRows: number;
  readonly #log: (message: string) => void;

  constructor(options: FederationOptions, ontology: LocalOntology) {
    this.config = options.config;
    this.ontology = ontology;
    this.#timeoutMs = options.queryTimeoutMs ?? 30_000;
    this.#maxRows = options.maxRows ?? 100_000;
    this.#log = options.log ?? ((m) => process.stderr.write(`benchgraph federation: ${m}\n`));
    const sources = options.config.sources.filter((s) => s.enabled).map((s) => runtimeSource(s, options.local));
    this.client = new SourceClient(sources, options.config.breaker, (name, text) => this.#estimate(name, text));
  }

  /**
   * Answers a query over the federation. Sources that fail, hang or answer garbage contribute nothing and are
   * named in `warnings`; the others' answers come back within the time limit.
   *
   * @throws PlanError (malformed or unsupported query), ResultTooLargeError, FederationTimeoutError
   */
  async query(text: string, opts: { signal?: AbortSignal; maxRows?: number } = {}): Promise<FederatedResult> {
    const started = performance.now();
    const parsed = parseQuery(text);
    const warnings: SourceWarning[] = [];
    const available = await this.#available(warnings);
    const analyzer = new Analyzer(available, this.ontology);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new FederationTimeoutError(`the federated query did not finish within ${this.#timeoutMs} ms`)), this.#timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, controller.signal]) : controller.signal;
    const state = this.client.begin(available.map((s) => s.name), signal);
    try {
      const plan = planQuery(parsed, analyzer, { token: state.token, credits: this.#credits(available) });
      const maxRows = opts.maxRows ?? this.#maxRows;
      const bindings: JsonRow[] = [];
      let firstResultMs: number | undefined;
      let tooLarge = false;
      const answer = await this.#engine.run(plan.query, {
        form: plan.form,
        fetch: this.client.fetch,
        signal,
        onRow: (row) => {
          firstResultMs ??= performance.now() - started;
          if (bindings.length >= maxRows) {
            tooLarge = true;
            return false;
          }
          bindings.push(row);
          return true;
        },
      });
      if (tooLarge) {
        throw new ResultTooLargeError(`the result has more than ${maxRows} rows, the most this server returns in one response; page through it with LIMIT and OFFSET`);
      }
      warnings.push(...state.warnings);
      return {
        form: plan.form,
        variables: answer.form === 'SELECT' ? plan.variables : [],
        bindings,
        ...(answer.form === 'ASK' ? { boolean: answer.boolean } : {}),
        ...(answer.form === 'CONSTRUCT' ? { quads: answer.quads } : {}),
        sources: this.#reports(plan, state, warnings),
        warnings,
        plan: { mode: plan.mode, query: plan.query, notes: plan.notes },
        stats: { requests: state.requests, ms: performance.now() - started, ...(firstResultMs !== undefined ? { firstResultMs } : {}) },
      };
    } catch (error) {
      if (controller.signal.aborted && controller.signal.reason instanceof FederationTimeoutError) throw controller.signal.reason;
      // Comunica evaluates a property path open at both ends ("?a rdfs:subClassOf* ?b") itself and cannot hand the
      // node enumeration that needs to a SPARQL source: say so, as for any feature the federation does not support.
      if (error instanceof Error && /Unknown Operation type nodes/.test(error.message)) {
        throw new PlanError(
          'the federated endpoint cannot evaluate a property path with * or + whose two ends are both variables (such as ?a rdfs:subClassOf* ?b); bind one end (a constant or VALUES) or ask an archive\'s own endpoint',
        );
      }
      throw error;
    } finally {
      clearTimeout(timer);
      this.client.end(state);
    }
  }

  /** The plan a query would run, without running it. */
  async explain(text: string): Promise<Plan> {
    const available = await this.#available([]);
    return planQuery(parseQuery(text), new Analyzer(available, this.ontology), { token: 'bgfq0', credits: this.#credits(available) });
  }

  /** Builds (or refreshes) every source summary now; returns the sources that could not be summarized. */
  async refresh(): Promise<SourceWarning[]> {
    const warnings: SourceWarning[] = [];
    await this.#available(warnings, true);
    return warnings;
  }

  /** The current summary of a source, if built. */
  summary(name: string): SourceSummary | undefined {
    return this.#held.get(name)?.summary;
  }

  // Sources that can take part in a query now: summarized, enabled, not skipped by their circuit breaker.
  async #available(warnings: SourceWarning[], force = false): Promise<PlanSource[]> {
    const out: PlanSource[] = [];
    await Promise.all(this.client.sources.map((s) => this.#ensure(s, force)));
    for (const s of this.client.sources) {
      const held = this.#held.get(s.name)!;
      const skipped = this.client.skipped(s.name);
      if (skipped) {
        warnings.push(skipped);
        continue;
      }
      if (!held.summary) {
        if (held.error) warnings.push(held.error);
        continue;
      }
      const ontology = s.ontology === 'auto' ? held.summary.ontologyTriples === this.ontology.triples : s.ontology;
      out.push({ name: s.name, endpoint: s.endpoint, kind: s.kind, summary: held.summary, ontology });
    }
    return out;
  }

  async #ensure(source: RuntimeSource, force: boolean): Promise<void> {
    let held = this.#held.get(source.name);
    if (!held) this.#held.set(source.name, (held = { checkedAt: 0 }));
    const stale = Date.now() - held.checkedAt > this.config.refreshMs;
    if (held.pending) {
      // A first build is waited for; a refresh runs in the background while the old summary serves.
      if (!held.summary || force) await held.pending;
      return;
    }
    if (held.summary && !stale && !force && !held.error) return;
    const h = held;
    h.pending = this.#rebuild(source, h).finally(() => {
      h.pending = undefined;
    });
    if (!h.summary || force) await h.pending;
  }

  async #rebuild(source: RuntimeSource, held: Held): Promise<void> {
    held.checkedAt = Date.now();
    try {
      if (source.kind === 'tpf') {
        held.summary ??= openSummary(source);
        held.error = undefined;
        return;
      }
      let description: Description = {};
      if (source.description) {
        description = parseDescription(await this.client.getText(source.name, source.description, 'text/turtle'), source.description);
      }
      // A benchgraph archive says when it changed; other endpoints are re-read every 20 refresh intervals.
      const unchanged =
        held.summary !== undefined &&
        (description.version !== undefined
          ? description.version === held.description?.version
          : Date.now() - held.summary.builtAt < this.config.refreshMs * 20);
      if (!unchanged) {
        held.summary = await buildSummary(this.client, source.name, description);
        const uriSpace = held.summary.uriSpace;
        if (uriSpace && ![...held.summary.predicates.values()].some((p) => p.subjects.local)) {
          this.#log(`${source.name}: no resource of the source is under its uriSpace ${uriSpace}; was it served with the --base it was ingested with?`);
        }
      }
      held.description = description;
      held.error = undefined;
    } catch (error) {
      const e = error as Error & { kind?: SourceWarning['kind'] };
      held.error = { source: source.name, kind: e.kind ?? 'unreachable', message: `could not read the source's summary: ${e.message.replace(/^source "[^"]*": /, '')}` };
      this.#log(`${source.name}: ${held.error.message}`);
    }
  }

  #credits(sources: PlanSource[]): Map<string, SourceCredit> {
    return new Map(sources.map((s) => [s.name, { license: s.summary.license, citation: s.summary.citation }]));
  }

  #reports(plan: Plan, state: QueryState, warnings: SourceWarning[]): SourceReport[] {
    return this.client.sources.map((s) => {
      const summary = this.#held.get(s.name)?.summary;
      const failed = warnings.some((w) => w.source === s.name && w.kind !== 'circuit-open');
      const skipped = warnings.some((w) => w.source === s.name && w.kind === 'circuit-open');
      const used = plan.sources.includes(s.name);
      return {
        name: s.name,
        kind: s.kind,
        endpoint: s.kind === 'archive' ? `/archives/${s.url}/sparql` : s.endpoint,
        status: skipped ? 'skipped' : failed ? 'failed' : used ? 'answered' : 'not needed',
        rows: state.rows.get(s.name) ?? 0,
        ...(summary?.title ? { title: summary.title } : {}),
        ...(summary?.license ? { license: summary.license } : {}),
        ...(summary?.citation ? { citation: summary.citation } : {}),
      };
    });
  }

  // Comunica's cardinality probes, answered from the summary: the smallest count of the predicates mentioned.
  #estimate(name: string, text: string): number {
    const summary = this.#held.get(name)?.summary;
    if (!summary) return 1000;
    let best = Number.POSITIVE_INFINITY;
    for (const m of text.matchAll(/<([^>\s]+)>/g)) {
      const p = summary.predicates.get(m[1]!);
      if (p) best = Math.min(best, p.triples);
    }
    return Number.isFinite(best) ? best : [...summary.predicates.values()].reduce((n, p) => n + p.triples, 0);
  }
}

/** Loads the local ontology and sets up a federation (summaries are built on first use or by `refresh()`). */
export async function createFederation(options: FederationOptions): Promise<Federation> {
  return new Federation(options, await loadLocalOntology(options.ontologyFiles));
}

function runtimeSource(s: FederationConfig['sources'][number], local: FederationOptions['local']): RuntimeSource {
  switch (s.kind) {
    case 'archive': {
      if (!local) throw new Error(`source "${s.name}" is an archive of this server, but the federation runs without a server`);
      return { ...s, endpoint: `${local.origin}/archives/${s.url}/sparql`, description: `${local.origin}/archives/${s.url}`, transport: local.transport };
    }
    case 'benchgraph':
      return { ...s, endpoint: `${s.url}/sparql`, description: s.url, transport: (r) => fetch(r) };
    default:
      return { ...s, endpoint: s.url, transport: (r) => fetch(r) };
  }
}

// TPF interfaces cannot be summarized with SPARQL: they may hold anything.
function openSummary(source: RuntimeSource): SourceSummary {
  return {
    predicates: new Map(),
    classes: new Map(),
    classLocal: new Map(),
    ontologyTriples: 0,
    uriSpace: source.uriSpace,
    open: true,
    title: source.name,
    license: source.license,
    citation: source.citation,
    builtAt: Date.now(),
  };
}

export type { JsonTerm };
