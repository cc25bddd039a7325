// `benchgraph import`: usage errors, exit codes, directory imports, JSON output, and incremental re-imports
// (unchanged sources skipped, changed ones replacing their study's graph).
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openArchive } from '../src/archive/archive.ts';
import { runImportCommand } from '../src/import/command.ts';
import { CASES_DIR } from './import-cases.ts';

const BASE = 'http://localhost:8080/';
const CRATE = 'S-TEST1-ro-crate-metadata.json';

let work: string;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'benchgraph-import-command-'));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runImportCommand(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  // The first line ends with the time taken, which varies.
  return { code, stdout: stdout.replace(/; \d+\.\d s\n/, '; N s\n'), stderr };
}

const data = () => join(work, 'data');

describe('benchgraph import', () => {
  it('refuses to run without format, archive and paths, naming each (exit 2)', async () => {
    const r = await run('--data', data());
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(
      'benchgraph import: --format is required (gide, idr-study, dandi, ome-xml); --archive NAME is required; name at least one file or directory to import',
    );
    expect(r.stdout).toBe('');
  });

  it('rejects an unknown format and an unknown option (exit 2)', async () => {
    const unknownFormat = await run('--format', 'isa-tab', '--archive', 'x', '--data', data(), 'a.txt');
    expect(unknownFormat.code).toBe(2);
    expect(unknownFormat.stderr.split('\n')[0]).toBe(
      "benchgraph import: unknown format 'isa-tab': expected one of gide, idr-study, dandi, ome-xml",
    );
    const unknownOption = await run('--fromat', 'gide');
    expect(unknownOption.code).toBe(2);
    // The rest of the line is Node's own advice (parseArgs), which varies between Node versions.
    expect(unknownOption.stderr).toMatch(/^benchgraph import: Unknown option '--fromat'\./);
  });

  it('refuses an invalid archive name (exit 2)', async () => {
    const r = await run('--format', 'gide', '--archive', 'Bad Name', '--data', data(), join(CASES_DIR, 'gide-study', CRATE));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^benchgraph import: invalid archive name "Bad Name": expected 1 to 63 characters/);
  });

  it('imports every crate under a directory, goes on past a bad one, and exits 1 listing it', async () => {
    const dir = join(work, 'crates', 'nested');
    await cp(join(CASES_DIR, 'gide-study', CRATE), join(dir, CRATE), { recursive: true });
    await cp(join(CASES_DIR, 'bad-malformed-json', 'S-TEST9-ro-crate-metadata.json'), join(work, 'crates', 'S-TEST9-ro-crate-metadata.json'));
    await writeFile(join(work, 'crates', 'notes.txt'), 'not a crate, not picked up');
    const r = await run('--format', 'gide', '--archive', 'bia', '--data', data(), '--base', BASE, join(work, 'crates'));
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      [
        'bia: 1 imported, 0 replaced, 0 unchanged, 1 rejected (2 files, gide 1.0.0); 54 triples; N s',
        'rejected:',
        `  ${relativeToCwd(join(work, 'crates', 'S-TEST9-ro-crate-metadata.json'))}:5:5: malformed JSON: Expected ',' or ']' after array element in JSON at position 140`,
        'warnings: shacl:Study-funding 1',
        '',
      ].join('\n'),
    );
    const archive = await openArchive(data(), 'bia');
    expect(archive.records().map((x) => x.recordId)).toEqual(['study/S-TEST1']);
    expect(archive.record('study/S-TEST1')?.graph).toBe(`${BASE}id/bia/study/S-TEST1`);
  });

  it('skips an unchanged source on re-import and replaces the study when its source changes', async () => {
    const file = join(work, CRATE);
    await cp(join(CASES_DIR, 'gide-study', CRATE), file);
    const args = ['--format', 'gide', '--archive', 'bia', '--data', data(), '--base', BASE, file];
    expect((await run(...args)).stdout.split('\n')[0]).toBe('bia: 1 imported, 0 replaced, 0 unchanged, 0 rejected (1 files, gide 1.0.0); 54 triples; N s');
    expect((await run(...args)).stdout.split('\n')[0]).toBe('bia: 0 imported, 0 replaced, 1 unchanged, 0 rejected (1 files, gide 1.0.0); 0 triples; N s');

    const text = await readFile(file, 'utf8');
    await writeFile(file, text.replace('Two-photon imaging of dendritic spines', 'Two-photon imaging of dendritic spines, revised'));
    const changed = await run(...args);
    expect(changed.code).toBe(0);
    expect(changed.stdout.split('\n')[0]).toBe('bia: 0 imported, 1 replaced, 0 unchanged, 0 rejected (1 files, gide 1.0.0); 54 triples; N s');
    const archive = await openArchive(data(), 'bia');
    const titles = (await archive.readRecordQuads('study/S-TEST1'))
      .filter((q) => q.predicate.value === 'http://purl.org/dc/terms/title' && q.subject.value === `${BASE}id/bia/study/S-TEST1`)
      .map((q) => q.object.value);
    expect(titles).toEqual(['Two-photon imaging of dendritic spines, revised']);
    expect(archive.records()).toHaveLength(1);
  });

  it('prints the summary as JSON with --json, warnings listed one by one', async () => {
    const r = await run('--format', 'gide', '--archive', 'bia', '--data', data(), '--base', BASE, '--json', join(CASES_DIR, 'norm-misspelt-species'));
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(summary)).toEqual([
      'archive', 'format', 'mapping', 'mappingVersion', 'files', 'imported', 'replaced', 'unchanged', 'rejected',
      'warnings', 'warningList', 'triples', 'seconds', 'timings',
    ]);
    expect(summary.warnings).toEqual({ 'name-fuzzy-matched': 1, 'shacl:Study-funding': 1, 'shacl:Study-keywords': 1 });
    expect((summary.warningList as { kind: string; message: string }[])[0]).toEqual({
      kind: 'name-fuzzy-matched',
      message: "species 'Mus muculus' matched 'Mus musculus' <http://purl.obolibrary.org/obo/NCBITaxon_10090> by close spelling",
      file: join(CASES_DIR, 'norm-misspelt-species', 'S-TEST5-ro-crate-metadata.json'),
      recordId: 'study/S-TEST5',
    });
    expect(summary.mapping).toBe('mappings/gide.yaml');
  });
});

function relativeToCwd(path: string): string {
  return relative(process.cwd(), path);
}
