// Import fixture cases (test/fixtures/import/<case>): each case's inputs are imported into a fresh archive; the
// summary (counts, rejections, warnings) and the stored graphs must equal its expected.json and expected.trig.
import { join } from 'node:path';
import { isomorphic } from 'rdf-isomorphic';
import { describe, expect, it } from 'vitest';
import { CASES_DIR, caseNames, readExpected, runCase } from './import-cases.ts';

const cases = await caseNames();

describe('import fixture cases', () => {
  it('covers each format, each normalisation rule and each kind of bad input', () => {
    expect(cases).toEqual([
      'bad-broken-columns',
      'bad-dandi-unknown-version',
      'bad-invalid-jsonld',
      'bad-malformed-json',
      'bad-unknown-context',
      'bad-xml',
      'dandi-dandiset',
      'gide-study',
      'idr-study',
      'norm-local-terms',
      'norm-misspelt-species',
      'norm-misspelt-type',
      'norm-taxon-iri-forms',
      'norm-unexpanded-curie',
      'ome-xml-image',
    ]);
  });

  for (const name of cases) {
    it(`imports case ${name} as expected`, async () => {
      const dir = join(CASES_DIR, name);
      const [result, expected] = await Promise.all([runCase(dir), readExpected(dir)]);
      expect(result.summary).toEqual(expected.summary);
      const same = isomorphic(result.quads, expected.quads);
      if (!same) {
        // Show the difference as sorted N-Quads-like lines; blank nodes make this approximate, the check above is exact.
        const lines = (qs: typeof result.quads) =>
          qs.map((q) => `${q.subject.value} ${q.predicate.value} ${q.object.value}`).sort();
        expect(lines(result.quads)).toEqual(lines(expected.quads));
      }
      expect(same).toBe(true);
      expect(result.checksums).toHaveLength(result.summary.imported + result.summary.replaced);
      for (const c of result.checksums) expect(c).toMatch(/^sha256:[0-9a-f]{64}$/);
    });
  }
});
