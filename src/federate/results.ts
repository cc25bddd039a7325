// Federated SELECT/ASK answers as SPARQL 1.1 result documents (JSON with a `federation` extension, XML, CSV, TSV),
// and the warnings as HTTP header values.
import type { JsonTerm, SourceWarning } from './client.ts';
import type { FederatedResult } from './federation.ts';

export const RESULT_TYPES = {
  json: 'application/sparql-results+json',
  xml: 'application/sparql-results+xml',
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
} as const;

/**
 * The `federation` member added to SPARQL JSON results (clients that do not know it ignore it): which sources
 * answered with how many rows, their licence and citation, and a warning per source that failed or was skipped.
 */
export function federationExtension(result: FederatedResult, explain = false) {
  return {
    mode: result.plan.mode,
    complete: result.warnings.length === 0,
    requests: result.stats.requests,
    sources: result.sources,
    warnings: result.warnings,
    ...(explain ? { plan: result.plan.query, notes: result.plan.notes } : {}),
  };
}

/** Serializes a SELECT or ASK answer in one of {@link RESULT_TYPES}. */
export function writeResults(result: FederatedResult, mediaType: string, opts: { explain?: boolean } = {}): string {
  switch (mediaType) {
    case RESULT_TYPES.xml:
      return xml(result);
    case RESULT_TYPES.csv:
      return csv(result);
    case RESULT_TYPES.tsv:
      return tsv(result);
    default: {
      const head = { vars: result.form === 'ASK' ? undefined : result.variables };
      const body = result.form === 'ASK' ? { boolean: result.boolean ?? false } : { results: { bindings: result.bindings } };
      return `${JSON.stringify({ head: head.vars ? head : {}, ...body, federation: federationExtension(result, opts.explain) })}\n`;
    }
  }
}

/**
 * One `benchgraph-warning` header value per warning: `source; kind=...; message="..."` (a structured-field-like
 * list, safe for HTTP: no line breaks, quotes escaped).
 */
export function warningHeaders(warnings: SourceWarning[]): string[] {
  return warnings.map((w) => `${w.source}; kind=${w.kind}; message="${w.message.replace(/[\r\n]+/g, ' ').replace(/["\\]/g, (c) => `\\${c}`).slice(0, 500)}"`);
}

function xml(result: FederatedResult): string {
  const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
  const lines = ['<?xml version="1.0"?>', '<sparql xmlns="http://www.w3.org/2005/sparql-results#">'];
  if (result.form === 'ASK') {
    lines.push('  <head/>', `  <boolean>${result.boolean ? 'true' : 'false'}</boolean>`, '</sparql>');
    return `${lines.join('\n')}\n`;
  }
  lines.push('  <head>', ...result.variables.map((v) => `    <variable name="${esc(v)}"/>`), '  </head>', '  <results>');
  for (const row of result.bindings) {
    lines.push('    <result>');
    for (const [name, t] of Object.entries(row)) {
      let value: string;
      if (t.type === 'uri') value = `<uri>${esc(t.value)}</uri>`;
      else if (t.type === 'bnode') value = `<bnode>${esc(t.value)}</bnode>`;
      else if (t['xml:lang']) value = `<literal xml:lang="${esc(t['xml:lang'])}">${esc(t.value)}</literal>`;
      else if (t.datatype) value = `<literal datatype="${esc(t.datatype)}">${esc(t.value)}</literal>`;
      else value = `<literal>${esc(t.value)}</literal>`;
      lines.push(`      <binding name="${esc(name)}">${value}</binding>`);
    }
    lines.push('    </result>');
  }
  lines.push('  </results>', '</sparql>');
  return `${lines.join('\n')}\n`;
}

function csv(result: FederatedResult): string {
  const cell = (t: JsonTerm | undefined) => {
    if (!t) return '';
    const v = t.type === 'bnode' ? `_:${t.value}` : t.value;
    return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
  };
  if (result.form === 'ASK') return `_askResult\r\n${result.boolean ? 'true' : 'false'}\r\n`;
  const rows = result.bindings.map((b) => result.variables.map((v) => cell(b[v])).join(','));
  return `${[result.variables.join(','), ...rows].join('\r\n')}\r\n`;
}

function tsv(result: FederatedResult): string {
  const term = (t: JsonTerm | undefined) => {
    if (!t) return '';
    if (t.type === 'uri') return `<${t.value}>`;
    if (t.type === 'bnode') return `_:${t.value}`;
    const lexical = `"${t.value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t')}"`;
    if (t['xml:lang']) return `${lexical}@${t['xml:lang']}`;
    return t.datatype ? `${lexical}^^<${t.datatype}>` : lexical;
  };
  if (result.form === 'ASK') return `?_askResult\n${result.boolean ? 'true' : 'false'}\n`;
  const rows = result.bindings.map((b) => result.variables.map((v) => term(b[v])).join('\t'));
  return `${[result.variables.map((v) => `?${v}`).join('\t'), ...rows].join('\n')}\n`;
}
