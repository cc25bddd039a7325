// Mapping fixtures: each *.input.yaml record must map to the graph in *.expected.trig (compared as isomorphic
// datasets) with exactly the issues listed in *.issues.yaml.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Quad as RdfQuad } from '@rdfjs/types';
import { Parser } from 'n3';
import { isomorphic } from 'rdf-isomorphic';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../src/config.ts';
import { loadLicenses, loadMapping, MappingError, mapRecord, type TermResolver } from '../src/ingest/mapping.ts';

const dir = join(import.meta.dirname, 'fixtures', 'mapping');
const config = loadConfig({}, {});
const mapping = loadMapping(config.mappingFile);
const licenses = loadLicenses(config.licensesFile);
const table = parse(readFileSync(join(dir, 'terms.yaml'), 'utf8')) as Record<string, Record<string, string>>;
const terms: TermResolver = {
  resolve(value, branch) {
    const iri = table[branch]?.[value];
    return iri
      ? { status: 'resolved', iri, label: value, match: 'exact' }
      : { status: 'unresolved', value, warning: `'${value}' is not a known ${branch} term` };
  },
};
const ctx = { base: 'http://localhost:8080/', archive: 'stroke-lab', terms, licenses };

function termText(t: { termType: string; value: string; datatype?: { value: string } }): string {
  if (t.termType === 'BlankNode') return '_:b';
  if (t.termType === 'Literal') return `"${t.value}"^^${t.datatype?.value}`;
  return `<${t.value}>`;
}

describe('mapping bench records to RDF', () => {
  const cases = readdirSync(dir).filter((f) => f.endsWith('.input.yaml'));
  it('has fixtures', () => expect(cases.length).toBeGreaterThanOrEqual(2));
  for (const file of cases) {
    const name = file.replace('.input.yaml', '');
    it(`maps ${name} to the expected graph`, () => {
      const record = parse(readFileSync(join(dir, file), 'utf8'));
      const result = mapRecord(mapping, record, ctx);
      const expected = new Parser({ format: 'application/trig' }).parse(readFileSync(join(dir, `${name}.expected.trig`), 'utf8'));
      if (!isomorphic(result.quads, expected)) {
        // Not isomorphic: show both sides with blank nodes blurred, so the diff points at the difference.
        const lines = (qs: RdfQuad[]) =>
          qs.map((q) => [q.subject, q.predicate, q.object, q.graph].map(termText).join(' ')).sort();
        expect(lines(result.quads)).toEqual(lines(expected));
      }
      const issues = parse(readFileSync(join(dir, `${name}.issues.yaml`), 'utf8')) as { severity: string; field: string }[];
      expect(result.issues.map(({ severity, field }) => ({ severity, field }))).toEqual(issues);
    });
  }

  it('names the chosen term when a value resolves by close spelling', () => {
    const fuzzy: TermResolver = {
      resolve: (value) => ({
        status: 'resolved',
        iri: 'http://purl.obolibrary.org/obo/NCBITaxon_10090',
        label: 'Mus musculus',
        match: 'fuzzy',
        warning: `'${value}' matched 'Mus musculus' (NCBITaxon_10090) by close spelling`,
      }),
    };
    const r = mapRecord(mapping, { kind: 'subject', id: 'M1', study: 's', species: 'Mus muculus' }, { ...ctx, terms: fuzzy });
    expect(r.issues).toEqual([
      { severity: 'warning', field: 'species', message: "'Mus muculus' matched 'Mus musculus' (NCBITaxon_10090) by close spelling" },
    ]);
  });

  it('reports a quantity with an unconvertible unit as an error on that field', () => {
    const r = mapRecord(mapping, { kind: 'session', id: 'S1', study: 's', subject: 'm', settings: { pixelSize: '3 parsecs' } }, ctx);
    expect(r.issues).toHaveLength(1);
    expect(r.issues[0]).toMatchObject({ severity: 'error', field: 'settings.pixelSize' });
    expect(r.issues[0].message).toMatch(/^unit 'parsecs' cannot be converted to um/);
  });

  it('rejects a mapping file with an unknown rule key, naming file and line', () => {
    const bad = join(dir, 'bad-mapping', 'unknown-key.yaml');
    expect(() => loadMapping(bad)).toThrow(MappingError);
    expect(() => loadMapping(bad)).toThrow(/unknown-key\.yaml:11: unknown rule key 'resolv'/);
  });
});
