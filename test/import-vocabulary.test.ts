// The vocabulary of imported studies: every bg: term the import mappings emit (as seen in the fixture cases'
// expected graphs and in the mapping queries) is declared in ontologies/benchgraph.ttl.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Parser } from 'n3';
import { describe, expect, it } from 'vitest';
import { prefixes } from '../src/namespaces.ts';
import { CASES_DIR } from './import-cases.ts';

const root = join(import.meta.dirname, '..');
const BG = prefixes.bg;
const parse = (file: string, format = 'Turtle') => new Parser({ format }).parse(readFileSync(file, 'utf8'));
const declared = (file: string) =>
  new Set(parse(join(root, 'ontologies', file)).filter((q) => q.predicate.value === `${prefixes.rdf}type`).map((q) => q.subject.value));

describe('the vocabulary of imported studies', () => {
  const core = declared('benchgraph.ttl');

  it('declares every bg: term the fixture cases store', () => {
    const used = new Set<string>();
    for (const entry of readdirSync(CASES_DIR, { withFileTypes: true })) {
      const name = entry.name;
      if (!entry.isDirectory() || !readdirSync(join(CASES_DIR, name)).includes('expected.trig')) continue;
      for (const q of parse(join(CASES_DIR, name, 'expected.trig'), 'TriG')) {
        for (const t of [q.predicate, q.object]) if (t.termType === 'NamedNode' && t.value.startsWith(BG)) used.add(t.value);
      }
    }
    expect(used.size).toBeGreaterThan(40);
    expect([...used].filter((t) => !core.has(t)).sort()).toEqual([]);
  });

  it('declares every bg: term the mapping queries write', () => {
    const mappings = join(root, 'mappings');
    const queries = ['gide', 'idr-study', 'dandi', 'ome-xml'].flatMap((f) =>
      readdirSync(join(mappings, f)).map((q) => readFileSync(join(mappings, f, q), 'utf8')),
    );
    const used = new Set(queries.flatMap((text) => [...text.matchAll(/\bbg:([A-Za-z]+)\b/g)].map((m) => `${BG}${m[1]}`)));
    expect([...used].filter((t) => !core.has(t)).sort()).toEqual([]);
  });

  it('declares the import terms in the one vocabulary', () => {
    expect(
      [
        'DerivationMethod',
        'DerivedTerm',
        'ImagingDataset',
        'LabelIndexMatch',
        'confidence',
        'derivationMethod',
        'derivedTerm',
        'fileCount',
        'importChecksum',
        'matchedText',
        'sourceProperty',
        'term',
      ]
        .map((t) => `${BG}${t}`)
        .filter((t) => !core.has(t)),
    ).toEqual([]);
  });
});
