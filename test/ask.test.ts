// The ask pipeline over the demo federation: templates, linking, screening, query checks, answers with provenance,
// exports (CSV, JSON-LD round trip, RO-Crate 1.2), the CLI command, the POST /ask handler and the LangChain tool.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { crc32 } from 'node:zlib';
import jsonld from 'jsonld';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Asker } from '../src/ask/ask.ts';
import { checkQuery } from '../src/ask/check.ts';
import { runAskCommand } from '../src/ask/command.ts';
import { compareAnswers } from '../src/ask/eval.ts';
import { answerToCsv, answerToJsonLd, CONTEXT_URL, dataFilesOf, documentLoader, writeRoCrate } from '../src/ask/export.ts';
import { screenQuestion } from '../src/ask/guard.ts';
import { createAskHandler } from '../src/ask/http.ts';
import { linkQuestion } from '../src/ask/link.ts';
import { checkRoCrate } from '../src/ask/rocrate-check.ts';
import { openAsk } from '../src/ask/setup.ts';
import { exampleFill, instantiate, loadTemplates, ownQuery, parseTemplate } from '../src/ask/templates.ts';
import { askTool } from '../src/ask/tool.ts';
import type { Config } from '../src/config.ts';
import { demoDataDir } from './ask/demo-data.ts';

const fixtures = new URL('./fixtures/ask/', import.meta.url);
const fixture = <T>(name: string): T => parse(readFileSync(new URL(name, fixtures), 'utf8')) as T;
const QUERIES = new URL('../queries/', import.meta.url).pathname;
const OBO = 'http://purl.obolibrary.org/obo/';

let config: Config;
let asker: Asker;
let scratch: string;

beforeAll(async () => {
  config = await demoDataDir();
  asker = await openAsk(config, { mode: 'offline', model: null });
  scratch = await mkdtemp(join(tmpdir(), 'benchgraph-ask-out-'));
});

afterAll(async () => {
  await rm(config.dataDir, { recursive: true, force: true });
  await rm(scratch, { recursive: true, force: true });
});

describe('templates (queries/ask-*.rq)', () => {
  for (const t of loadTemplates(QUERIES)) {
    it(`${t.name}: the file's query is its own example, filled from '# example:'`, () => {
      expect(instantiate(t, exampleFill(t))).toBe(ownQuery(t));
    });
    it(`${t.name}: the file's query runs on the demo federation and finds rows`, async () => {
      const r = await asker.deps.execute(ownQuery(t), { timeoutMs: 30_000 });
      expect(r.rows.length).toBeGreaterThan(0);
    });
  }

  it('names the file and line of an unknown marker', () => {
    expect(() => parseTemplate('queries/ask-x.rq', '# Purpose.\nSELECT ?s WHERE { ?s ?p ?o }  #[unless x]\n')).toThrow(
      'queries/ask-x.rq:2: unknown marker #[unless x]; expected if, values, inline, filter, select, order or group',
    );
  });

  it('refuses a template without a purpose line', () => {
    expect(() => parseTemplate('queries/ask-y.rq', 'SELECT ?s WHERE { ?s ?p ?o }\n')).toThrow('queries/ask-y.rq: the first line must be a comment saying what the query asks');
  });
});

describe('entity linking (fixtures/ask/linking.yaml)', () => {
  type Case = {
    question: string;
    terms: { phrase: string; kind: string; iris?: string[]; value?: string }[];
    times?: { phrase: string; comparisons: string[]; relativeTo?: string[] }[];
    settings?: { property: string; comparisons: string[] }[];
    unresolved?: { phrase: string; critical: boolean }[];
  };
  for (const c of fixture<Case[]>('linking.yaml')) {
    it(`links "${c.question}"`, async () => {
      const l = linkQuestion(c.question, { ...asker.deps, catalogue: await asker.catalogue() });
      const got: Case = {
        question: c.question,
        terms: l.terms.map((t) => ({ phrase: t.phrase, kind: t.kind, ...(t.iris.length ? { iris: t.iris } : {}), ...(t.value !== undefined ? { value: t.value } : {}) })),
        ...(l.times.length ? { times: l.times.map((t) => ({ phrase: t.phrase, comparisons: t.comparisons.map((x) => `${x.op} ${x.value}`), ...(t.relativeTo ? { relativeTo: t.relativeTo.iris } : {}) })) } : {}),
        ...(l.settings.length ? { settings: l.settings.map((s) => ({ property: s.property, comparisons: s.comparisons.map((x) => `${x.op} ${x.value}`) })) } : {}),
        ...(l.unresolved.length ? { unresolved: l.unresolved.map((u) => ({ phrase: u.phrase, critical: u.critical })) } : {}),
      };
      expect(got).toEqual(c);
    });
  }
});

