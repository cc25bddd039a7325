// Composition root: maps CLI verbs to the stages of the pipeline and prints for people (or JSON with --json).
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';
import type { Quad } from '@rdfjs/types';
import { Parser } from 'n3';
import { listArchives, openArchive } from './archive/archive.ts';
import { type Config, ConfigError, loadConfig } from './config.ts';
import { loadLicenses, loadMapping } from './ingest/mapping.ts';
import { type BatchValidator, type CheckedRecord, checkFiles, type Finding, formatFindings, type PipelineResult } from './ingest/pipeline.ts';
import { loadSchema } from './ingest/schema.ts';
import { loadArchiveStore, QueryError, queryStoreSerialized } from './store/store.ts';
import { loadTermIndex } from './terms/index.ts';
import { runSlimCommand } from './terms/slim.ts';
import { runGenerateCommand } from './generate.ts';
import { importDemoArchives, runImportCommand } from './import/command.ts';
import { runAskCommand } from './ask/command.ts';
import { runFederatedQuery } from './federate/command.ts';
import { FederationConfigError } from './federate/config.ts';
import { demoLabs, isFirstRun } from './demo.ts';
import { exportArchive } from './archive/export.ts';
import { fieldNamer, loadShapes, validateBatch } from './validate/validate.ts';

type Out = { stdout: (s: string) => void; stderr: (s: string) => void };
const defaultOut: Out = { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) };

const USAGE = `usage: benchgraph <command> [options]

  validate [--json] FILE|DIR...                     check bench records (exit 0 conforms, 1 violations, 2 unreadable)
  ingest --archive NAME [--data DIR] [--strict] [--json] FILE|DIR...
                                                    map, validate and store records in an archive
  import --format gide|idr-study|dandi|ome-xml --archive NAME [--data DIR] PATH...
                                                    import public archive metadata (directories recursively)
  archives [--data DIR] [--json]                    list archives: name, records, triples
  export --archive NAME [--data DIR] [--out FILE.nq] write an archive's graphs as N-Quads (default: stdout)
  query --archive NAME [--data DIR] 'SPARQL'        run a query; SPARQL JSON results on stdout
  query --federated [--federation FILE] [--data DIR] 'SPARQL'
                                                    run a query over every archive (and configured sources)
  ask [--data DIR] [--json] [--export csv|jsonld|rocrate --out PATH] "question"
                                                    answer a question in plain language
  slims [--from DIR] [--out DIR]                    rebuild the ontology slims from full ontology files
  generate --labs N --seed S [--sessions N] [--out DIR]
                                                    write a deterministic synthetic federation (JSON Lines)
  serve [--data DIR] [--port 8080] [--host 127.0.0.1] [--archive NAME]... [--base IRI] [--federation FILE]
                                                    serve archives: SPARQL 1.1, TPF, Linked Data, VoID
  start [--data DIR] [--port N]                     ingest the demo labs on first run, then serve

Common options: --data DIR (default ./data, or BENCHGRAPH_DATA), --base IRI (record IRIs; BENCHGRAPH_BASE).
`;

