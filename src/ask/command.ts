// `benchgraph ask [--data DIR] [--federation FILE] [--json] [--translator offline|llm|hybrid] [--limit N]
//  [--export csv|jsonld|rocrate --out PATH] "question"`: answers over every archive of the data directory, or over
// the sources of a federation file.
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.ts';
import { answerToCsv, answerToJsonLd, dataFilesOf, type ExportFormat, EXPORT_FORMATS, writeRoCrate } from './export.ts';
import { knownLabel } from './link.ts';
import { LlmConfigError } from './llm.ts';
import { FederationConfigError } from '../federate/config.ts';
import { federationFor } from '../serve/federation-route.ts';
import { federatingHandler } from '../federate/command.ts';
import type { Handler } from '../serve/handler.ts';
import { federatedExecutor } from './federated.ts';
import { type OpenAskOptions, openAsk } from './setup.ts';
import type { Answer } from './types.ts';

type Out = { stdout: (s: string) => void; stderr: (s: string) => void };
const defaultOut: Out = { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) };

export const ASK_USAGE = `usage: benchgraph ask [--data DIR] [--federation FILE] [--json] [--translator offline|llm|hybrid]
                     [--limit N] [--export csv|jsonld|rocrate --out PATH] "question"

Answers a question in plain language over every archive in DIR (default ./data), or with --federation over the
sources of a federation file (remote archives and SPARQL endpoints included): the SPARQL it ran, what the query
asks, the terms it recognised, and the rows with the archive and licence of each. Offline by default; with
BENCHGRAPH_LLM_BASE_URL and BENCHGRAPH_LLM_MODEL set, questions the offline translator is unsure of go to that
model (any OpenAI-compatible server). --export writes the answer as CSV, JSON-LD or an RO-Crate directory.
Exit codes: 0 answered (or no data), 1 refused or failed, 2 usage.
`;