describe('screening (fixtures/ask/guard.yaml)', () => {
  for (const c of fixture<{ question: string; expect: string | null }[]>('guard.yaml')) {
    it(`${c.expect === null ? 'lets through' : `refuses (${c.expect})`} "${c.question}"`, () => {
      expect(screenQuestion(c.question, asker.deps.lexicon)?.reason ?? null).toBe(c.expect);
    });
  }
});

describe('query checks (fixtures/ask/check.yaml)', () => {
  type Case = { name: string; query: string; sparql?: string; warnings?: string[]; errors?: string[] };
  for (const c of fixture<Case[]>('check.yaml')) {
    it(c.name, async () => {
      const r = checkQuery(c.query, await asker.schema(), { limit: 100 });
      if (c.errors !== undefined) {
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.errors.map((e) => (e.startsWith('The query does not parse:') ? e.slice(0, e.indexOf(':', 25) + 1) : e))).toEqual(c.errors);
      } else {
        expect(r).toEqual({ ok: true, sparql: c.sparql, warnings: c.warnings });
      }
    });
  }
});

describe('answers', () => {
  it('answers with the query, its explanation, the terms, the translator, and each row with its archive and licence', async () => {
    const a = await asker.ask('Which LFP sessions were recorded in CA1?');
    expect(a.status).toBe('answered');
    expect(a.translator).toBe('offline');
    expect(a.template).toBe('ask-sessions');
    expect(a.confidence).toBe(0.9);
    expect(a.resolved.map((r) => [r.phrase, r.label, r.iris])).toEqual([
      ['LFP', 'local field potential recording', [`${OBO}OBI_0002189`]],
      ['CA1', 'CA1 field of hippocampus', [`${OBO}UBERON_0003881`]],
    ]);
    expect(a.unresolved).toEqual([]);
    expect(a.explanation).toBe(
      'Lists the sessions in CA1 field of hippocampus or any of its parts, recorded with local field potential recording (or a more specific method), across every archive queried. Regions include their parts and methods their subtypes, through the ontologies.',
    );
    expect(a.sparql).toContain('VALUES ?method { <http://purl.obolibrary.org/obo/OBI_0002189> }');
    expect(a.sparql).toMatch(/\nLIMIT 1000\n$/);
    expect(a.limit).toBe(1000);
    expect(a.timeoutMs).toBe(30_000);
    expect(a.rows).toHaveLength(12);
    expect(new Set(a.rows.map((r) => [r.archive, r.license, r.study?.replace(/^.*\/id\//, '')].join(' ')))).toEqual(
      new Set(['memory-lab http://spdx.org/licenses/CC-BY-4.0 memory-lab/study/MEM-PLACE']),
    );
    expect(a.rows[0]!.values.modality).toBe('local field potential recording');
    expect(a.studies.map((s) => [s.title, s.license])).toEqual([['Place-cell stability and hippocampal oscillations during spatial memory consolidation', 'http://spdx.org/licenses/CC-BY-4.0']]);
    expect(a.message).toBe('12 rows from memory-lab.');
    expect(Object.keys(a.timings)).toEqual(['linkMs', 'translateMs', 'checkMs', 'executeMs', 'creditMs', 'totalMs']);
  });

  it('counts per archive, crediting each row with its archive licence', async () => {
    const a = await asker.ask('How many sessions does each archive hold?');
    expect(a.rows.map((r) => [r.values.archive, r.values.sessions, r.archive, r.license])).toEqual([
      ['memory-lab', 60, 'memory-lab', 'http://spdx.org/licenses/CC-BY-4.0'],
      ['stroke-lab', 143, 'stroke-lab', 'http://spdx.org/licenses/CC-BY-4.0'],
      ['visual-lab', 44, 'visual-lab', 'http://spdx.org/licenses/CC0-1.0'],
    ]);
  });

  it('refuses a modification request as read-only, without running anything', async () => {
    const a = await asker.ask('Delete all unpublished data.');
    expect([a.status, a.refusal, a.sparql, a.rows.length, a.translator]).toEqual(['refused', 'read-only', null, 0, 'guard']);
    expect(a.message).toMatch(/^benchgraph answers questions and never changes data/);
  });

  it('says which linked term no archive holds instead of inventing an answer', async () => {
    const a = await asker.ask('What zebrafish imaging data is there?');
    expect(a.status).toBe('no-data');
    expect(a.message).toBe('No data: no archive queried holds Danio rerio (taxon). Nothing was invented; the query and its explanation show what was asked.');
    expect(a.sparql).toContain('NCBITaxon_7955');
  });

  it('says what it understood and what not when a name matches nothing', async () => {
    const a = await asker.ask('Which two-photon sessions did Quux record?');
    expect([a.status, a.refusal, a.sparql]).toEqual(['refused', 'not-understood', null]);
    expect(a.message).toBe(
      "The question could not be turned into a query over the archives without guessing. Understood: 'two-photon' (two-photon laser scanning microscopy). Not understood: 'Quux' (looks like a name, but matches nothing in the archives or ontologies). Ask about sessions, subjects, files or studies, e.g. \"Show two-photon sessions in CA1\" or \"How many sessions does each archive hold?\"",
    );
  });

  it('does not guess at negations it cannot express', async () => {
    const a = await asker.ask('Which mice were imaged before the stroke but not after?');
    expect([a.status, a.refusal]).toEqual(['refused', 'not-understood']);
    expect(a.message).toContain('does not express negations');
  });

  it('answers an aggregate of a value, and the group with the most, as one row', async () => {
    const max = await asker.ask('max laser power used in the visual lab?');
    expect([max.template, max.rows.map((r) => r.values)]).toEqual(['ask-count', [{ maxLaserPower: 95 }]]);
    expect(max.sparql).toContain('(MAX(?laserPower) AS ?maxLaserPower)');
    const most = await asker.ask('Which lab is sitting on the most unpublished sessions?');
    expect(most.rows.map((r) => r.values)).toEqual([{ archive: 'stroke-lab', sessions: 83 }]);
    expect(most.sparql).toContain('ORDER BY DESC(?sessions)');
    const avg = await asker.ask("What's the average file size for each format?");
    expect(avg.template).toBe('ask-size');
    expect(avg.rows.find((r) => r.values.format === 'HDF5')?.values).toEqual({ format: 'HDF5', avgContentSize: 10400000, files: 35 });
  });

  it('pairs two methods per subject when it asks for subjects, and reads an elided head', async () => {
    const both = await asker.ask('Which mice have both widefield and 2p sessions?');
    expect([both.template, both.rows.length, both.explanation.split(',')[0]]).toEqual(['ask-both', 16, 'Lists the subjects of Mus musculus (or a narrower taxon)']);
    const either = await asker.ask('2p sessions in either the lateral or the anterolateral visual area');
    expect(either.resolved.map((r) => [r.phrase, r.label])).toEqual([
      ['2p', 'two-photon laser scanning microscopy'],
      ['lateral', 'lateral visual area'],
      ['anterolateral visual area', 'anterolateral visual area'],
    ]);
    expect(new Set(either.rows.map((r) => r.values.region))).toEqual(new Set(['lateral visual area', 'anterolateral visual area']));
  });

  it('finds objectives by magnification and puts subjects without the ordered value last', async () => {
    const objective = await asker.ask('Which sessions used a 16x objective?');
    expect(objective.sparql).toContain('VALUES ?objectiveName { "16x" }');
    expect(objective.rows).toHaveLength(65);
    const youngest = await asker.ask('Which mouse was the youngest at the start of its study?');
    expect(youngest.sparql).toContain('ORDER BY (!BOUND(?ageDays)) ?ageDays');
    expect(youngest.rows.map((r) => [r.values.subject?.toString().replace(/^.*\//, ''), r.values.ageDays])).toEqual([['VL-101', 62]]);
  });

  it('caps the rows at the requested limit and says the answer is truncated', async () => {
    const a = await asker.ask('What data has never been published?', { limit: 5 });
    expect([a.rows.length, a.truncated, a.limit]).toEqual([5, true, 5]);
    expect(a.sparql).toMatch(/LIMIT 5\n$/);
    expect(a.warnings).toContain('Only the first 5 rows are shown; the answer has more.');
  });
});

describe('comparison of answer sets', () => {
  const lit = (value: string, datatype?: string) => ({ type: 'literal' as const, value, ...(datatype ? { datatype } : {}) });
  const uri = (value: string) => ({ type: 'uri' as const, value });
  it('aligns columns by their values and compares numbers by value', () => {
    const gold = { vars: ['n', 'a'], rows: [{ a: lit('x'), n: lit('7', 'http://www.w3.org/2001/XMLSchema#integer') }], sources: [] };
    const got = { vars: ['archive', 'sessions', 'extra'], rows: [{ archive: lit('x'), sessions: lit('7.0', 'http://www.w3.org/2001/XMLSchema#decimal'), extra: uri('http://e/1') }], sources: [] };
    expect(compareAnswers(gold, got)).toEqual({ match: true, f1: 1 });
  });
  it('scores a partial answer by set F1', () => {
    const gold = { vars: ['s'], rows: [{ s: uri('a') }, { s: uri('b') }], sources: [] };
    const got = { vars: ['s'], rows: [{ s: uri('a') }, { s: uri('c') }], sources: [] };
    expect(compareAnswers(gold, got)).toEqual({ match: false, f1: 0.5, note: 'gold 2 tuples, answer 2, shared 1 (columns s~s)' });
  });
});

describe('exports', () => {
  const at = new Date('2025-01-02T03:04:05Z');

  it('writes CSV with value, label and provenance columns', async () => {
    const a = await asker.ask('Which sessions used the Bergamo II microscope?', { limit: 2 });
    const lines = answerToCsv(a).split('\r\n');
    expect(lines[0]).toBe('session,subject,modality,modality_label,region,region_label,day,source_archive,source_study,source_license');
    expect(lines[1]).toBe(
      `http://localhost:8080/id/stroke-lab/session/M01-2P-BL,http://localhost:8080/id/stroke-lab/subject/M01,${OBO}FBbi_00000254,two-photon laser scanning microscopy,${OBO}UBERON_0010415,barrel cortex,-1,stroke-lab,http://localhost:8080/id/stroke-lab/study/SR-2024,http://spdx.org/licenses/CC-BY-4.0`,
    );
    expect(lines).toHaveLength(4);
  });

  it('writes JSON-LD that round-trips through jsonld.js with the local context', async () => {
    const a = await asker.ask('Which NWB files cover the primary visual cortex?');
    const doc = answerToJsonLd(a, { generatedAt: at });
    expect(doc['@context']).toBe(CONTEXT_URL);
    const expanded = await jsonld.expand(doc as never, { documentLoader: documentLoader as never });
    const compacted = await jsonld.compact(expanded, CONTEXT_URL as never, { documentLoader: documentLoader as never });
    expect(isDeepStrictEqual(compacted, doc)).toBe(true);
    const quads = (await jsonld.toRDF(doc as never, { format: 'application/n-quads', documentLoader: documentLoader as never })) as unknown as string;
    expect(quads).toContain('<http://www.w3.org/2001/XMLSchema#anyURI>');
    expect(quads).toContain('<http://purl.org/dc/terms/license> <http://spdx.org/licenses/CC0-1.0>');
  });

  it('never fetches a context it does not have', async () => {
    await expect(documentLoader('https://example.org/context.jsonld')).rejects.toThrow(
      'JSON-LD context https://example.org/context.jsonld is not available locally, and benchgraph never fetches remote documents',
    );
  });

  it('writes an RO-Crate that meets the RO-Crate 1.2 rules, with the query as a CreateAction, sources, licences and data files', async () => {
    const a = await asker.ask('Which NWB files cover the primary visual cortex?');
    const dir = join(scratch, 'crate');
    const files = await dataFilesOf(a, asker.deps.execute, { timeoutMs: 30_000 });
    expect(files).toHaveLength(14);
    await writeRoCrate(a, dir, { files, generatedAt: at });
    expect(await checkRoCrate(dir)).toEqual({ errors: [], warnings: [] });
    const crate = JSON.parse(await readFile(join(dir, 'ro-crate-metadata.json'), 'utf8')) as { '@graph': Record<string, unknown>[] };
    const byId = new Map(crate['@graph'].map((e) => [e['@id'], e]));
    expect(byId.get('#ask')).toMatchObject({ '@type': 'CreateAction', instrument: [{ '@id': 'query.rq' }, { '@id': 'https://w3id.org/benchgraph/' }], result: [{ '@id': 'results.csv' }, { '@id': 'results.jsonld' }] });
    expect(byId.get('http://localhost:8080/id/visual-lab/study/VIS-ORI')).toMatchObject({ license: { '@id': 'http://spdx.org/licenses/CC0-1.0' }, citation: { '@id': 'https://doi.org/10.5555/visual-lab.2025.0042' } });
    expect(byId.get(files[0]!.url)).toMatchObject({ '@type': 'File', encodingFormat: 'Nwb' });
    expect(await readFile(join(dir, 'query.rq'), 'utf8')).toBe(a.sparql);
  });

  it('reports RO-Crate rule violations', async () => {
    expect(await checkRoCrate(new URL('broken-crate', fixtures).pathname)).toEqual(fixture<{ errors: string[]; warnings: string[] }>('broken-crate.expected.yaml'));
  });
});

describe('benchgraph ask', () => {
  const run = async (...argv: string[]) => {
    let stdout = '';
    let stderr = '';
    const code = await runAskCommand(['--data', config.dataDir, ...argv], { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) }, { env: {} });
    return { code, stdout, stderr };
  };

  it('prints the answer for people', async () => {
    const r = await run('Which studies are licensed CC0?');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').slice(0, 5)).toEqual([
      '1 row from visual-lab.',
      '',
      'What was asked: Lists the studies (title, licence, DOI, citation, authors) under CC0-1.0 (CC0-1.0), across every archive queried. Regions include their parts and methods their subtypes, through the ontologies.',
      'Recognised: "CC0" = CC0-1.0 (http://spdx.org/licenses/CC0-1.0)',
      'Translator: offline, confidence 0.9, template ask-studies',
    ]);
    expect(r.stdout).toContain('SPARQL:\nPREFIX bg:');
  });

  it('prints JSON with --json and exports an RO-Crate with --export rocrate --out DIR', async () => {
    const dir = join(scratch, 'cli-crate');
    const r = await run('--json', '--export', 'rocrate', '--out', dir, 'Which sessions were sampled at 30 kHz?');
    expect(r.code).toBe(0);
    const answer = JSON.parse(r.stdout) as { status: string; rows: unknown[] };
    expect([answer.status, answer.rows.length]).toEqual(['answered', 32]);
    expect((await checkRoCrate(dir)).errors).toEqual([]);
    expect(existsSync(join(dir, 'results.csv'))).toBe(true);
  });

  it('asks only the sources of a federation file with --federation', async () => {
    const file = join(scratch, 'visual-only.yaml');
    await writeFile(file, 'sources:\n  - { name: visual, archive: visual-lab }\n');
    const all = JSON.parse((await run('--json', 'How many sessions are there per archive?')).stdout) as { rows: { terms: Record<string, { value: string }> }[] };
    const r = await run('--json', '--federation', file, 'How many sessions are there per archive?');
    expect(r.code).toBe(0);
    const answer = JSON.parse(r.stdout) as { rows: { terms: Record<string, { value: string }> }[] };
    expect(all.rows.length).toBeGreaterThan(1);
    expect(answer.rows.map((row) => `${row.terms.archive!.value}=${row.terms.sessions!.value}`)).toEqual(
      all.rows.filter((row) => row.terms.archive!.value === 'visual-lab').map((row) => `visual-lab=${row.terms.sessions!.value}`),
    );
    const bad = await run('--federation', join(scratch, 'missing.yaml'), 'Which sessions?');
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringContaining('missing.yaml')]);
  });

  it('exits 1 on a refusal and 2 on a usage error', async () => {
    expect((await run('Drop the stroke-lab archive.')).code).toBe(1);
    const usage = await run('--export', 'csv', 'Which sessions?');
    expect([usage.code, usage.stderr.split('\n')[0]]).toEqual([2, 'benchgraph ask: --export needs --out PATH (a file for csv and jsonld, a directory for rocrate)']);
    expect((await run()).stderr.split('\n')[0]).toBe('benchgraph ask: give the question as one argument, in quotes');
  });
});

describe('POST /ask', () => {
  const handler = () => createAskHandler({ asker, log: () => {} });
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    handler()(new Request('http://localhost/ask', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) }));

  it('answers JSON with the query, provenance and rows', async () => {
    const res = await post({ question: 'Which sessions were sampled at 30 kHz?', limit: 3 });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const a = (await res.json()) as { status: string; rows: { archive: string }[]; sparql: string };
    expect([a.status, a.rows.length, a.rows[0]!.archive]).toEqual(['answered', 3, 'memory-lab']);
    expect(a.sparql).toMatch(/LIMIT 3\n$/);
  });

  it('answers a modification request with a read-only refusal, not an HTTP error', async () => {
    const a = (await (await post({ question: 'Delete all unpublished data.' })).json()) as { status: string; refusal: string };
    expect([a.status, a.refusal]).toEqual(['refused', 'read-only']);
  });

  it('exports CSV by Accept and a zipped RO-Crate by "export"', async () => {
    const csv = await post({ question: 'Which studies are licensed CC0?' }, { accept: 'text/csv' });
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8; header=present');
    expect((await csv.text()).split('\r\n')[0]).toBe('study,title,license,license_label,doi,doi_label,citation,authors,source_archive,source_study,source_license');
    const crate = await post({ question: 'Which studies are licensed CC0?', export: 'rocrate' });
    expect(crate.headers.get('content-type')).toBe('application/zip');
    expect(zipEntries(Buffer.from(await crate.arrayBuffer()))).toEqual(['ro-crate-metadata.json', 'query.rq', 'results.csv', 'results.jsonld', 'ask-context.jsonld']);
  });

  it('streams the stages as NDJSON', async () => {
    const res = await post({ question: 'Which GCaMP6s sessions are there?' }, { accept: 'application/x-ndjson' });
    const events = (await res.text())
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { stage: string }).stage);
    expect(events).toEqual(['linked', 'translated', 'checked', 'executed', 'answer']);
  });

  it('maps bad requests to 400, 405, 406, 413 and 415', async () => {
    const h = handler();
    expect((await h(new Request('http://localhost/ask'))).status).toBe(405);
    expect((await post('{"question":')).status).toBe(400);
    expect(await (await post({ question: '' })).text()).toBe('"question" must be a non-empty string\n');
    expect(await (await post({ question: 'x', sparql: 'SELECT' })).text()).toBe('unknown field "sparql"; expected question, limit, export\n');
    expect((await post({ question: 'x' }, { accept: 'image/png' })).status).toBe(406);
    expect((await post({ question: 'x'.repeat(2001) })).status).toBe(413);
    expect((await post({ question: 'x' }, { 'content-type': 'text/plain' })).status).toBe(415);
  });
});

