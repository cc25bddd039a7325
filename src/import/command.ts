// `benchgraph import`: imports public archive metadata (GIDE crates, IDR study files, DANDI, OME-XML) into an
// archive; and the demo archives built from ../shared/data on first start.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type Config, ConfigError, loadConfig } from '../config.ts';
import { FORMAT_NAMES, type FormatName } from './formats.ts';
import { type ImportContext, type ImportSummary, importSources, loadImportContext } from './importer.ts';

export const IMPORT_USAGE = `usage: benchgraph import --format gide|idr-study|dandi|ome-xml --archive NAME [--data DIR] [--base IRI]
                        [--json] [--verbose] PATH...

  Imports study metadata published by public archives into the archive NAME (created if needed): GIDE
  RO-Crates (BioImage Archive, EMPIAR, IDR), IDR study files, DANDI dandisets (dandiset.yaml with assets.json
  next to it) and OME-XML files. A directory imports every file of the format under it. Studies whose source
  and mapping are unchanged since the last import are skipped; changed ones replace their graph. Bad sources
  are reported with file and place and skipped. The summary counts warnings by kind (--verbose lists each,
  --json prints everything). Exit 0 when nothing was rejected, 1 when something was, 2 for a usage error.
`;

type Out = { stdout: (s: string) => void; stderr: (s: string) => void };
const defaultOut: Out = { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) };

/** Runs `benchgraph import ARGS`; returns the exit code. */
export async function runImportCommand(argv: string[], out: Out = defaultOut): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    out.stderr(`benchgraph import: ${(err as Error).message}\n\n${IMPORT_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    out.stdout(IMPORT_USAGE);
    return 0;
  }
  const problems: string[] = [];
  if (!values.format) problems.push(`--format is required (${FORMAT_NAMES.join(', ')})`);
  else if (!FORMAT_NAMES.includes(values.format as FormatName)) {
    problems.push(`unknown format '${values.format}': expected one of ${FORMAT_NAMES.join(', ')}`);
  }
  if (!values.archive) problems.push('--archive NAME is required');
  if (positionals.length === 0) problems.push('name at least one file or directory to import');
  let config: Config | undefined;
  try {
    config = loadConfig(values);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(err.message);
  }
  if (problems.length > 0 || !config) {
    out.stderr(`benchgraph import: ${problems.join('; ')}\n\n${IMPORT_USAGE}`);
    return 2;
  }
  let summary: ImportSummary;
  try {
    const ctx = await loadImportContext(config);
    summary = await importSources(ctx, {
      format: values.format as FormatName,
      archive: values.archive!,
      dataDir: config.dataDir,
      baseIri: config.baseIri,
      paths: positionals,
    });
  } catch (err) {
    // An invalid archive name is the user's mistake; anything else is a bug or an I/O failure and propagates.
    if (err instanceof Error && /^invalid archive name/.test(err.message)) {
      out.stderr(`benchgraph import: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (values.json) {
    const { lines: _lines, ...rest } = summary;
    out.stdout(`${JSON.stringify(rest, null, 2)}\n`);
  } else {
    for (const line of summary.lines) out.stdout(`${line}\n`);
    if (values.verbose) for (const w of summary.warningList) out.stdout(`  ${w.recordId ?? w.file} [${w.kind}] ${w.message}\n`);
  }
  return summary.rejected.length > 0 ? 1 : 0;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      format: { type: 'string' },
      archive: { type: 'string' },
      data: { type: 'string' },
      base: { type: 'string' },
      json: { type: 'boolean' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/** One demo archive: what it is built from under ../shared/data. */
export type DemoArchive = {
  archive: string;
  format: FormatName;
  title: string;
  description: string;
  /** Paths under the shared data directory. */
  paths: string[];
  /** Keep only files whose name matches (e.g. BIA and EMPIAR crates share a folder). */
  only?: RegExp;
};

/** The public archives of the demo federation, built from ../shared/data (see its SOURCES.md). */
export const DEMO_ARCHIVES: DemoArchive[] = [
  {
    archive: 'bia',
    format: 'gide',
    title: 'BioImage Archive (imported)',
    description: 'BioImage Archive studies imported from their GIDE RO-Crates.',
    paths: ['gide/bia-gide-ro-crates'],
    only: /^S-B/,
  },
  {
    archive: 'empiar',
    format: 'gide',
    title: 'EMPIAR (imported)',
    description: 'EMPIAR electron microscopy entries imported from their GIDE RO-Crates.',
    paths: ['gide/bia-gide-ro-crates'],
    only: /^EMPIAR-/,
  },
  {
    archive: 'idr',
    format: 'gide',
    title: 'Image Data Resource (imported)',
    description: 'IDR studies imported from their GIDE RO-Crates.',
    paths: ['idr/ro-crates'],
    only: /^idr\d+-ro-crate-metadata\.json$/,
  },
  {
    archive: 'idr-study',
    format: 'idr-study',
    title: 'Image Data Resource study files (imported)',
    description: "IDR studies imported from IDR's own study files (idrNNNN-study.txt), screens and experiments included.",
    paths: ['idr/study-files', 'idr/idr0048-abdeladim-chroms', 'idr/idr0066-voigt-mesospim', 'idr/idr0113-bottes-opcclones'],
  },
  {
    archive: 'dandi',
    format: 'dandi',
    title: 'DANDI Archive (imported)',
    description: 'DANDI dandisets imported from their dandischema metadata, with subjects, sessions and files.',
    paths: ['dandi/dandiset-000039'],
  },
  {
    archive: 'ome',
    format: 'ome-xml',
    title: 'OME-XML samples (imported)',
    description: 'The OME-XML specification samples (ome-model 2016-06) imported as imaging datasets.',
    paths: ['ome-xml'],
  },
];

/**
 * Builds the demo's public archives from the shared data directory, each one that is present; returns one
 * summary per archive built (none when the directory is absent). For `npm start` on first run.
 */
export async function importDemoArchives(
  config: Config,
  dataDir: string,
  sharedDataDir: string,
  opts: { context?: ImportContext; archives?: DemoArchive[] } = {},
): Promise<ImportSummary[]> {
  if (!(await isDirectory(sharedDataDir))) return [];
  const ctx = opts.context ?? (await loadImportContext(config));
  const summaries: ImportSummary[] = [];
  for (const demo of opts.archives ?? DEMO_ARCHIVES) {
    const present: string[] = [];
    for (const p of demo.paths) if (await isDirectory(join(sharedDataDir, p))) present.push(join(sharedDataDir, p));
    if (present.length === 0) continue;
    summaries.push(
      await importSources(ctx, {
          format: demo.format,
          archive: demo.archive,
          dataDir,
          baseIri: config.baseIri,
          paths: present,
          agent: 'benchgraph demo',
          title: demo.title,
          description: demo.description,
          only: demo.only,
        }),
    );
  }
  return summaries;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