/** Runs `benchgraph ask`; returns the exit code. */
export async function runAskCommand(argv: string[], out: Out = defaultOut, opts: Pick<OpenAskOptions, 'model' | 'env' | 'executor'> = {}): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    out.stderr(`benchgraph ask: ${(error as Error).message}\n\n${ASK_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    out.stdout(ASK_USAGE);
    return 0;
  }
  const usage = (message: string) => {
    out.stderr(`benchgraph ask: ${message}\n\n${ASK_USAGE}`);
    return 2;
  };
  if (positionals.length !== 1) return usage('give the question as one argument, in quotes');
  const format = values.export as ExportFormat | undefined;
  if (format !== undefined && !EXPORT_FORMATS.includes(format)) return usage(`--export must be one of ${EXPORT_FORMATS.join(', ')}`);
  if (format !== undefined && values.out === undefined) return usage('--export needs --out PATH (a file for csv and jsonld, a directory for rocrate)');
  const mode = values.translator as OpenAskOptions['mode'];
  if (mode !== undefined && !['offline', 'llm', 'hybrid'].includes(mode)) return usage('--translator must be offline, llm or hybrid');
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) return usage('--limit must be a positive integer');

  let asker: Awaited<ReturnType<typeof openAsk>>;
  let handler: Handler | undefined;
  try {
    const config = loadConfig(values);
    let executor = opts.executor;
    if (values.federation !== undefined && executor === undefined) {
      // The federation as `benchgraph serve --federation FILE` runs it: archives of DIR in-process, the rest over HTTP.
      handler = await federatingHandler(config, values.federation, (m) => out.stderr(`benchgraph ask: ${m}\n`));
      executor = federatedExecutor(await federationFor(handler.context));
    }
    asker = await openAsk(config, { ...opts, ...(executor ? { executor } : {}), ...(mode !== undefined ? { mode } : {}), ...(limit !== undefined ? { limit } : {}) });
  } catch (error) {
    await handler?.close(0);
    if (error instanceof ConfigError || error instanceof LlmConfigError || error instanceof FederationConfigError) return usage(error.message);
    throw error;
  }
  try {
    return await answer(asker, positionals[0]!, values, format, out);
  } finally {
    await handler?.close(0);
  }
}

async function answer(
  asker: Awaited<ReturnType<typeof openAsk>>,
  question: string,
  values: ReturnType<typeof parse>['values'],
  format: ExportFormat | undefined,
  out: Out,
): Promise<number> {
  if (asker.deps.sources.length === 0) {
    out.stderr(`benchgraph ask: no archives in ${loadConfig(values).dataDir}; ingest some first (benchgraph ingest --archive NAME FILES)\n`);
    return 1;
  }
  const answer = await asker.ask(question);
  if (format !== undefined) {
    const path = values.out!;
    if (format === 'csv') await writeFile(path, answerToCsv(answer));
    else if (format === 'jsonld') await writeFile(path, `${JSON.stringify(answerToJsonLd(answer), null, 2)}\n`);
    else {
      const files = await dataFilesOf(answer, asker.deps.execute, { timeoutMs: asker.deps.timeoutMs });
      await writeRoCrate(answer, path, { files, label: (iri) => knownLabel(asker.deps, iri) });
    }
    if (!values.json) out.stderr(`wrote ${format === 'rocrate' ? 'RO-Crate directory' : format.toUpperCase()} ${path}\n`);
  }
  if (values.json) out.stdout(`${JSON.stringify(answer, null, 2)}\n`);
  else out.stdout(formatAnswer(answer));
  return answer.status === 'answered' || answer.status === 'no-data' ? 0 : 1;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      data: { type: 'string' },
      base: { type: 'string' },
      federation: { type: 'string' },
      json: { type: 'boolean' },
      export: { type: 'string' },
      out: { type: 'string' },
      translator: { type: 'string' },
      limit: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

const SHOWN_ROWS = 25;

/** The answer for people: what was found, how, from where, under which licence. */
export function formatAnswer(a: Answer): string {
  const lines: string[] = [a.message, ''];
  if (a.explanation !== '' && a.explanation !== a.message) lines.push(`What was asked: ${a.explanation}`);
  if (a.resolved.length > 0) lines.push(`Recognised: ${a.resolved.map((r) => `"${r.phrase}" = ${r.label}${r.iris.length > 0 ? ` (${r.iris.map(short).join(', ')})` : ''}`).join('; ')}`);
  if (a.unresolved.length > 0) lines.push(`Not recognised: ${a.unresolved.map((u) => `"${u.phrase}"`).join(', ')}`);
  lines.push(`Translator: ${a.translator}, confidence ${a.confidence}${a.template !== undefined ? `, template ${a.template}` : ''}${a.tokens !== undefined ? `, ${a.tokens.input}+${a.tokens.output} tokens` : ''}`);
  for (const w of a.warnings) lines.push(`Note: ${w}`);
  if (a.rows.length > 0) {
    lines.push('', table(a));
    if (a.rows.length > SHOWN_ROWS) lines.push(`… ${a.rows.length - SHOWN_ROWS} more rows (--json or --export for all)`);
  }
  if (a.studies.length > 0) {
    lines.push('', 'Credit:');
    for (const s of a.studies) {
      lines.push(`  ${s.title ?? s.iri} [${s.archive ?? '?'}] licence ${s.license?.replace(/^.*\//, '') ?? 'not stated'}${s.doi !== undefined ? `, ${s.doi.startsWith('http') ? s.doi : `https://doi.org/${s.doi}`}` : ''}`);
      if (s.citation !== undefined) lines.push(`    ${s.citation}`);
    }
  }
  if (a.sparql !== null) lines.push('', 'SPARQL:', a.sparql.trimEnd());
  lines.push('', `(${a.timings.totalMs} ms: link ${a.timings.linkMs}, translate ${a.timings.translateMs}, check ${a.timings.checkMs}, run ${a.timings.executeMs}, credit ${a.timings.creditMs})`);
  return `${lines.join('\n')}\n`;
}

function short(iri: string): string {
  return iri.replace(/^http:\/\/purl\.obolibrary\.org\/obo\/([A-Za-z]+)_/, '$1:').replace(/^https:\/\/w3id\.org\/benchgraph\/vocab#/, 'bg:');
}

function table(a: Answer): string {
  const header = [...a.vars, 'archive', 'licence'];
  const cell = (v: unknown) => {
    const s = v === null || v === undefined ? '' : String(v);
    const shortened = s.replace(/^https?:\/\/[^ ]*\/id\/[^/]+\//, '').replace(/^http:\/\/spdx\.org\/licenses\//, '');
    return shortened.length > 48 ? `${shortened.slice(0, 47)}…` : shortened;
  };
  const rows = a.rows.slice(0, SHOWN_ROWS).map((r) => [...a.vars.map((v) => cell(r.values[v])), cell(r.archive), cell(r.license)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [fmt(header), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt)].join('\n');
}
