// The ask pipeline as a LangChain tool, so agents can query the archives in plain language. The tool's result is
// JSON an agent can read: status, message, SPARQL, explanation, rows (capped) with archive and licence, credits.
import { DynamicStructuredTool, type ToolSchemaBase } from '@langchain/core/tools';
import type { Asker } from './ask.ts';

const MAX_TOOL_ROWS = 50;

/** A structured LangChain tool named `benchgraph_ask` over an ask pipeline. */
export function askTool(asker: Asker, opts: { maxRows?: number } = {}) {
  const maxRows = opts.maxRows ?? MAX_TOOL_ROWS;
  return new DynamicStructuredTool<ToolSchemaBase, { question: string }, { question: string }, string>({
    name: 'benchgraph_ask',
    description:
      'Answers a question about biology experiment metadata (subjects, imaging and recording sessions, methods, brain regions, ' +
      'timepoints after interventions, files, publication status, licences) over the benchgraph archives. Read-only. Returns JSON ' +
      'with the SPARQL it ran, what it understood, the rows with the archive and licence of each, and whom to credit.',
    schema: {
      type: 'object',
      properties: { question: { type: 'string', description: 'The question in plain language, e.g. "Which two-photon sessions recorded CA1?"' } },
      required: ['question'],
      additionalProperties: false,
    },
    func: async (input: { question: string }) => {
      const a = await asker.ask(input.question, { limit: Math.max(maxRows, 1) });
      return JSON.stringify({
        status: a.status,
        message: a.message,
        refusal: a.refusal,
        sparql: a.sparql,
        explanation: a.explanation,
        translator: a.translator,
        confidence: a.confidence,
        resolved: a.resolved.map((r) => ({ phrase: r.phrase, label: r.label, iris: r.iris })),
        unresolved: a.unresolved.map((u) => u.phrase),
        warnings: a.warnings,
        rows: a.rows.slice(0, maxRows).map((r) => ({ ...r.values, _archive: r.archive, _license: r.license })),
        truncated: a.truncated || a.rows.length > maxRows,
        credit: a.studies.map((s) => ({ study: s.title ?? s.iri, archive: s.archive, license: s.license, doi: s.doi, citation: s.citation })),
      });
    },
  });
}