/** Exit codes: 0 done, 1 the input has violations (or a command failed on good input), 2 unusable input or usage. */
export async function main(argv: string[], out: Out = defaultOut): Promise<number> {
  const [verb, ...rest] = argv;
  try {
    switch (verb) {
      case 'validate':
        return await validateCommand(rest, out);
      case 'ingest':
        return await ingestCommand(rest, out);
      case 'archives':
        return await archivesCommand(rest, out);
      case 'query':
        return await queryCommand(rest, out);
      case 'export':
        return await exportCommand(rest, out);
      case 'slims':
        return await runSlimCommand(rest);
      case 'generate':
        return await runGenerateCommand(rest);
      case 'start':
        return await startCommand(rest, out);
      case 'serve':
        return await serve(rest);
      case 'import':
        return await runImportCommand(rest);
      case 'ask':
        return await runAskCommand(rest, out);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        out.stdout(USAGE);
        return verb === undefined ? 2 : 0;
      default:
        out.stderr(`benchgraph: unknown command '${verb}'\n\n${USAGE}`);
        return 2;
    }
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError || err instanceof FederationConfigError) {
      out.stderr(`benchgraph ${verb}: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

class UsageError extends Error {}

const common = {
  data: { type: 'string' },
  base: { type: 'string' },
  json: { type: 'boolean' },
} as const;

function parse<T extends ParseArgsOptionsConfig>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true as const, strict: true as const });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** Expands directories (recursively) into the record files under them. */
export async function expandInputs(paths: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const p of paths) {
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(p);
    } catch {
      files.push(p); // the reader reports the missing file with its name, as unreadable input
      continue;
    }
    if (!info.isDirectory()) {
      files.push(p);
      continue;
    }
    const entries = await readdir(p, { recursive: true, withFileTypes: true });
    files.push(
      ...entries
        .filter((e) => e.isFile() && /\.(json|jsonl|ndjson|ya?ml|csv|tsv)$/i.test(e.name) && !e.name.endsWith('.schema.json'))
        .map((e) => join(e.parentPath, e.name))
        .sort(),
    );
  }
  return files;
}

/** Everything the check stages need, loaded once. */
export async function loadPipeline(config: Config) {
  const [terms, shapes] = await Promise.all([loadTermIndex(config.ontologiesDir), loadShapes(config.shapesDir)]);
  const mapping = loadMapping(config.mappingFile);
  const validate: BatchValidator = async (records) => {
    const reports = await validateBatch(shapes, records, fieldNamer(mapping, records));
    const findings = new Map<string, Finding[]>();
    const reportQuads: Quad[] = [];
    reports.forEach((report, i) => {
      findings.set(
        records[i]!.recordId,
        report.results.map((r) => ({
          severity: r.severity,
          field: r.field ?? '',
          message: r.value !== undefined && r.severity !== 'violation' ? `${r.message} (found '${r.value}')` : r.message,
          rule: r.shape,
        })),
      );
      if (report.results.length > 0) reportQuads.push(...new Parser().parse(report.toTurtle()));
    });
    lastReport = reportQuads;
    return findings;
  };
  let lastReport: Quad[] = [];
  return {
    terms,
    mapping,
    deps: { mapping, schema: loadSchema(mapping.schemaFile), terms, licenses: loadLicenses(config.licensesFile), validate },
    /** The SHACL report (sh:ValidationReport quads) of the latest validate() call. */
    lastReport: () => lastReport,
  };
}

function counts(records: CheckedRecord[]) {
  const by = (s: Finding['severity']) => records.reduce((n, r) => n + r.findings.filter((f) => f.severity === s).length, 0);
  return { violations: by('violation'), warnings: by('warning'), infos: by('info') };
}

function printUnreadable(result: PipelineResult, out: Out): void {
  for (const e of result.unreadable) out.stderr(`${e.message}\n`);
}

async function validateCommand(argv: string[], out: Out): Promise<number> {
  const { values, positionals } = parse(argv, { ...common, archive: { type: 'string' } });
  if (positionals.length === 0) throw new UsageError('name at least one record file or directory');
  const config = loadConfig(values);
  const pipeline = await loadPipeline(config);
  const files = await expandInputs(positionals);
  const result = await checkFiles(files, { base: config.baseIri, archive: values.archive ?? 'unnamed' }, pipeline.deps);
  const c = counts(result.records);
  const conforming = result.records.filter((r) => r.accepted).length;
  if (values.json) {
    out.stdout(
      `${JSON.stringify(
        {
          conforms: c.violations === 0 && result.unreadable.length === 0,
          records: result.records.length,
          conforming,
          ...c,
          unreadable: result.unreadable.map((e) => ({ file: e.file, line: e.line, column: e.column, message: e.message })),
          results: result.records.map((r) => ({ recordId: r.recordId, file: r.file, line: r.line, conforms: r.accepted, findings: r.findings })),
        },
        null,
        2,
      )}\n`,
    );
  } else {
    printUnreadable(result, out);
    for (const line of formatFindings(result.records)) out.stdout(`${line}\n`);
    out.stdout(
      `${result.records.length} records in ${files.length} files: ${conforming} conform, ` +
        `${result.records.length - conforming} with violations; ${c.violations} violations, ${c.warnings} warnings, ${c.infos} hints\n`,
    );
  }
  if (result.unreadable.length > 0) return 2;
  return c.violations > 0 ? 1 : 0;
}

async function ingestCommand(argv: string[], out: Out): Promise<number> {
  const { values, positionals } = parse(argv, { ...common, archive: { type: 'string' }, strict: { type: 'boolean' } });
  if (!values.archive) throw new UsageError('--archive NAME is required');
  if (positionals.length === 0) throw new UsageError('name at least one record file or directory');
  const config = loadConfig(values);
  const pipeline = await loadPipeline(config);
  const summary = await ingest(config, pipeline, values.archive, await expandInputs(positionals), { strict: values.strict ?? false });
  if (values.json) out.stdout(`${JSON.stringify(summary, null, 2)}\n`);
  else {
    printUnreadable(summary.result, out);
    for (const line of summary.lines) out.stdout(`${line}\n`);
  }
  if (summary.result.unreadable.length > 0) return 2;
  return summary.rejected.length > 0 ? 1 : 0;
}

/** Checks files and stores what passes; returns counts, the rejected records with reasons, and printable lines. */
export async function ingest(
  config: Config,
  pipeline: Awaited<ReturnType<typeof loadPipeline>>,
  archiveName: string,
  files: string[],
  opts: { strict: boolean; agent?: string },
) {
  const result = await checkFiles(files, { base: config.baseIri, archive: archiveName }, pipeline.deps);
  const archive = await openArchive(config.dataDir, archiveName, { create: true, meta: { baseIri: config.baseIri } });
  const failed = result.records.filter((r) => !r.accepted);
  const strictReject = opts.strict && (failed.length > 0 || result.unreadable.length > 0);
  const accepted = strictReject ? [] : result.records.filter((r) => r.accepted);
  const batch =
    accepted.length > 0
      ? await archive.writeBatch(
          accepted.map((r) => ({ recordId: r.recordId, graph: r.graph!, quads: r.quads, sourceFile: r.file, sourceLine: r.line })),
          { mapping: pipeline.mapping.name, mappingVersion: pipeline.mapping.version, agent: opts.agent, report: pipeline.lastReport() },
        )
      : { stored: 0, replaced: 0 };
  if (!archive.meta.title) {
    const described = describeFromStudy(accepted);
    if (described) await archive.updateMeta(described);
  }
  const rejected = strictReject ? result.records : failed;
  const c = counts(result.records);
  const lines = [
    `${archiveName}: ${batch.stored} stored (${batch.replaced} replaced), ${rejected.length} rejected, ` +
      `${c.warnings} warnings, ${c.infos} hints; ${result.triples} triples checked`,
  ];
  if (strictReject) lines.push('--strict: the whole batch was rejected because some records have violations');
  if (failed.length > 0) {
    lines.push('rejected:');
    lines.push(...formatFindings(failed, { include: ['violation'] }).map((l) => `  ${l}`));
  }
  const warnings = formatFindings(result.records, { include: ['warning'] });
  if (warnings.length > 0) {
    lines.push('warnings:');
    lines.push(...warnings.slice(0, 30).map((l) => `  ${l}`));
    if (warnings.length > 30) lines.push(`  ... and ${warnings.length - 30} more (--json lists all)`);
  }
  return {
    archive: archiveName,
    stored: batch.stored,
    replaced: batch.replaced,
    rejected: rejected.map((r) => ({ recordId: r.recordId, file: r.file, line: r.line, findings: r.findings.filter((f) => f.severity === 'violation') })),
    warnings: c.warnings,
    hints: c.infos,
    triples: result.triples,
    timings: result.timings,
    lines,
    result,
  };
}

async function archivesCommand(argv: string[], out: Out): Promise<number> {
  const { values, positionals } = parse(argv, common);
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const config = loadConfig(values);
  const list = await listArchives(config.dataDir);
  if (values.json) out.stdout(`${JSON.stringify(list, null, 2)}\n`);
  else if (list.length === 0) out.stdout(`no archives in ${config.dataDir}\n`);
  else {
    const width = Math.max(4, ...list.map((a) => a.name.length));
    out.stdout(`${'name'.padEnd(width)}  ${'records'.padStart(8)}  ${'triples'.padStart(10)}\n`);
    for (const a of list) {
      out.stdout(`${a.name.padEnd(width)}  ${String(a.records).padStart(8)}  ${String(a.triples).padStart(10)}${a.private ? '  (private)' : ''}\n`);
    }
  }
  return 0;
}

async function exportCommand(argv: string[], out: Out): Promise<number> {
  const { values, positionals } = parse(argv, { ...common, archive: { type: 'string' }, out: { type: 'string' } });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  if (!values.archive) throw new UsageError('expected --archive NAME');
  const config = loadConfig(values);
  await openArchive(config.dataDir, values.archive).catch((err: Error) => {
    throw new UsageError(err.message);
  });
  const summary = await exportArchive(config.dataDir, values.archive, values.out ?? process.stdout);
  const where = values.out ?? 'stdout';
  out.stderr(`benchgraph export: ${summary.archive}: ${summary.records} records, ${summary.bytes} bytes of N-Quads to ${where}\n`);
  return 0;
}

async function queryCommand(argv: string[], out: Out): Promise<number> {
  const { values, positionals } = parse(argv, {
    ...common,
    archive: { type: 'string' },
    format: { type: 'string' },
    federated: { type: 'boolean' },
    federation: { type: 'string' },
    explain: { type: 'boolean' },
  });
  if (values.federated) {
    if (positionals.length !== 1) throw new UsageError("give the query as one argument: benchgraph query --federated 'SELECT ...'");
    const result = await runFederatedQuery(loadConfig(values), positionals[0]!, {
      federationFile: values.federation,
      format: values.format,
      explain: values.explain,
    });
    for (const w of result.warnings) out.stderr(`benchgraph query: warning: ${JSON.stringify(w)}\n`);
    if (result.status >= 400) {
      out.stderr(`benchgraph query: ${result.body}`);
      return result.status >= 500 ? 1 : 2;
    }
    out.stdout(result.body.endsWith('\n') ? result.body : `${result.body}\n`);
    return 0;
  }
  if (!values.archive) throw new UsageError('--archive NAME (or --federated) is required');
  if (positionals.length !== 1) throw new UsageError("give the query as one argument: benchgraph query --archive NAME 'SELECT ...'");
  const config = loadConfig(values);
  const archive = await openArchive(config.dataDir, values.archive).catch((err: Error) => {
    throw new UsageError(err.message);
  });
  const terms = await loadTermIndex(config.ontologiesDir);
  const store = await loadArchiveStore(archive, { ontologyFiles: terms.files });
  try {
    const text = queryStoreSerialized(store, positionals[0]!, values.format ?? 'application/sparql-results+json');
    out.stdout(text.endsWith('\n') ? text : `${text}\n`);
    return 0;
  } catch (err) {
    if (err instanceof QueryError) {
      out.stderr(`benchgraph query: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

/** `npm start`: on the first run ingest every demo lab into its own archive, then serve. */
async function startCommand(argv: string[], out: Out): Promise<number> {
  const { values } = parse(argv, {
    ...common,
    port: { type: 'string' },
    host: { type: 'string' },
    archive: { type: 'string', multiple: true },
    timeout: { type: 'string' },
    'max-rows': { type: 'string' },
    workers: { type: 'string' },
  });
  const config = loadConfig({ data: values.data, base: values.base, port: values.port, host: values.host });
  if (await isFirstRun(config)) {
    out.stdout(`first start: ingesting the demo labs into ${config.dataDir}\n`);
    const pipeline = await loadPipeline(config);
    for (const lab of await demoLabs()) {
      const summary = await ingest(config, pipeline, lab.name, await expandInputs([lab.dir]), { strict: false, agent: 'benchgraph demo' });
      out.stdout(`  ${summary.lines[0]}\n`);
      for (const r of summary.rejected) {
        out.stdout(`    rejected ${r.recordId} (${r.file}:${r.line}): ${r.findings.map((f) => `${f.field}: ${f.message}`).join('; ')}\n`);
      }
    }
    const imported = await importDemoArchives(config, config.dataDir, config.sharedDataDir);
    if (imported.length === 0) out.stdout(`  no public archives imported: ${config.sharedDataDir} is absent\n`);
    for (const summary of imported) out.stdout(`  ${summary.lines[0]}\n`);
  }
  return serve(argv);
}

async function serve(argv: string[]): Promise<number> {
  const { runServeCommand } = await import('./serve/command.ts');
  return runServeCommand(argv);
}

const DCTERMS = 'http://purl.org/dc/terms/';
const STUDY_FIELDS: Record<string, 'title' | 'description' | 'license'> = {
  [`${DCTERMS}title`]: 'title',
  [`${DCTERMS}description`]: 'description',
  [`${DCTERMS}license`]: 'license',
};

/** An archive without a title takes title, description and licence from the first study stored in it. */
function describeFromStudy(records: CheckedRecord[]): { title: string; description?: string; license?: string; publisher?: string } | undefined {
  const study = records.find((r) => r.recordId.startsWith('study/'));
  if (!study) return undefined;
  const meta: Record<string, string> = {};
  for (const q of study.quads) {
    const field = q.subject.value === study.graph ? STUDY_FIELDS[q.predicate.value] : undefined;
    if (field && meta[field] === undefined) meta[field] = q.object.value;
    if (q.subject.value === study.graph && q.predicate.value.endsWith('vocab#lab')) meta.publisher = q.object.value;
  }
  return meta.title ? (meta as { title: string }) : undefined;
}