describe('LangChain tool', () => {
  it('exposes ask to agents as benchgraph_ask and returns JSON', async () => {
    const t = askTool(asker, { maxRows: 2 });
    expect(t.name).toBe('benchgraph_ask');
    const out = JSON.parse(String(await t.invoke({ question: 'Which rats had surgery?' }))) as { status: string; rows: { _archive: string }[]; truncated: boolean; credit: { license: string }[] };
    expect([out.status, out.rows.length, out.rows[0]!._archive, out.truncated, out.credit[0]!.license]).toEqual(['answered', 2, 'memory-lab', true, 'http://spdx.org/licenses/CC-BY-4.0']);
  });
});

/** The entry names of a ZIP file, from its central directory, after checking each entry's CRC-32. */
function zipEntries(buf: Buffer): string[] {
  const end = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = buf.readUInt16LE(end + 10);
  let p = buf.readUInt32LE(end + 16);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const crc = buf.readUInt32LE(p + 16);
    const size = buf.readUInt32LE(p + 20);
    const nameLength = buf.readUInt16LE(p + 28);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.subarray(p + 46, p + 46 + nameLength).toString('utf8');
    const dataStart = local + 30 + buf.readUInt16LE(local + 26);
    expect(crc32(buf.subarray(dataStart, dataStart + size)) >>> 0).toBe(crc);
    names.push(name);
    p += 46 + nameLength;
  }
  return names;
}

