// Federated plans: rewrites a query into one Comunica executes, where every source gets whole subqueries (SERVICE
// blocks) and ontology patterns are answered locally and bind-joined as VALUES blocks.
import { DataFactory } from 'n3';
import sparqljs from 'sparqljs';
import type * as S from 'sparqljs';
import { ONTOLOGY_GRAPH } from '../namespaces.ts';
import { Analyzer, isVariable, type PlanSource, type TripleInfo } from './analyze.ts';
import { TOKEN_VARIABLE } from './client.ts';
import { termKey } from './summary.ts';

const { namedNode, variable, literal } = DataFactory;

/** Variables an answer may ask for to learn where a row came from (documented in README). */
export const PROVENANCE_VARIABLES = { source: '_source', license: '_license', citation: '_citation' } as const;

/** A query the federation will not run as written: the client's to fix (HTTP 400). */
export class PlanError extends Error {
  override name = 'PlanError';
}

/** Licence and citation bound to the provenance variables for a source's rows. */
export type SourceCredit = { license?: string; citation?: string };

export type PlanOptions = {
  /** Marks every subquery so the source client counts its requests for this query. */
  token: string;
  credits: ReadonlyMap<string, SourceCredit>;
  /** Most local ontology rows sent as one VALUES block (default 5000). */
  maxValues?: number;
};

/** A plan: the query Comunica runs, and what it will contact. */
export type Plan = {
  form: 'SELECT' | 'ASK' | 'CONSTRUCT';
  /** SPARQL with SERVICE blocks to the sources and VALUES blocks of local ontology answers. */
  query: string;
  /** per-source: the whole WHERE goes to each source in one subquery; decomposed: per group of patterns. */
  mode: 'per-source' | 'decomposed';
  /** Sources that get at least one subquery. */
  sources: string[];
  /** Result variables of a SELECT. */
  variables: string[];
  /** Why the planner chose what it chose (shown by `explain`). */
  notes: string[];
};

type Where = S.Pattern[];
type Row = Record<string, S.IriTerm | S.LiteralTerm | S.BlankTerm>;
const INTERNAL = /^_(bg_|fq$)/;
const RDF_TYPE = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type';
const generator = new sparqljs.Generator();
/** Most rows taken from the local ontology for one group of ontology patterns. */
const MAX_ONTOLOGY_ROWS = 50_000;

/** Parses a query, failing with a PlanError that carries the parser's message and position. */
export function parseQuery(text: string): S.Query {
  let parsed: S.SparqlQuery;
  try {
    parsed = new sparqljs.Parser({ skipUngroupedVariableCheck: false }).parse(text);
  } catch (error) {
    throw new PlanError(`malformed query: ${(error as Error).message}`);
  }
  if (parsed.type !== 'query') throw new PlanError('expected a query (SELECT, ASK, CONSTRUCT or DESCRIBE); updates are not accepted here');
  return parsed;
}

