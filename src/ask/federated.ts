// The executor over the federation (src/federate/): the query runs where the data lives, with the federation's
// per-row provenance variable ?_source asked for where it does not change the answer, and source failures passed
// on as warnings.
import sparqljs from 'sparqljs';
import type { SelectQuery } from 'sparqljs';
import type { Federation } from '../federate/federation.ts';
import { PROVENANCE_VARIABLES } from '../federate/plan.ts';
import { prefixes } from '../namespaces.ts';
import { QueryError } from '../store/store.ts';
import { rowArchives } from './executor.ts';
import type { ExecuteResult, Executor, Row, RowTerm, SourceInfo } from './types.ts';

const SOURCE = PROVENANCE_VARIABLES.source;

/** An executor over a federation (only `query` and `config` are used). */
export function federatedExecutor(federation: Pick<Federation, 'query' | 'config'>): { execute: Executor; sources: SourceInfo[] } {
  const sources: SourceInfo[] = federation.config.sources.filter((s) => s.enabled).map((s) => ({ name: s.name, title: s.name }));
  const known = new Set(sources.map((s) => s.name));
  const execute: Executor = async (sparql, opts) => {
    const { text, added } = withSourceVariable(sparql);
    const signal = AbortSignal.any([AbortSignal.timeout(opts.timeoutMs), ...(opts.signal ? [opts.signal] : [])]);
    let result: Awaited<ReturnType<Federation['query']>>;
    try {
      result = await federation.query(text, { signal });
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'PlanError' || name === 'FederationTimeoutError' || name === 'ResultTooLargeError' || name === 'TimeoutError' || name === 'AbortError') {
        throw new QueryError((error as Error).message, { cause: error });
      }
      throw error;
    }
    const rows: Row[] = result.bindings.map((b) => {
      const row: Row = {};
      for (const [k, t] of Object.entries(b)) if (!(added && k === SOURCE)) row[k] = toTerm(t);
      return row;
    });
    const rowSources = result.bindings.map((b, i) => {
      const s = b[SOURCE]?.value;
      return s !== undefined && known.has(s) ? [s] : rowArchives([rows[i]!], () => undefined, known)[0]!;
    });
    const out: ExecuteResult = {
      vars: result.variables.filter((v) => !(added && v === SOURCE)),
      rows,
      sources: result.sources.filter((s) => s.status === 'answered').map((s) => s.name),
      rowSources,
      warnings: result.warnings.map((w) => `source ${w.source}: ${w.message}`),
    };
    if (result.boolean !== undefined) out.boolean = result.boolean;
    return out;
  };
  return { execute, sources };
}

/** Adds ?_source to a plain SELECT (no grouping, aggregates, DISTINCT or wildcard), where it cannot change the rows. */
export function withSourceVariable(sparql: string): { text: string; added: boolean } {
  let q: SelectQuery;
  try {
    const parsed = new sparqljs.Parser({ prefixes: { ...prefixes } }).parse(sparql);
    if (parsed.type !== 'query' || parsed.queryType !== 'SELECT') return { text: sparql, added: false };
    q = parsed;
  } catch {
    // The federation reports the syntax error itself, with its position.
    return { text: sparql, added: false };
  }
  const vars = q.variables as { termType?: string; value?: string; expression?: unknown }[];
  const plain = vars.every((v) => v.termType === 'Variable');
  if (!plain || q.group !== undefined || q.distinct || vars.some((v) => v.value === SOURCE)) return { text: sparql, added: false };
  const projection = /^(\s*(?:(?:PREFIX|BASE)\s[^\n]*\n|#[^\n]*\n|\s)*SELECT\s+(?:REDUCED\s+)?)((?:\?\w+\s*)+)(WHERE\s*\{)/i.exec(sparql);
  if (projection === null) return { text: sparql, added: false };
  return { text: sparql.replace(projection[0], `${projection[1]}${projection[2]}?${SOURCE} ${projection[3]}`), added: true };
}

function toTerm(t: { type: string; value: string; datatype?: string; 'xml:lang'?: string }): RowTerm {
  if (t.type === 'uri') return { type: 'uri', value: t.value };
  if (t.type === 'bnode') return { type: 'bnode', value: t.value };
  const out: RowTerm = { type: 'literal', value: t.value };
  if (t.datatype !== undefined) out.datatype = t.datatype;
  if (t['xml:lang'] !== undefined) out['xml:lang'] = t['xml:lang'];
  return out;
}
