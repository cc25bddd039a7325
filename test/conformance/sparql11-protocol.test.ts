// W3C SPARQL 1.1 Protocol tests from ../shared, driven by the rdf-test-suite runner against a live server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openArchive } from '../../src/archive/archive.ts';
import { describeWithTool, type LiveServer, startLiveServer, tempDataDir } from '../helpers/serve-live.ts';
import { newTally, readExpectedFailures, record, summary } from './expected-failures.ts';
import { SPARQL11_BASE, SPARQL11_DIR, shortId, suiteMissing } from './manifest.ts';

const LIST = 'sparql11-protocol-expected-failures.yaml';
const MANIFEST = `${SPARQL11_BASE}protocol/manifest.ttl`;
const expectedFailures = readExpectedFailures(new URL(LIST, import.meta.url));

/** The part of rdf-test-suite's API this runner uses (TestSuiteRunner.runManifest and its results). */
type TestResult = {
  test: { uri: string; name: string };
  ok: boolean;
  skipped?: boolean;
  error?: Error;
};
type Runner = {
  runManifest: (url: string, engine: object, config: Record<string, unknown>) => Promise<TestResult[]>;
};

// rdf-test-suite is a devDependency; loaded by a variable name so the type check does not depend on it.
const runnerModule = await loadRunner();
const suiteAbsent = suiteMissing();
if (suiteAbsent) console.warn(suiteAbsent);

const TITLE = 'W3C SPARQL 1.1 Protocol tests against a live endpoint (rdf-test-suite)';
// Without ../shared the suite is skipped everywhere; a missing runner is a skip locally and a failure on CI.
if (suiteAbsent) describe.skip(TITLE, () => it('runs the protocol manifest', () => {}));
else describeWithTool(TITLE, runnerModule.missing, protocolTests);

function protocolTests(): void {
  let server: LiveServer;
  let results: TestResult[] = [];

  beforeAll(async () => {
    const dataDir = await tempDataDir('protocol');
    // An empty archive: each test loads its own data (ut:graphData) with SPARQL Update, hence allowUpdates.
    await openArchive(dataDir, 'protocol', { create: true, meta: { baseIri: 'http://localhost:8080/' } });
    server = await startLiveServer(dataDir, { allowUpdates: true, workers: 1 });
    const runner = runnerModule.runner as Runner;
    results = await runner.runManifest(
      MANIFEST,
      // The engine object is unused by protocol tests: they talk HTTP to the endpoint below.
      {},
      {
        exitWithStatusCode0: true,
        outputFormat: 'summary',
        timeOutDuration: 10_000,
        customEngingeOptions: { protocolEndpoint: `${server.url}/archives/protocol/sparql` },
        // Every manifest and data file is read from ../shared; nothing is fetched from the network.
        urlToFileMapping: `${SPARQL11_BASE}~${SPARQL11_DIR}`,
      },
    );
  });
  afterAll(() => server?.close());

  it('runs every test of the protocol manifest, and each outcome agrees with the list', () => {
    const tally = newTally();
    const details: string[] = [];
    for (const r of results) {
      const id = shortId(r.test.uri);
      const passed = r.ok && !r.skipped;
      record(tally, id, passed, expectedFailures.get(id));
      if (!passed && !expectedFailures.has(id)) details.push(`${id}: ${r.error?.message ?? 'skipped'}`);
    }
    console.log(summary('SPARQL 1.1 protocol tests', tally));
    const ids = new Set(results.map((r) => shortId(r.test.uri)));
    expect(
      [...expectedFailures.keys()].filter((id) => !ids.has(id)),
      `ids in ${LIST} that are not tests`,
    ).toEqual([]);
    expect(results.length).toBe(34);
    expect(details.join('\n\n'), 'unexpected failures').toBe('');
    expect(tally.unexpected, `listed in ${LIST} but passing now: remove them`).toEqual([]);
  });
}

async function loadRunner(): Promise<{ runner?: Runner; missing?: string }> {
  const name = 'rdf-test-suite';
  try {
    const mod = (await import(name)) as {
      TestSuiteRunner?: new () => Runner;
      default?: { TestSuiteRunner: new () => Runner };
    };
    const TestSuiteRunner = mod.TestSuiteRunner ?? mod.default?.TestSuiteRunner;
    if (!TestSuiteRunner) return { missing: 'rdf-test-suite has no TestSuiteRunner export' };
    return { runner: new TestSuiteRunner() };
  } catch (error) {
    return {
      missing: `rdf-test-suite is not installed (${(error as Error).message.split('\n')[0]}); add it: npm install --save-dev rdf-test-suite@^2.8.0`,
    };
  }
}