/** Plans a parsed query over the sources the analyzer knows. */
export function planQuery(input: S.Query, analyzer: Analyzer, opts: PlanOptions): Plan {
  const query = normalize(input);
  const ctx = new Context(analyzer, opts, query);
  const perSource = planPerSource(ctx, query);
  const planned = typeof perSource === 'string' ? planDecomposed(ctx, query, perSource) : perSource;
  return {
    form: query.queryType as Plan['form'],
    query: generator.stringify(braceSubqueries(planned.query)),
    mode: planned.mode,
    sources: [...ctx.contacted],
    variables: query.queryType === 'SELECT' ? projectedNames(query as S.SelectQuery) : [],
    notes: ctx.notes,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Normalization: one shape for the rest of the planner.

/**
 * Refuses what a federation cannot honour (SERVICE to arbitrary URLs, FROM), turns DESCRIBE into CONSTRUCT and a
 * trailing VALUES into a WHERE member, expands sequence and inverse paths into triples and blank nodes into
 * variables, and makes `SELECT *` explicit (so internal variables never reach answers).
 */
function normalize(input: S.Query): S.Query {
  const query = clone(input);
  if (query.from && (query.from.default.length > 0 || query.from.named.length > 0)) {
    throw new PlanError('FROM and FROM NAMED are not supported by the federated endpoint; use GRAPH in the WHERE clause');
  }
  const fresh = counter();
  visitPatterns(query.where ?? [], (p) => {
    if (p.type === 'service') throw new PlanError('SERVICE is not allowed in federated queries: the federation chooses the sources');
  });
  if (query.values) {
    query.where = [...(query.where ?? []), { type: 'values', values: query.values }];
    delete query.values;
  }
  let out: S.Query = query;
  if (query.queryType === 'DESCRIBE') out = describeToConstruct(query as S.DescribeQuery, fresh);
  out.where = inlineValues(existsToJoins(mapBgps(out.where ?? [], (triples) => expandBgp(triples, fresh))));
  visitPatterns(out.where, (p) => {
    if (p.type === 'query' && isWildcard(p.variables)) p.variables = inScope(p.where ?? []).filter((v) => !INTERNAL.test(v)).map((v) => variable(v));
  });
  if (out.queryType === 'SELECT') {
    const select = out as S.SelectQuery;
    if (isWildcard(select.variables)) select.variables = inScope(select.where ?? []).filter((v) => !INTERNAL.test(v)).map((v) => variable(v));
  }
  return out;
}

function describeToConstruct(q: S.DescribeQuery, fresh: () => number): S.ConstructQuery {
  if (isWildcard(q.variables)) throw new PlanError('DESCRIBE * is not supported by the federated endpoint; name the resources to describe');
  const branches = (q.variables as (S.VariableTerm | S.IriTerm)[]).map((t) => {
    const n = fresh();
    return { type: 'bgp' as const, triples: [{ subject: t, predicate: variable(`_bg_dp${n}`), object: variable(`_bg_do${n}`) }] };
  });
  const described: S.Pattern =
    branches.length === 1 ? branches[0]! : { type: 'union', patterns: branches.map((b) => ({ type: 'group', patterns: [b] })) };
  return {
    type: 'query',
    queryType: 'CONSTRUCT',
    prefixes: q.prefixes,
    template: branches.map((b) => b.triples[0]!),
    where: [...(q.where ?? []), described],
  };
}

/**
 * sparqljs writes a subquery without braces, which is only valid SPARQL where it is alone in its group (as in
 * `SERVICE <s> { SELECT ... }`); next to other patterns (a FILTER EXISTS turned into a join inside a UNION branch)
 * it needs a group of its own.
 */
function braceSubqueries<Q extends S.Query>(query: Q): Q {
  const list = (patterns: S.Pattern[]): S.Pattern[] =>
    patterns.map((p) => {
      const inner = one(p);
      return inner.type === 'query' && patterns.length > 1 ? ({ type: 'group', patterns: [inner] } as S.GroupPattern) : inner;
    });
  const one = (p: S.Pattern): S.Pattern => {
    if (p.type === 'query') return { ...p, where: list(p.where ?? []) };
    if (p.type === 'union') return { ...p, patterns: p.patterns.map(one) };
    if ('patterns' in p) return { ...p, patterns: list(p.patterns) } as S.Pattern;
    return p;
  };
  return { ...query, where: list(query.where ?? []) };
}

/**
 * `FILTER NOT EXISTS { P }` becomes `MINUS { P }` and `FILTER EXISTS { P }` a join with `SELECT DISTINCT` of the
 * shared variables, where that is exact: P shares variables with the group, they are always bound there, and P's
 * own filters see only P's variables. Comunica sends MINUS and subqueries to a source whole, but evaluates EXISTS
 * row by row (one request per row).
 */
function existsToJoins(where: Where): Where {
  const mandatoryVars = new Set(mandatoryTriples(where).flatMap(tripleVariables));
  const out = where.map((p): S.Pattern => {
    if (p.type === 'filter') return p;
    if (p.type === 'query') return { ...p, where: existsToJoins(p.where ?? []) };
    if ('patterns' in p && p.type !== 'service') return { ...p, patterns: existsToJoins(p.patterns) } as S.Pattern;
    return p;
  });
  return out.map((p): S.Pattern => {
    if (p.type !== 'filter') return p;
    const e = p.expression as S.OperationExpression;
    if (e.type !== 'operation' || (e.operator !== 'exists' && e.operator !== 'notexists')) return p;
    const arg = e.args[0] as S.Pattern;
    const body: Where = arg.type === 'group' ? arg.patterns : [arg];
    const own = new Set(collectTriples(body).flatMap(tripleVariables));
    const outside = new Set(out.filter((x) => x !== p).flatMap((x) => expressionVariables(x)));
    const shared = [...own].filter((v) => outside.has(v));
    const innerFilters: string[] = [];
    visitPatterns(body, (x) => {
      if (x.type === 'filter' || x.type === 'bind') innerFilters.push(...expressionVariables(x.expression));
    });
    const exact = shared.length > 0 && shared.every((v) => mandatoryVars.has(v)) && innerFilters.every((v) => own.has(v));
    if (!exact) return p;
    if (e.operator === 'notexists') return { type: 'minus', patterns: body };
    return {
      type: 'query',
      queryType: 'SELECT',
      prefixes: {},
      distinct: true,
      variables: shared.map((v) => variable(v)),
      where: body,
    } as S.SelectQuery;
  });
}

/**
 * `VALUES ?x { c }` (one variable, one row) becomes `BIND(c AS ?x)` at the end of its group and `c` in the group's own
 * triples, so the planner sees the constant (a record IRI pins its archive). Only when ?x occurs nowhere else in the
 * group but in its triples and filters (a nested OPTIONAL could see it unbound).
 */
function inlineValues(where: Where): Where {
  const nestedWhere = (p: S.Pattern): S.Pattern => {
    if (p.type === 'query') return { ...p, where: inlineValues(p.where ?? []) };
    if ('patterns' in p && p.type !== 'service') {
      if (p.type === 'union') return { ...p, patterns: p.patterns.map(nestedWhere) };
      return { ...p, patterns: inlineValues(p.patterns) } as S.Pattern;
    }
    return p;
  };
  let out = where.map(nestedWhere);
  for (const values of out.filter((p): p is S.ValuesPattern => p.type === 'values')) {
    const keys = Object.keys(values.values[0] ?? {});
    if (values.values.length !== 1 || keys.length !== 1) continue;
    const name = keys[0]!.slice(1);
    const term = values.values[0]![keys[0]!];
    if (!term) continue;
    const elsewhere = out.filter((p) => p !== values && p.type !== 'bgp' && p.type !== 'filter').flatMap((p) => expressionVariables(p));
    if (elsewhere.includes(name)) continue;
    const swap = (t: S.Term) => (isVariable(t) && t.value === name ? term : t);
    // Last in the group: a BIND before the triples would make Comunica split a SERVICE body around it.
    out = [
      ...out
        .filter((p) => p !== values)
        .map((p) => (p.type === 'bgp' ? { ...p, triples: p.triples.map((t) => ({ subject: swap(t.subject as S.Term) as S.Triple['subject'], predicate: t.predicate, object: swap(t.object) })) } : p)),
      bind(term as S.Expression, name),
    ];
  }
  return out;
}

// A BGP whose triples use alternative paths becomes a group: the other triples, and one UNION per alternative.
function expandBgp(triples: S.Triple[], fresh: () => number): S.Pattern {
  const plain = expandTriples(triples, fresh);
  const alternatives = plain.filter((t) => (t.predicate as S.PropertyPath).type === 'path' && (t.predicate as S.PropertyPath).pathType === '|');
  if (alternatives.length === 0) return { type: 'bgp', triples: plain };
  const rest = plain.filter((t) => !alternatives.includes(t));
  const unions: S.Pattern[] = alternatives.map((t) => ({
    type: 'union',
    patterns: (t.predicate as S.PropertyPath).items.map((item) => ({
      type: 'group',
      patterns: [expandBgp([{ subject: t.subject, predicate: item as S.Triple['predicate'], object: t.object }], fresh)],
    })),
  }));
  return { type: 'group', patterns: [...(rest.length > 0 ? [{ type: 'bgp', triples: rest } as S.Pattern] : []), ...unions] };
}

// Sequence paths become joins over fresh variables and inverse paths swap ends (both exact rewrites), so that only
// closure and alternative paths remain as paths; blank nodes become variables.
function expandTriples(triples: S.Triple[], fresh: () => number): S.Triple[] {
  const bnodes = new Map<string, S.VariableTerm>();
  const node = <T extends S.Term>(t: T): T | S.VariableTerm => {
    if (t.termType !== 'BlankNode') return t;
    let v = bnodes.get(t.value);
    if (!v) bnodes.set(t.value, (v = variable(`_bg_b${fresh()}`)));
    return v;
  };
  const out: S.Triple[] = [];
  const expand = (s: S.Term, p: S.Triple['predicate'], o: S.Term) => {
    const path = p as S.PropertyPath;
    if (path.type === 'path' && path.pathType === '/') {
      let from = s;
      path.items.forEach((item, i) => {
        const to = i === path.items.length - 1 ? o : variable(`_bg_p${fresh()}`);
        expand(from, item as S.Triple['predicate'], to);
        from = to;
      });
      return;
    }
    if (path.type === 'path' && path.pathType === '^' && path.items.length === 1) {
      expand(o, path.items[0] as S.Triple['predicate'], s);
      return;
    }
    out.push({ subject: node(s) as S.Triple['subject'], predicate: p, object: node(o) });
  };
  for (const t of triples) expand(t.subject as S.Term, t.predicate, t.object);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Shared state of one planning run.

class Context {
  readonly analyzer: Analyzer;
  readonly opts: PlanOptions;
  readonly notes: string[];
  readonly contacted: Set<string>;
  readonly fresh: () => number;
  /** Provenance variables the query mentions. */
  readonly provenance: Set<string>;
  /** Some source's answers are joined with ontology rows outside its SERVICE block (no aggregate pushdown then). */
  joinedOutside = false;
  /** Triples every solution of the (normalized) query matches. */
  readonly mandatory: S.Triple[];
  /** How often each variable occurs in the whole query (for projecting away what a group alone uses). */
  readonly occurrences: Map<string, number>;
  /** Only the set of answers matters (ASK, CONSTRUCT, SELECT DISTINCT without aggregates), not their multiplicity. */
  readonly setSemantics: boolean;

  constructor(analyzer: Analyzer, opts: PlanOptions, query: S.Query, parent?: Context) {
    this.analyzer = analyzer;
    this.opts = opts;
    this.notes = parent?.notes ?? [];
    this.contacted = parent?.contacted ?? new Set();
    this.fresh = parent?.fresh ?? counter();
    const mentioned = new Set(allVariables(query));
    this.provenance = new Set(Object.values(PROVENANCE_VARIABLES).filter((v) => mentioned.has(v)));
    this.mandatory = mandatoryTriples(query.where ?? []);
    this.occurrences = parent?.occurrences ?? countVariables(query);
    const select = query as S.SelectQuery;
    this.setSemantics =
      query.queryType === 'ASK' ||
      query.queryType === 'CONSTRUCT' ||
      (query.queryType === 'SELECT' && Boolean(select.distinct || select.reduced) && !select.group && !hasAggregate(select));
  }

  #aggregation: Aggregation | undefined | null = null;

  /** The partial-aggregation rewrite of the query, decided once (both the subqueries and the outer query use it). */
  aggregation(q: S.SelectQuery): Aggregation | undefined {
    if (this.#aggregation === null) this.#aggregation = pushableAggregation(this, q);
    return this.#aggregation;
  }

  get maxValues(): number {
    return this.opts.maxValues ?? 5000;
  }

  source(name: string): PlanSource {
    return this.analyzer.sources.find((s) => s.name === name)!;
  }

  /** BINDs that mark a subquery as this query's and give the provenance variables their values for a source. */
  marks(source: string, names: Record<string, string> = PROVENANCE_VARIABLES): S.Pattern[] {
    const credit = this.opts.credits.get(source) ?? {};
    const out: S.Pattern[] = [bind(literal(this.opts.token), TOKEN_VARIABLE)];
    const values: Record<string, string | undefined> = { _source: source, _license: credit.license, _citation: credit.citation };
    for (const [key, standard] of Object.entries(PROVENANCE_VARIABLES)) {
      if (!this.provenance.has(standard)) continue;
      const value = values[standard];
      if (value === undefined) continue;
      const term = key === 'license' && /^https?:\/\/\S+$/.test(value) ? namedNode(value) : literal(value);
      out.push(bind(term, names[key as keyof typeof PROVENANCE_VARIABLES]!));
    }
    return out;
  }

  service(source: string, inner: S.SelectQuery): S.Pattern {
    this.contacted.add(source);
    const body = { ...inner, where: opaqueFilters(inner.where ?? [], this.fresh) };
    return { type: 'service', name: namedNode(this.source(source).endpoint), silent: false, patterns: [body] };
  }

  /**
   * Evaluates ontology-only patterns over the local ontology, restricted by the VALUES blocks among `siblings` that
   * bind their variables. `complete` is false when there are more than {@link MAX_ONTOLOGY_ROWS} rows.
   */
  ontologyRows(triples: S.Triple[], siblings: Where = []): { vars: string[]; rows: Row[]; complete: boolean } {
    const vars = [...new Set(triples.flatMap(tripleVariables))];
    const restrictions = siblings.filter(
      (p): p is S.ValuesPattern => p.type === 'values' && p.values.some((row) => Object.keys(row).some((k) => vars.includes(k.slice(1)))),
    );
    const q: S.SelectQuery = {
      type: 'query',
      queryType: 'SELECT',
      prefixes: {},
      variables: vars.length > 0 ? vars.map((v) => variable(v)) : [new sparqljs.Wildcard()],
      where: [...clone(restrictions), { type: 'bgp', triples: clone(triples) }],
      limit: MAX_ONTOLOGY_ROWS + 1,
    };
    const results = this.analyzer.ontology.select(generator.stringify(q));
    const bindings = results.results?.bindings ?? [];
    const rows = bindings.slice(0, MAX_ONTOLOGY_ROWS).map((b) => {
      const row: Row = {};
      for (const v of vars) if (b[v]) row[`?${v}`] = fromJson(b[v] as { type: string; value: string; datatype?: string; 'xml:lang'?: string });
      return row;
    });
    return { vars, rows, complete: bindings.length <= MAX_ONTOLOGY_ROWS };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Per-source plans: the whole WHERE clause goes to every relevant source; Comunica unions (and aggregates) answers.

type PerSourcePlan = { query: S.Query; mode: 'per-source' };

function planPerSource(ctx: Context, query: S.Query): PerSourcePlan | string {
  const where = query.where ?? [];
  const a = ctx.analyzer;
  let problem: string | undefined;
  visitPatterns(where, (p) => {
    if (p.type === 'query') problem ??= subqueryProblem(ctx, p);
  });
  if (problem) return problem;
  const infos = collectTriples(where).map((t) => a.info(t));
  const acting = new Map<TripleInfo, 'data' | 'onto' | 'both'>();
  for (const info of infos) if (info.kind === 'mixed') acting.set(info, a.acting(info, infos));
  if ([...acting.values()].includes('both')) return 'a pattern may match both record data and the ontology';
  const effective = infos.filter((i) => i.kind === 'data' || acting.get(i) === 'data');
  const cross = a.crossSourceVariables(effective);
  if (cross.size > 0) return `answers of different sources may join on ?${[...cross].join(', ?')}`;
  const scopes = topUnion(where) ?? [where];
  const relevant = new Set<string>();
  for (const scope of scopes) {
    const scopeTriples = new Set(collectTriples(scope));
    const mine = effective.filter((i) => scopeTriples.has(i.triple));
    if (components(mine, new Set()).length > 1) return 'the query joins groups of patterns that share no variable';
    const mandatory = new Set(mandatoryTriples(scope));
    const anchors = mine.filter((i) => mandatory.has(i.triple));
    if (anchors.length === 0) return 'no pattern outside OPTIONAL, MINUS or FILTER is answered by record data alone';
    const names = intersect(anchors.map((i) => i.relevant));
    for (const n of names) relevant.add(n);
  }
  const ontoInfos = infos.filter((i) => i.kind === 'onto' || acting.get(i) === 'onto');
  const extraction = extractOntology(ctx, query, ontoInfos);
  // Comunica splits property paths inside SERVICE blocks into one request per step, so ontology paths are always
  // answered locally.
  const paths = ontoInfos.some((i) => isPathTriple(i.triple));
  if (paths && typeof extraction === 'string') return `the ontology paths cannot be answered locally: ${extraction}`;
  const blocks: S.Pattern[] = [];
  const useLocal = (name: string) => typeof extraction !== 'string' && (!ctx.source(name).ontology || extraction.selective || paths);
  for (const name of relevant) {
    if (!ctx.source(name).ontology && ontoInfos.length > 0 && typeof extraction === 'string') {
      return `source "${name}" lacks the ontology and ${extraction}`;
    }
  }
  ctx.joinedOutside = typeof extraction !== 'string' && extraction.outside && [...relevant].some(useLocal);
  for (const name of [...relevant].sort()) {
    const block = sourceBlock(ctx, query, name, useLocal(name) ? (extraction as Extraction) : undefined);
    if (block) blocks.push(block);
  }
  ctx.notes.push(`per-source: the WHERE clause goes whole to ${blocks.length} of ${a.sources.length} sources`);
  return { query: outerQuery(ctx, query, blocks), mode: 'per-source' };
}

/** Why a subquery cannot be evaluated per source (its modifiers would need all sources' rows), or undefined. */
function subqueryProblem(ctx: Context, q: S.SelectQuery): string | undefined {
  if (q.limit !== undefined || q.offset !== undefined) return 'a subquery has LIMIT or OFFSET, which must see the rows of all sources';
  const grouped = q.group !== undefined || hasAggregate(q);
  if (!grouped && !q.distinct && !q.reduced) return undefined;
  const anchored = anchoredVariables(ctx, q);
  const keys = grouped
    ? (q.group ?? []).flatMap((g) => (isVariable(g.expression as S.Term) ? [(g.expression as S.VariableTerm).value] : []))
    : isWildcard(q.variables)
      ? inScope(q.where ?? [])
      : (q.variables as S.Variable[]).flatMap((v) => ('expression' in v ? [] : [v.value]));
  // Groups (or distinct rows) holding a source's own IRI never span two sources.
  if (keys.some((k) => anchored.has(k))) return undefined;
  return 'a subquery groups or removes duplicates over values several sources share';
}

const isPathTriple = (t: S.Triple) => (t.predicate as S.PropertyPath).type === 'path';

/** Ontology patterns of the top-level BGP, answered locally, and how they connect to the rest. */
type Extraction = {
  triples: Set<S.Triple>;
  /** Top-level VALUES blocks that only restrict ontology variables; they leave the subqueries too. */
  values: Set<S.Pattern>;
  /** Ontology variables also bound by the remaining mandatory triples: the source filters on their values. */
  inner: string[];
  rows: Row[];
  /** Top-level filters over ontology variables the source does not bind; they are applied outside. */
  filters: S.FilterPattern[];
  /** Whether the rows are joined outside the SERVICE too (for their other variables or their multiplicity). */
  outside: boolean;
  /** Few rows and a constant in the patterns: worth sending even to sources that hold the ontology. */
  selective: boolean;
};

function extractOntology(ctx: Context, query: S.Query, infos: TripleInfo[]): Extraction | string {
  if (infos.length === 0) return 'has no ontology pattern';
  const where = query.where ?? [];
  const topLevel = new Set(where.filter((p): p is S.BgpPattern => p.type === 'bgp').flatMap((p) => p.triples));
  if (infos.some((i) => !topLevel.has(i.triple))) return 'an ontology pattern is nested (OPTIONAL, UNION, MINUS, FILTER, GRAPH)';
  const triples = new Set(infos.map((i) => i.triple));
  const oVars = new Set(infos.flatMap((i) => tripleVariables(i.triple)));
  const valuesVars = (p: S.ValuesPattern) => [...new Set(p.values.flatMap((r) => Object.keys(r).map((k) => k.slice(1))))];
  const values = new Set(where.filter((p) => p.type === 'values' && valuesVars(p).every((v) => oVars.has(v))));
  const rest = where
    .filter((p) => !values.has(p))
    .map((p) => (p.type === 'bgp' ? { ...p, triples: p.triples.filter((t) => !triples.has(t)) } : p));
  const bound = new Set(mandatoryTriples(rest).flatMap(tripleVariables));
  const inner = [...oVars].filter((v) => bound.has(v));
  const nested = new Set(rest.filter((p) => p.type !== 'bgp' && p.type !== 'filter').flatMap((p) => expressionVariables(p)));
  const stray = [...oVars].find((v) => nested.has(v) && !bound.has(v));
  if (stray) return `the ontology variable ?${stray} is also used inside OPTIONAL, UNION, BIND or a subquery`;
  const filters = rest.filter(
    (p): p is S.FilterPattern => p.type === 'filter' && expressionVariables(p.expression).some((v) => oVars.has(v) && !bound.has(v)),
  );
  if (filters.some((f) => JSON.stringify(f.expression).includes('"exists"'))) return 'a filter over ontology variables holds EXISTS';
  const modifiers = new Set(allVariables({ ...query, where: [] } as S.Query, true));
  const { rows, complete } = ctx.ontologyRows([...triples], where.filter((p) => values.has(p)));
  if (!complete) return `the ontology patterns match more than ${MAX_ONTOLOGY_ROWS} rows`;
  const restricted = rows.length > ctx.maxValues ? restrictRows(ctx, rows, inner, triples) : rows;
  const tuples = new Set(restricted.map((r) => inner.map((v) => keyOf(r[`?${v}`])).join(' ')));
  // Sources filter each variable on its own values (Comunica breaks up filters over several variables inside a
  // SERVICE body); when the tuples are not all combinations of those values, the rows are joined outside too.
  const product = inner.reduce((n, v) => n * new Set(restricted.map((r) => keyOf(r[`?${v}`]))).size, 1) === tuples.size;
  // Rows that differ only in variables the source does not bind still count (bag semantics): joined outside then.
  const outside =
    filters.length > 0 || !product || [...oVars].some((v) => !bound.has(v) && modifiers.has(v)) || tuples.size !== restricted.length;
  const hasConstant = infos.some((i) => !isVariable(i.triple.subject as S.Term) || !isVariable(i.triple.object)) || values.size > 0;
  return {
    triples,
    values,
    inner,
    rows: restricted,
    filters,
    outside,
    selective: hasConstant && restricted.length <= ctx.maxValues && !outside,
  };
}

// Keeps the ontology rows whose join values occur in some source's data (when every source lists them).
function restrictRows(ctx: Context, rows: Row[], join: string[], triples: Set<S.Triple>): Row[] {
  const allowed = new Map<string, Set<string>>();
  for (const v of join) {
    let union: Set<string> | undefined = new Set();
    for (const [pred, role] of joinPositions(ctx, triples, v)) {
      for (const s of ctx.analyzer.sources) {
        const stats = s.summary.predicates.get(pred);
        if (!stats || !union) continue;
        const values = role === 's' ? stats.subjects : stats.objects;
        if (values.shared === 'many') union = undefined;
        else for (const k of values.shared) union.add(k);
      }
      if (union) break;
      union = new Set();
    }
    if (union && union.size > 0) allowed.set(v, union);
  }
  return rows.filter((r) => [...allowed].every(([v, set]) => set.has(keyOf(r[`?${v}`]))));
}

// The block of one source: SERVICE with the rewritten WHERE, plus what must be joined outside it.
function sourceBlock(ctx: Context, query: S.Query, name: string, extraction: Extraction | undefined): S.Pattern | undefined {
  const original = query.where ?? [];
  let where: Where = original.map((p) => p);
  const outsidePatterns: S.Pattern[] = [];
  if (extraction) {
    where = where
      .filter((p) => !extraction.values.has(p) && !extraction.filters.includes(p as S.FilterPattern))
      .map((p) => (p.type === 'bgp' ? { ...p, triples: p.triples.filter((t) => !extraction.triples.has(t)) } : p))
      .filter((p) => p.type !== 'bgp' || p.triples.length > 0);
    const rows = rowsForSource(ctx, extraction, name);
    if (rows.length === 0) {
      ctx.notes.push(`${name}: skipped, none of its values matches the ontology patterns`);
      return undefined;
    }
    for (const v of extraction.inner) where.push(membership([v], distinctRows(rows, [v])));
    if (extraction.outside) outsidePatterns.push(valuesPattern(Object.keys(rows[0]!).map((k) => k.slice(1)), rows), ...extraction.filters);
  }
  const inner = innerQuery(ctx, query, pushableValues(clone(where)), name, ctx.joinedOutside);
  const service = ctx.service(name, inner);
  return outsidePatterns.length > 0 ? { type: 'group', patterns: [service, ...outsidePatterns] } : { type: 'group', patterns: [service] };
}

function rowsForSource(ctx: Context, extraction: Extraction, name: string): Row[] {
  const source = ctx.source(name);
  // Values a join variable can take at this source, from the positions it takes in the remaining triples.
  const allowed = new Map<string, Set<string>>();
  for (const v of extraction.inner) {
    for (const [pred, role] of joinPositions(ctx, extraction.triples, v)) {
      const stats = source.summary.predicates.get(pred);
      if (!stats) continue;
      const values = role === 's' ? stats.subjects : stats.objects;
      if (values.shared === 'many') continue;
      const set = allowed.get(v);
      if (set) allowed.set(v, new Set([...set].filter((k) => (values.shared as ReadonlySet<string>).has(k))));
      else allowed.set(v, new Set(values.shared));
    }
  }
  return extraction.rows.filter((r) => [...allowed].every(([v, set]) => set.has(keyOf(r[`?${v}`]))));
}

// (predicate, role) of each mandatory top-level data triple in which a join variable occurs.
function joinPositions(ctx: Context, extracted: Set<S.Triple>, v: string): [string, 's' | 'o'][] {
  const out: [string, 's' | 'o'][] = [];
  for (const t of ctx.mandatory) {
    if (extracted.has(t) || (t.predicate as S.IriTerm).termType !== 'NamedNode') continue;
    const p = (t.predicate as S.IriTerm).value;
    if (p === RDF_TYPE) continue;
    if (isVariable(t.subject as S.Term) && (t.subject as S.VariableTerm).value === v) out.push([p, 's']);
    if (isVariable(t.object) && t.object.value === v) out.push([p, 'o']);
  }
  return out;
}

/**
 * A restriction of bound variables to listed tuples, as a FILTER: Comunica sends a SERVICE body with FILTERs to the
 * source whole, while a VALUES block makes it join locally. IRIs use IN; other terms sameTerm (VALUES semantics).
 */
function membership(vars: string[], rows: Row[]): S.FilterPattern {
  const same = (v: string, t: S.Term): S.Expression => ({ type: 'operation', operator: 'sameterm', args: [variable(v), t as S.IriTerm] });
  if (vars.length === 1) {
    const terms = rows.map((r) => r[`?${vars[0]}`]!);
    if (terms.every((t) => t.termType === 'NamedNode')) {
      return { type: 'filter', expression: { type: 'operation', operator: 'in', args: [variable(vars[0]!), terms as S.Expression[]] } };
    }
  }
  const alternatives = rows.map((r) =>
    vars.map((v) => same(v, r[`?${v}`]!)).reduce((a, b) => ({ type: 'operation', operator: '&&', args: [a, b] }) as S.Expression),
  );
  const expression =
    alternatives.length === 0
      ? (literal('false', namedNode('http://www.w3.org/2001/XMLSchema#boolean')) as S.Expression)
      : alternatives.reduce((a, b) => ({ type: 'operation', operator: '||', args: [a, b] }) as S.Expression);
  return { type: 'filter', expression };
}

/**
 * FILTER e becomes BIND(e AS ?f) FILTER(?f) at the end of its group: the same solutions (an error leaves ?f unbound,
 * which fails the filter as the error would), but Comunica's filter pushdown can no longer move it. Left alone, it
 * moves filters into their own sub-groups around single triple patterns, which the source then evaluates as
 * separate (often cross-product) joins. Filters with EXISTS, and filters of an OPTIONAL that read variables from
 * outside it, keep their place.
 */
function opaqueFilters(where: Where, fresh: () => number, optional = false): Where {
  const scope = new Set(inScope(where));
  const kept: S.Pattern[] = [];
  const moved: S.Pattern[] = [];
  for (const p of where) {
    if (p.type === 'filter') {
      const e = JSON.stringify(p.expression);
      const local = expressionVariables(p.expression).every((v) => scope.has(v));
      if (e.includes('"exists"') || e.includes('"notexists"') || (optional && !local)) kept.push(p);
      else {
        const f = `_bg_f${fresh()}`;
        moved.push(bind(p.expression, f), { type: 'filter', expression: variable(f) });
      }
      continue;
    }
    if (p.type === 'query') kept.push({ ...p, where: opaqueFilters(p.where ?? [], fresh) });
    else if (p.type === 'optional') kept.push({ ...p, patterns: opaqueFilters(p.patterns, fresh, true) });
    else if (p.type === 'group' || p.type === 'minus' || p.type === 'graph') kept.push({ ...p, patterns: opaqueFilters(p.patterns, fresh) });
    else if (p.type === 'union') kept.push({ ...p, patterns: p.patterns.map((b) => ({ type: 'group', patterns: opaqueFilters(b.type === 'group' ? b.patterns : [b], fresh) }) as S.Pattern) });
    else kept.push(p);
  }
  return [...kept, ...moved];
}

/**
 * Top-level VALUES blocks of a subquery in forms Comunica passes to the source: a FILTER when the variable is bound
 * by the group's triples, BINDs when it is a single row of otherwise unbound variables.
 */
function pushableValues(where: Where): Where {
  const bound = new Set(mandatoryTriples(where).flatMap(tripleVariables));
  const others = (self: S.Pattern) => new Set(inScope(where.filter((p) => p !== self)));
  return where.flatMap((p): S.Pattern[] => {
    if (p.type !== 'values' || p.values.length === 0) return [p];
    const vars = [...new Set(p.values.flatMap((r) => Object.keys(r).map((k) => k.slice(1))))];
    const complete = p.values.every((r) => vars.every((v) => r[`?${v}`] !== undefined));
    if (!complete) return [p];
    if (vars.every((v) => bound.has(v))) return [membership(vars, p.values as Row[])];
    const elsewhere = others(p);
    if (p.values.length === 1 && vars.every((v) => !elsewhere.has(v))) return vars.map((v) => bind(p.values[0]![`?${v}`] as S.Expression, v));
    return [p];
  });
}

/** The subquery one source runs, with as much of the outer query's work as can be done per source. */
function innerQuery(ctx: Context, query: S.Query, where: Where, name: string, joinedOutside: boolean): S.SelectQuery {
  const body: Where = [...where, ...ctx.marks(name)];
  const inner: S.SelectQuery = { type: 'query', queryType: 'SELECT', prefixes: {}, variables: [], where: body };
  const scope = inScope(body).filter((v) => v !== TOKEN_VARIABLE);
  if (query.queryType === 'ASK') {
    inner.variables = [new sparqljs.Wildcard()];
    inner.limit = 1;
    return inner;
  }
  const needed = new Set(allVariables({ ...query, where: [] } as S.Query, true));
  if (query.queryType === 'CONSTRUCT') {
    inner.variables = scope.filter((v) => needed.has(v)).map((v) => variable(v));
    inner.distinct = true;
    const c = query as unknown as S.SelectQuery;
    if (c.limit !== undefined && !c.order && !joinedOutside) inner.limit = c.limit + (c.offset ?? 0);
    if (inner.variables.length === 0) inner.variables = [new sparqljs.Wildcard()];
    return inner;
  }
  const select = query as S.SelectQuery;
  const aggregation = !ctx.joinedOutside && ctx.aggregation(select);
  if (aggregation) {
    // Each source groups by the same keys (an aliased key by its expression) and sends partial aggregates.
    if (aggregation.keys.length > 0) {
      inner.group = aggregation.keys.map((k) => (k.alias ? { expression: k.expression, variable: variable(k.alias) } : { expression: variable(k.name) }));
    }
    inner.variables = [...aggregation.keys.map((k) => variable(k.alias ?? k.name)), ...aggregation.parts];
    return inner;
  }
  const vars = scope.filter((v) => needed.has(v) || joinedOutside);
  inner.variables = (vars.length > 0 ? vars : scope).map((v) => variable(v));
  if (inner.variables.length === 0) inner.variables = [new sparqljs.Wildcard()];
  const grouped = select.group !== undefined || hasAggregate(select);
  if (!grouped && (select.distinct || select.reduced)) inner.distinct = true;
  if (!grouped && select.limit !== undefined && !joinedOutside) {
    if (select.order) inner.order = clone(select.order);
    inner.limit = select.limit + (select.offset ?? 0);
  }
  return inner;
}

/** The outer query over the per-source blocks: the user's own modifiers, aggregates recombined. */
function outerQuery(ctx: Context, query: S.Query, blocks: S.Pattern[]): S.Query {
  const union = unionOf(blocks);
  const outer = { ...clone(query), where: [union] } as S.Query;
  if (outer.queryType === 'SELECT') {
    const select = outer as S.SelectQuery;
    const aggregation = ctx.aggregation(query as S.SelectQuery);
    if (aggregation && !ctx.joinedOutside) {
      select.variables = aggregation.outerProjection;
      const outerKeys = aggregation.keys.filter((k) => !k.extra);
      select.group = outerKeys.length > 0 ? outerKeys.map((k) => ({ expression: variable(k.alias ?? k.name) })) : undefined;
      if (select.having) select.having = select.having.map(aggregation.recombine);
      if (select.order) select.order = select.order.map((o) => ({ ...o, expression: aggregation.recombine(o.expression) }));
    }
  }
  return outer;
}

/** A GROUP BY key of the partial aggregation; `extra` keys are grouped by at the sources only. */
type Key = { name: string; alias?: string; expression: S.Expression; extra?: boolean };
type Aggregation = {
  keys: Key[];
  parts: S.VariableExpression[];
  outerProjection: S.Variable[];
  recombine: (e: S.Expression) => S.Expression;
};

/**
 * Partial aggregation: each source groups and counts (sums, takes min/max) its own rows and the outer query
 * combines the partial results, so sources send a few rows instead of all of them. COUNT(DISTINCT) only when its
 * variable is pinned to one source's own IRIs (distinct sets do not overlap across sources).
 */
function pushableAggregation(ctx: Context, q: S.SelectQuery): Aggregation | undefined {
  if (q.queryType !== 'SELECT' || (!q.group && !hasAggregate(q))) return undefined;
  const keys: Key[] = [];
  for (const g of q.group ?? []) {
    if (isVariable(g.expression as S.Term)) keys.push({ name: (g.expression as S.VariableTerm).value, expression: g.expression });
    else if (g.variable) keys.push({ name: g.variable.value, alias: g.variable.value, expression: g.expression });
    else return undefined;
  }
  const parts: S.VariableExpression[] = [];
  const combined = new Map<string, S.Expression>();
  let ok = true;
  const anchored = anchoredVariables(ctx, q);
  // DISTINCT aggregates over one variable shared by sources: the sources also group by that variable, so the outer
  // query sees each (group, value) once per source and applies the DISTINCT aggregate itself.
  const distinctTargets = new Set<string>();
  const collect = (e: unknown): void => {
    if (Array.isArray(e)) return e.forEach(collect);
    const x = e as S.AggregateExpression & { args?: unknown[] };
    if (!x || typeof x !== 'object') return;
    if (x.type === 'aggregate') {
      if (!x.distinct) return;
      const target = x.expression as S.Term;
      distinctTargets.add(isVariable(target) ? (anchored.has(target.value) ? '' : target.value) : '*');
      return;
    }
    if (x.args) x.args.forEach(collect);
  };
  collect([(q.variables as S.Variable[]).map((v) => ('expression' in v ? v.expression : undefined)), q.having, (q.order ?? []).map((o) => o.expression)]);
  distinctTargets.delete('');
  if (distinctTargets.has('*') || distinctTargets.size > 1) return undefined;
  const extraKey = [...distinctTargets][0];
  if (extraKey !== undefined && !keys.some((k) => k.name === extraKey)) keys.push({ name: extraKey, expression: variable(extraKey), extra: true });
  const part = (aggregation: string, expression: S.Expression | S.Wildcard, distinct: boolean): S.VariableTerm => {
    const key = JSON.stringify([aggregation, distinct, expression]);
    const existing = parts.find((p) => JSON.stringify([(p.expression as S.AggregateExpression).aggregation, (p.expression as S.AggregateExpression).distinct, (p.expression as S.AggregateExpression).expression]) === key);
    if (existing) return existing.variable;
    const v = variable(`_bg_a${ctx.fresh()}`);
    parts.push({ expression: { type: 'aggregate', aggregation, distinct, expression } as S.AggregateExpression, variable: v });
    return v;
  };
  const agg = (a: string, e: S.Expression, distinct = false): S.AggregateExpression => ({ type: 'aggregate', aggregation: a, distinct, expression: e });
  const recombine = (e: S.Expression): S.Expression => {
    if (Array.isArray(e)) return e.map(recombine);
    const x = e as S.AggregateExpression;
    if (x.type === 'aggregate') {
      const key = JSON.stringify(x);
      const done = combined.get(key);
      if (done) return done;
      const name = x.aggregation.toLowerCase();
      let out: S.Expression;
      const target = x.expression as S.Term;
      if (x.distinct && extraKey !== undefined && isVariable(target) && target.value === extraKey) {
        // Evaluated by the outer query over the (group, value) rows.
        out = e;
      } else if (name === 'count') {
        if (x.distinct && !(isVariable(target) && anchored.has(target.value))) {
          ok = false;
          return e;
        }
        out = agg('sum', part('count', x.expression, Boolean(x.distinct)));
      } else if (name === 'sum' || name === 'min' || name === 'max' || name === 'sample') {
        if (x.distinct && name === 'sum') {
          ok = false;
          return e;
        }
        out = agg(name === 'sample' ? 'sample' : name, part(name, x.expression, false));
      } else if (name === 'avg' && !x.distinct) {
        out = {
          type: 'operation',
          operator: '/',
          args: [agg('sum', part('sum', x.expression, false)), agg('sum', part('count', x.expression, false))],
        };
      } else {
        ok = false;
        return e;
      }
      combined.set(key, out);
      return out;
    }
    const call = e as S.OperationExpression;
    if (call.type === 'operation' || (call as unknown as S.FunctionCallExpression).type === 'functionCall') {
      return { ...call, args: call.args.map((a) => recombine(a as S.Expression)) } as S.Expression;
    }
    return e;
  };
  const outerProjection: S.Variable[] = (q.variables as S.Variable[]).map((v) =>
    'expression' in v ? { expression: recombine(v.expression), variable: v.variable } : v,
  );
  for (const h of q.having ?? []) recombine(h);
  for (const o of q.order ?? []) recombine(o.expression);
  if (!ok) return undefined;
  // Projected plain variables must be group keys (SPARQL requires it; the outer query checks it again).
  return { keys, parts, outerProjection, recombine };
}

// Variables whose every value is one source's own IRI somewhere in the mandatory part of the query.
function anchoredVariables(ctx: Context, q: S.Query): Set<string> {
  const out = new Set<string>();
  const infos = mandatoryTriples(q.where ?? []).map((t) => ctx.analyzer.info(t));
  for (const [v, ps] of ctx.analyzer.positions(infos)) if (ps.some((p) => p.anchoring)) out.add(v);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Decomposed plans: each BGP becomes a join of per-group source unions and local ontology answers; Comunica
// evaluates everything around them (OPTIONAL, UNION, FILTER, aggregates) over the combined answers.

function planDecomposed(ctx: Context, query: S.Query, reason: string): { query: S.Query; mode: 'decomposed' } {
  ctx.notes.push(`decomposed: ${reason}`);
  const provenanceParts: string[] = [];
  let depth = 0;
  const rewrite = (patterns: Where): Where =>
    patterns.map((p): S.Pattern => {
      switch (p.type) {
        case 'bgp':
          return rewriteBgp(ctx, p.triples, provenanceParts, patterns, depth === 0 && ctx.setSemantics);
        case 'group':
        case 'optional':
        case 'minus':
        case 'union':
          return { ...p, patterns: rewrite(p.patterns) };
        case 'graph':
          return rewriteGraph(ctx, p, provenanceParts);
        case 'filter':
          return { ...p, expression: rewriteExpression(p.expression, rewrite) };
        case 'bind':
          return { ...p, expression: rewriteExpression(p.expression, rewrite) };
        case 'query': {
          // A subquery whose modifiers can run per source (anchored DISTINCT or GROUP BY) goes whole to each source.
          const sub = planPerSource(new Context(ctx.analyzer, ctx.opts, p, ctx), p);
          if (typeof sub !== 'string') return sub.query as S.SelectQuery;
          depth++;
          const where = rewrite(p.where ?? []);
          depth--;
          return { ...p, where };
        }
        default:
          return p;
      }
    });
  const out = clone(query);
  out.where = rewrite(out.where ?? []);
  for (const standard of ctx.provenance) {
    const parts = provenanceParts.map((k) => variable(`_bg_${standard.slice(1)}${k}`));
    if (parts.length === 0) continue;
    // Names joined by " + " in pattern order, each once; parts of groups that did not match (OPTIONAL) are left out.
    const op = (operator: string, ...args: S.Expression[]): S.Expression => ({ type: 'operation', operator, args });
    const text = (v: S.VariableTerm) => op('coalesce', op('str', v), literal(''));
    const pieces = parts.map((v, i) =>
      i === 0
        ? text(v)
        : op('if', op('||', op('=', text(v), literal('')), op('in', text(v), parts.slice(0, i).map(text) as unknown as S.Expression)), literal(''), op('concat', literal(' + '), text(v))),
    );
    const joined: S.Expression = parts.length === 1 ? parts[0]! : op('replace', op('concat', ...pieces), literal('^ \\+ '), literal(''));
    out.where.push(bind(joined, standard));
  }
  return { query: out, mode: 'decomposed' };
}

function rewriteExpression(e: S.Expression, rewrite: (p: Where) => Where): S.Expression {
  if (Array.isArray(e)) return e.map((x) => rewriteExpression(x, rewrite));
  const x = e as S.OperationExpression;
  if (x.type === 'operation' && (x.operator === 'exists' || x.operator === 'notexists')) {
    return { ...x, args: x.args.map((a) => ({ type: 'group', patterns: rewrite([a as S.Pattern]) }) as S.Pattern) };
  }
  if (x.type === 'operation' || (x as unknown as S.FunctionCallExpression).type === 'functionCall') {
    return { ...x, args: x.args.map((a) => rewriteExpression(a as S.Expression, rewrite)) } as S.Expression;
  }
  return e;
}

// A GRAPH block goes whole to each source that can match it (a record graph lives in one archive); the ontology
// graph is answered locally.
function rewriteGraph(ctx: Context, p: S.GraphPattern, provenanceParts: string[]): S.Pattern {
  if (p.name.termType === 'NamedNode' && p.name.value === ONTOLOGY_GRAPH && p.patterns.every((x) => x.type === 'bgp')) {
    return ontologyPattern(ctx, p.patterns.flatMap((x) => (x as S.BgpPattern).triples), []).pattern;
  }
  const infos = collectTriples(p.patterns).map((t) => ctx.analyzer.info(t));
  const relevant = new Set(infos.flatMap((i) => [...i.relevant]));
  const k = String(ctx.fresh());
  provenanceParts.push(k);
  const members = [...relevant].sort().map((name) => {
    const inner: S.SelectQuery = {
      type: 'query',
      queryType: 'SELECT',
      prefixes: {},
      variables: [new sparqljs.Wildcard()],
      where: [p, ...ctx.marks(name, provenanceNames(k))],
    };
    return { type: 'group', patterns: [ctx.service(name, inner)] } as S.Pattern;
  });
  return unionOf(members);
}

/**
 * Ontology patterns as a VALUES block of local answers; when they match too much, as a subquery to one source that
 * holds the ontology.
 */
function ontologyPattern(ctx: Context, triples: S.Triple[], siblings: Where): { pattern: S.Pattern; rows?: { vars: string[]; rows: Row[] } } {
  const local = ctx.ontologyRows(triples, siblings);
  if (local.complete) return { pattern: valuesPattern(local.vars, local.rows), rows: local };
  const holder = ctx.analyzer.sources.find((s) => s.ontology);
  if (!holder) throw new PlanError(`the ontology patterns of the query match more than ${MAX_ONTOLOGY_ROWS} rows; make them more specific`);
  const inner: S.SelectQuery = {
    type: 'query',
    queryType: 'SELECT',
    prefixes: {},
    variables: local.vars.map((v) => variable(v)),
    where: [{ type: 'graph', name: namedNode(ONTOLOGY_GRAPH), patterns: [{ type: 'bgp', triples }] }, ...ctx.marks(holder.name, provenanceNames('o'))],
  };
  ctx.notes.push(`ontology patterns sent to ${holder.name}: they match more than ${MAX_ONTOLOGY_ROWS} rows`);
  return { pattern: ctx.service(holder.name, inner) };
}

function rewriteBgp(ctx: Context, triples: S.Triple[], provenanceParts: string[], siblings: Where, distinct: boolean): S.Pattern {
  const a = ctx.analyzer;
  const infos = triples.map((t) => a.info(t));
  const acting = new Map<TripleInfo, 'data' | 'onto' | 'both'>();
  for (const i of infos) if (i.kind === 'mixed') acting.set(i, a.acting(i, infos));
  const onto = infos.filter((i) => i.kind === 'onto' || acting.get(i) === 'onto');
  const data = infos.filter((i) => !onto.includes(i));
  const cross = a.crossSourceVariables(data);
  const out: S.Pattern[] = [];
  let ontoRows: { vars: string[]; rows: Row[] } | undefined;
  if (onto.length > 0) {
    const o = ontologyPattern(ctx, onto.map((i) => i.triple), siblings);
    ontoRows = o.rows;
    out.push(o.pattern);
  }
  for (const component of components(data, cross)) {
    const k = String(ctx.fresh());
    provenanceParts.push(k);
    const anchored = component.some((i) => i.kind === 'data' || acting.get(i) === 'data');
    const names = intersect(component.map((i) => i.relevant));
    const members: S.Pattern[] = [];
    const vars = [...new Set(component.flatMap((i) => tripleVariables(i.triple)))];
    for (const name of [...names].sort()) {
      const source = ctx.source(name);
      const body: S.Pattern[] = [];
      const plain: S.Triple[] = [];
      for (const i of component) {
        if (!anchored && (source.ontology || source.summary.ontologyTriples > 0)) {
          // The record part only: the ontology part is added once, from the local copy.
          const g = variable(`_bg_g${ctx.fresh()}`);
          body.push({ type: 'graph', name: g, patterns: [{ type: 'bgp', triples: [i.triple] }] });
          body.push({ type: 'filter', expression: { type: 'operation', operator: '!=', args: [g, namedNode(ONTOLOGY_GRAPH)] } });
        } else plain.push(i.triple);
      }
      if (plain.length > 0) body.unshift({ type: 'bgp', triples: plain });
      // Bind join: the local ontology answers restrict what the source has to send.
      if (ontoRows && ontoRows.rows.length <= ctx.maxValues) {
        const shared = ontoRows.vars.filter((v) => vars.includes(v));
        for (const v of shared) body.push(membership([v], distinctRows(ontoRows.rows, [v])));
      }
      const inner: S.SelectQuery = {
        type: 'query',
        queryType: 'SELECT',
        prefixes: {},
        variables: vars.length > 0 ? vars.map((v) => variable(v)) : [new sparqljs.Wildcard()],
        where: [...body, ...ctx.marks(name, provenanceNames(k))],
      };
      // Under set semantics a group sends only the distinct values of the variables used outside it.
      const own = countVariables(component.map((i) => i.triple));
      const needed = distinct ? vars.filter((v) => (ctx.occurrences.get(v) ?? 0) > (own.get(v) ?? 0)) : vars;
      if (distinct && needed.length < vars.length) {
        inner.distinct = true;
        if (needed.length === 0) inner.limit = 1;
      }
      const projected = needed.length > 0 ? needed : vars.slice(0, 1);
      if (vars.length > 0) inner.variables = [...projected, ...[...ctx.provenance].map((p) => `_bg_${p.slice(1)}${k}`)].map((v) => variable(v));
      members.push({ type: 'group', patterns: [ctx.service(name, inner)] });
    }
    if (!anchored) members.push(ontologyPattern(ctx, component.map((i) => i.triple), siblings).pattern);
    out.push(unionOf(members));
  }
  return { type: 'group', patterns: out };
}

function provenanceNames(k: string): Record<string, string> {
  return { source: `_bg_source${k}`, license: `_bg_license${k}`, citation: `_bg_citation${k}` };
}

function unionOf(members: S.Pattern[]): S.Pattern {
  if (members.length === 0) return NO_SOLUTION;
  if (members.length === 1) return members[0]!;
  return { type: 'union', patterns: members };
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers over the sparqljs AST.

function counter(): () => number {
  let n = 0;
  return () => n++;
}

function isWildcard(v: unknown): boolean {
  return Array.isArray(v) && v.length === 1 && (v[0] as { termType?: string }).termType === 'Wildcard';
}

function bind(expression: S.Expression, name: string): S.BindPattern {
  return { type: 'bind', expression, variable: variable(name) };
}

const NO_SOLUTION: S.Pattern = { type: 'group', patterns: [{ type: 'filter', expression: literal('false', namedNode('http://www.w3.org/2001/XMLSchema#boolean')) }] };

function valuesPattern(vars: string[], rows: Row[]): S.Pattern {
  if (rows.length === 0) return NO_SOLUTION;
  return { type: 'values', values: rows.map((r) => Object.fromEntries(vars.filter((v) => r[`?${v}`]).map((v) => [`?${v}`, r[`?${v}`]!]))) };
}

function distinctRows(rows: Row[], vars: string[]): Row[] {
  const seen = new Set<string>();
  const out: Row[] = [];
  for (const r of rows) {
    const k = vars.map((v) => keyOf(r[`?${v}`])).join(' ');
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(Object.fromEntries(vars.map((v) => [`?${v}`, r[`?${v}`]!])));
  }
  return out;
}

function keyOf(t: S.Term | undefined): string {
  return t === undefined ? '' : termKey(t as S.IriTerm);
}

function fromJson(t: { type: string; value: string; datatype?: string; 'xml:lang'?: string }): S.IriTerm | S.LiteralTerm | S.BlankTerm {
  if (t.type === 'uri') return namedNode(t.value);
  if (t.type === 'bnode') return DataFactory.blankNode(t.value);
  return literal(t.value, t['xml:lang'] || (t.datatype ? namedNode(t.datatype) : undefined));
}

function intersect(sets: Set<string>[]): Set<string> {
  if (sets.length === 0) return new Set();
  return new Set([...sets[0]!].filter((x) => sets.every((s) => s.has(x))));
}

/** Groups triples connected through variables other than `cut` (and through equal constants). */
function components(infos: TripleInfo[], cut: Set<string>): TripleInfo[][] {
  const parent = infos.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)));
  const owner = new Map<string, number>();
  infos.forEach((info, i) => {
    const t = info.triple;
    for (const term of [t.subject, t.object] as S.Term[]) {
      if (!isVariable(term) || cut.has(term.value)) continue;
      const key = `?${term.value}`;
      const j = owner.get(key);
      if (j === undefined) owner.set(key, i);
      else parent[find(i)] = find(j);
    }
    if (isVariable(t.predicate as S.Term) && !cut.has((t.predicate as S.VariableTerm).value)) {
      const key = `?${(t.predicate as S.VariableTerm).value}`;
      const j = owner.get(key);
      if (j === undefined) owner.set(key, i);
      else parent[find(i)] = find(j);
    }
  });
  const groups = new Map<number, TripleInfo[]>();
  infos.forEach((info, i) => {
    const r = find(i);
    const g = groups.get(r);
    if (g) g.push(info);
    else groups.set(r, [info]);
  });
  return [...groups.values()];
}

/** The branches when the WHERE clause is one UNION (filters aside), else undefined. */
function topUnion(where: Where): Where[] | undefined {
  const rest = where.filter((p) => p.type !== 'filter');
  if (rest.length !== 1 || rest[0]!.type !== 'union') return undefined;
  const filters = where.filter((p) => p.type === 'filter');
  return (rest[0] as S.UnionPattern).patterns.map((b) => [b, ...filters]);
}

/** Triples every solution must match: BGPs of the group and its nested plain groups and GRAPH blocks. */
function mandatoryTriples(where: Where): S.Triple[] {
  return where.flatMap((p) => {
    if (p.type === 'bgp') return p.triples;
    if (p.type === 'group' || p.type === 'graph') return mandatoryTriples(p.patterns);
    if (p.type === 'query') return mandatoryTriples(p.where ?? []);
    return [];
  });
}

/** Every triple pattern, at any depth (FILTER EXISTS included, subqueries included). */
function collectTriples(where: Where): S.Triple[] {
  const out: S.Triple[] = [];
  visitPatterns(where, (p) => {
    if (p.type === 'bgp') out.push(...p.triples);
  });
  return out;
}

function visitPatterns(where: Where, visit: (p: S.Pattern) => void): void {
  const expr = (e: unknown): void => {
    if (Array.isArray(e)) return e.forEach(expr);
    const x = e as S.OperationExpression;
    if (x && typeof x === 'object' && (x.type === 'operation' || (x as unknown as S.FunctionCallExpression).type === 'functionCall')) {
      for (const a of x.args) {
        if (a && typeof a === 'object' && 'type' in a && ['bgp', 'group', 'union', 'optional', 'minus', 'graph', 'filter', 'values', 'bind', 'query'].includes((a as S.Pattern).type)) {
          visitPatterns([a as S.Pattern], visit);
        } else expr(a);
      }
    }
  };
  for (const p of where) {
    visit(p);
    if ('patterns' in p && Array.isArray(p.patterns)) visitPatterns(p.patterns, visit);
    if (p.type === 'query') visitPatterns(p.where ?? [], visit);
    if (p.type === 'filter' || p.type === 'bind') expr(p.expression);
  }
}

function mapBgps(where: Where, f: (triples: S.Triple[]) => S.Pattern): Where {
  return where.map((p): S.Pattern => {
    if (p.type === 'bgp') return f(p.triples);
    if (p.type === 'query') return { ...p, where: mapBgps(p.where ?? [], f) };
    if (p.type === 'filter' || p.type === 'bind') return { ...p, expression: mapExpressionPatterns(p.expression, (ps) => mapBgps(ps, f)) } as S.Pattern;
    if ('patterns' in p) return { ...p, patterns: mapBgps(p.patterns, f) } as S.Pattern;
    return p;
  });
}

function mapExpressionPatterns(e: S.Expression, f: (p: Where) => Where): S.Expression {
  if (Array.isArray(e)) return e.map((x) => mapExpressionPatterns(x, f));
  const x = e as S.OperationExpression;
  if (x && typeof x === 'object' && x.type === 'operation') {
    if (x.operator === 'exists' || x.operator === 'notexists') return { ...x, args: x.args.map((a) => f([a as S.Pattern])[0]!) };
    return { ...x, args: x.args.map((a) => mapExpressionPatterns(a as S.Expression, f)) };
  }
  return e;
}

function tripleVariables(t: S.Triple): string[] {
  const out: string[] = [];
  for (const term of [t.subject, t.object] as S.Term[]) if (isVariable(term)) out.push(term.value);
  if (isVariable(t.predicate as S.Term)) out.push((t.predicate as S.VariableTerm).value);
  else if ((t.predicate as S.PropertyPath).type === 'path') {
    // Paths never bind variables inside.
  }
  return out;
}

/** Variables a group binds (what SELECT * returns), in order of first appearance. */
function inScope(where: Where): string[] {
  const out: string[] = [];
  const add = (v: string) => {
    if (!out.includes(v)) out.push(v);
  };
  for (const p of where) {
    switch (p.type) {
      case 'bgp':
        for (const t of p.triples) tripleVariables(t).forEach(add);
        break;
      case 'group':
      case 'optional':
      case 'union':
        inScope(p.patterns).forEach(add);
        break;
      case 'graph':
        if (isVariable(p.name)) add(p.name.value);
        inScope(p.patterns).forEach(add);
        break;
      case 'bind':
        add(p.variable.value);
        break;
      case 'values':
        for (const row of p.values) for (const k of Object.keys(row)) add(k.slice(1));
        break;
      case 'query':
        if (isWildcard(p.variables)) inScope(p.where ?? []).forEach(add);
        else for (const v of p.variables as S.Variable[]) add('expression' in v ? v.variable.value : v.value);
        break;
      case 'service':
        inScope(p.patterns).forEach(add);
        break;
      default:
        break;
    }
  }
  return out;
}

/** How often each variable occurs in an AST (terms, expressions, VALUES rows). */
function countVariables(x: unknown): Map<string, number> {
  const out = new Map<string, number>();
  const add = (v: string) => out.set(v, (out.get(v) ?? 0) + 1);
  const walk = (y: unknown): void => {
    if (Array.isArray(y)) return y.forEach(walk);
    if (!y || typeof y !== 'object') return;
    const t = y as { termType?: string; value?: string; type?: string; values?: Record<string, unknown>[] };
    if (t.termType === 'Variable') {
      add(t.value!);
      return;
    }
    if (t.termType) return;
    if (t.type === 'values' && Array.isArray(t.values)) for (const row of t.values) for (const k of Object.keys(row)) add(k.slice(1));
    for (const v of Object.values(y)) walk(v);
  };
  walk(x);
  return out;
}

/** Whether a SELECT aggregates (an aggregate in its projection, HAVING or ORDER BY). */
function hasAggregate(q: S.SelectQuery): boolean {
  return JSON.stringify([q.variables, q.having, q.order]).includes('"type":"aggregate"');
}

function projectedNames(q: S.SelectQuery): string[] {
  return (q.variables as S.Variable[]).map((v) => ('expression' in v ? v.variable.value : v.value));
}

function expressionVariables(e: unknown): string[] {
  const out: string[] = [];
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) return x.forEach(walk);
    if (!x || typeof x !== 'object') return;
    const t = x as { termType?: string; value?: string };
    if (t.termType === 'Variable') {
      out.push(t.value!);
      return;
    }
    if (t.termType) return;
    for (const v of Object.values(x)) walk(v);
  };
  walk(e);
  return out;
}

/** Every variable a query mentions; `modifiersOnly` skips the WHERE clause (projection, grouping, order, template). */
function allVariables(q: S.Query, modifiersOnly = false): string[] {
  const parts: unknown[] = [];
  if (q.queryType === 'SELECT') {
    const s = q as S.SelectQuery;
    parts.push(isWildcard(s.variables) ? [] : s.variables, s.group, s.having, s.order);
  }
  if (q.queryType === 'CONSTRUCT') parts.push((q as S.ConstructQuery).template, (q as unknown as S.SelectQuery).order);
  if (q.queryType === 'DESCRIBE') parts.push((q as S.DescribeQuery).variables);
  if (!modifiersOnly) parts.push(q.where);
  return [...new Set(expressionVariables(parts))];
}

/** A deep copy of an AST; RDF/JS terms are rebuilt as n3 terms. */
function clone<T>(x: T): T {
  if (Array.isArray(x)) return x.map(clone) as T;
  if (!x || typeof x !== 'object') return x;
  const t = x as unknown as { termType: string; value: string };
  switch (t.termType) {
    case 'NamedNode':
      return namedNode(t.value) as T;
    case 'Variable':
      return variable(t.value) as T;
    case 'BlankNode':
      return DataFactory.blankNode(t.value) as T;
    case 'Literal': {
      const l = t as unknown as S.LiteralTerm;
      return literal(l.value, l.language || namedNode(l.datatype.value)) as T;
    }
    case 'Wildcard':
      return new sparqljs.Wildcard() as T;
    default:
      break;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(x)) out[k] = clone(v);
  return out as T;
}
