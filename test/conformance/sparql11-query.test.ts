// W3C SPARQL 1.1 query tests (evaluation, result formats, syntax) from ../shared, run against the store module.
import { afterAll, describe, expect, it } from 'vitest';
import { newTally, readExpectedFailures, record, summary, type Tally } from './expected-failures.ts';
import { includedManifests, type ManifestEntry, manifestEntries, suiteMissing } from './manifest.ts';
import { runQueryTest, testKind } from './query-runner.ts';

const EXPECTED_FAILURES_FILE = 'sparql11-expected-failures.yaml';
const missing = suiteMissing();
if (missing) console.warn(missing);

const expectedFailures = readExpectedFailures(new URL(EXPECTED_FAILURES_FILE, import.meta.url));
// The query language manifest plus the result-format one (CSV/TSV/JSON results of SELECT queries).
const manifests = missing
  ? []
  : [
      ...includedManifests('manifest-sparql11-query.ttl'),
      ...includedManifests('manifest-sparql11-results.ttl'),
    ];
const entries: ManifestEntry[] = manifests.flatMap((m) => manifestEntries(m));
const tallies: Record<'evaluation' | 'syntax', Tally> = { evaluation: newTally(), syntax: newTally() };

describe.skipIf(missing !== undefined)('W3C SPARQL 1.1 query tests against the archive store', () => {
  afterAll(() => {
    console.log(summary('SPARQL 1.1 query evaluation tests', tallies.evaluation));
    console.log(summary('SPARQL 1.1 query syntax tests', tallies.syntax));
  });

  it('lists only expected failures that name a test of the suite', () => {
    const ids = new Set(entries.map((e) => e.id));
    expect([...expectedFailures.keys()].filter((id) => !ids.has(id))).toEqual([]);
  });

  for (const entry of entries) {
    it(`${entry.id}: ${entry.name}`, () => {
      const outcome = runQueryTest(entry);
      const reason = expectedFailures.get(entry.id);
      const tally = tallies[testKind(entry) === 'evaluation' ? 'evaluation' : 'syntax'];
      record(tally, entry.id, outcome.passed, reason);
      if (reason !== undefined) {
        expect(
          outcome.passed,
          `${entry.id} is listed in ${EXPECTED_FAILURES_FILE} (${reason}) but now passes: remove it`,
        ).toBe(false);
      } else {
        expect(outcome.passed ? '' : outcome.detail, `${entry.id} failed`).toBe('');
      }
    });
  }
});
