// The CLI's verbs and exit codes, run in-process on fixtures and temporary data directories.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Parser } from 'n3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROVENANCE_GRAPH } from '../src/archive/provenance.ts';
import { main } from '../src/main.ts';

const fixtures = join(import.meta.dirname, 'fixtures', 'records');

async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

let data: string;
beforeAll(async () => {
  data = await mkdtemp(join(tmpdir(), 'benchgraph-cli-'));
});
afterAll(async () => {
  await rm(data, { recursive: true, force: true });
});

describe('benchgraph validate', () => {
  it('exits 0 when every record conforms', async () => {
    const r = await run('validate', join(fixtures, 'good.yaml'));
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/3 records in 1 files: 3 conform, 0 with violations; 0 violations/);
    expect(r.code).toBe(0);
  });

  it('exits 1 on a violation and names file, line, record and field', async () => {
    const r = await run('validate', join(fixtures, 'violation.yaml'));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${join(fixtures, 'violation.yaml')}:2 session/S02 field 'modality' [Violation]:`);
  });

  it('exits 2 on malformed JSON with file, line and column', async () => {
    const r = await run('validate', join(fixtures, 'malformed.json'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^${join(fixtures, 'malformed.json').replace(/[.]/g, '\\.')}:4:4: malformed JSON: `));
  });

  it('exits 2 on usage errors', async () => {
    expect((await run('validate')).code).toBe(2);
    expect((await run('validate', '--nope', 'x.json')).code).toBe(2);
    expect((await run('frobnicate')).code).toBe(2);
  });

  it('reports for machines with --json', async () => {
    const r = await run('validate', '--json', join(fixtures, 'violation.yaml'));
    const report = JSON.parse(r.stdout);
    expect(report.conforms).toBe(false);
    expect(report.results[0].recordId).toBe('session/S02');
    expect(report.results[0].findings.some((f: { field: string; severity: string }) => f.field === 'modality' && f.severity === 'violation')).toBe(true);
  });
});

describe('benchgraph ingest, archives and query', () => {
  it('stores the conforming records and rejects the rest with reasons', async () => {
    const r = await run('ingest', '--data', data, '--archive', 'demo', join(fixtures, 'good.yaml'), join(fixtures, 'violation.yaml'));
    expect(r.stdout).toMatch(/^demo: 3 stored \(0 replaced\), 1 rejected/);
    expect(r.stdout).toContain("session/S02 field 'modality' [Violation]");
    expect(r.code).toBe(1);
  });

  it('replaces a record on re-ingest', async () => {
    const r = await run('ingest', '--data', data, '--archive', 'demo', join(fixtures, 'good.yaml'));
    expect(r.stdout).toMatch(/^demo: 3 stored \(3 replaced\), 0 rejected/);
    expect(r.code).toBe(0);
  });

  it('stores nothing with --strict when a record has violations', async () => {
    const r = await run('ingest', '--data', data, '--archive', 'strict', '--strict', join(fixtures, 'good.yaml'), join(fixtures, 'violation.yaml'));
    expect(r.stdout).toMatch(/^strict: 0 stored \(0 replaced\), 4 rejected/);
    const list = JSON.parse((await run('archives', '--data', data, '--json')).stdout) as { name: string; records: number }[];
    expect(list.find((a) => a.name === 'strict')?.records ?? 0).toBe(0);
  });

  it('lists archives with records and triples', async () => {
    const list = JSON.parse((await run('archives', '--data', data, '--json')).stdout) as { name: string; records: number; triples: number }[];
    const demo = list.find((a) => a.name === 'demo')!;
    expect(demo.records).toBe(3);
    expect(demo.triples).toBeGreaterThan(40);
  });

  it('answers SPARQL with SPARQL JSON results, subclass closure included', async () => {
    const q = `PREFIX bg: <https://w3id.org/benchgraph/vocab#>
      PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
      SELECT ?s ?wl WHERE { ?s bg:modality/rdfs:subClassOf* <http://purl.obolibrary.org/obo/FBbi_00000246> ;
        bg:acquisition/bg:excitationWavelength ?wl }`;
    const r = await run('query', '--data', data, '--archive', 'demo', q);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout).results.bindings;
    expect(rows).toEqual([
      {
        s: { type: 'uri', value: 'http://localhost:8080/id/demo/session/S01' },
        wl: { type: 'literal', value: '920', datatype: 'http://www.w3.org/2001/XMLSchema#decimal' },
      },
    ]);
  });

  it('exits 2 with the parser message on a malformed query', async () => {
    const r = await run('query', '--data', data, '--archive', 'demo', 'SELEKT * WHERE {}');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^benchgraph query: /);
  });

  it('exits 2 naming the archive when it does not exist', async () => {
    const r = await run('query', '--data', data, '--archive', 'nope', 'ASK {}');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('nope');
  });

  it('exports an archive as N-Quads: every record graph and the provenance graph', async () => {
    const out = join(data, 'demo.nq');
    const r = await run('export', '--data', data, '--archive', 'demo', '--out', out);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/demo: 3 records, \d+ bytes of N-Quads/);
    const quads = new Parser({ format: 'N-Quads' }).parse(await readFile(out, 'utf8'));
    const graphs = new Set(quads.map((q) => q.graph.value));
    const list = JSON.parse((await run('archives', '--data', data, '--json')).stdout) as { name: string; triples: number }[];
    const recordQuads = quads.filter((q) => q.graph.value !== PROVENANCE_GRAPH);
    expect(recordQuads).toHaveLength(list.find((a) => a.name === 'demo')!.triples);
    expect([...graphs].filter((g) => g.includes('/id/demo/'))).toHaveLength(3);
    expect(quads.length).toBeGreaterThan(recordQuads.length);
  });

  it('exits 2 naming a federation file that cannot be read', async () => {
    const r = await run('query', '--data', data, '--federated', '--federation', join(data, 'missing.yaml'), 'ASK {}');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^benchgraph query: federation file .*missing\.yaml: ENOENT/);
  });

  it('exits 2 on export of an unknown archive', async () => {
    const r = await run('export', '--data', data, '--archive', 'nope');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('archive "nope" not found');
  });
});

describe('the installed command', () => {
  it('runs as npx benchgraph on the pinned Node', async () => {
    const root = join(import.meta.dirname, '..');
    const { stdout } = await promisify(execFile)(join(root, 'node_modules', '.bin', 'benchgraph'), ['help'], {
      cwd: root,
      env: { ...process.env, PATH: `${join(root, 'node_modules', '.bin')}:${process.env.PATH}` },
    });
    expect(stdout).toMatch(/^usage: benchgraph <command>/);
  });
});
