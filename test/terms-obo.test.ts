// OBO 1.4 parser: terms read from a fixture, and parse errors that name the file and line.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { headerValue, oboTerms, parseObo } from '../src/terms/obo.ts';

const dir = new URL('./fixtures/terms/obo/', import.meta.url);
const read = (name: string) => readFileSync(new URL(name, dir), 'utf8');

describe('oboTerms', () => {
  it('reads labels, synonyms, is_a, part_of (also from intersection_of) and obsolete flags', () => {
    const doc = parseObo(read('mini.obo'), 'mini.obo');
    const expected = JSON.parse(read('mini.expected.json')) as unknown;
    expect([...oboTerms(doc).values()]).toEqual(expected);
  });

  it('reads header tags', () => {
    const doc = parseObo(read('mini.obo'), 'mini.obo');
    expect([
      headerValue(doc, 'data-version'),
      headerValue(doc, 'ontology'),
      headerValue(doc, 'date'),
    ]).toEqual(['mini/2024-01-01', 'mini', null]);
  });
});

describe('parse errors', () => {
  // Each bad fixture starts with a comment line `! expect: <message>`.
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.obo') && f !== 'mini.obo')) {
    const text = read(name);
    const expected = /^! expect: (.*)$/m.exec(text)?.[1];
    it(`reports ${name} with file and line`, () => {
      expect(expected).toBeDefined();
      expect(() => oboTerms(parseObo(text, name))).toThrow(expected!);
    });
  }
});
