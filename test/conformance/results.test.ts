// The conformance runners' own result readers and comparer: blank nodes by isomorphism, order only under ORDER BY.
import { describe, expect, it } from 'vitest';
import { hasTopLevelOrderBy } from './query-runner.ts';
import { fromCsv, fromSparqlXml, fromTsv, type Row, rowDifference, sameRows } from './results.ts';

const rows = (tsv: string): Row[] => {
  const result = fromTsv(tsv);
  if (result.kind !== 'bindings') throw new Error('expected bindings');
  return result.rows;
};

describe('result comparison', () => {
  it('matches solutions as a multiset, in any order', () => {
    expect(sameRows(rows('?x\n1\n2\n2\n'), rows('?x\n2\n1\n2\n'), false)).toBe(true);
    expect(sameRows(rows('?x\n1\n2\n2\n'), rows('?x\n1\n1\n2\n'), false)).toBe(false);
  });

  it('requires the same order only when asked to', () => {
    expect(sameRows(rows('?x\n1\n2\n'), rows('?x\n2\n1\n'), true)).toBe(false);
    expect(sameRows(rows('?x\n1\n2\n'), rows('?x\n1\n2\n'), true)).toBe(true);
  });

  it('renames blank nodes consistently across solutions', () => {
    const expected = rows('?a\t?b\n_:x\t_:x\n_:y\t_:z\n');
    expect(sameRows(expected, rows('?a\t?b\n_:q\t_:r\n_:p\t_:p\n'), false)).toBe(true);
    // Two labels cannot both stand for the same blank node.
    expect(sameRows(expected, rows('?a\t?b\n_:p\t_:p\n_:p\t_:r\n'), false)).toBe(false);
    expect(sameRows(rows('?a\n_:x\n'), rows('?a\n<http://example/a>\n'), false)).toBe(false);
  });

  it('treats an unbound variable as different from a bound one', () => {
    expect(sameRows(rows('?a\t?b\n1\t\n'), rows('?a\t?b\n1\t2\n'), false)).toBe(false);
  });

  it('compares numbers by lexical form unless asked to compare values', () => {
    const expected = rows('?n\n"1.0"^^<http://www.w3.org/2001/XMLSchema#decimal>\n');
    const actual = rows('?n\n"1"^^<http://www.w3.org/2001/XMLSchema#decimal>\n');
    expect(sameRows(expected, actual, false)).toBe(false);
    expect(sameRows(expected, actual, false, true)).toBe(true);
  });

  it('names the solutions only one side has', () => {
    expect(rowDifference(rows('?x\n1\n2\n'), rows('?x\n2\n3\n'))).toBe(
      [
        'only expected (1):',
        '  {x="1"^^<http://www.w3.org/2001/XMLSchema#integer>}',
        'only actual (1):',
        '  {x="3"^^<http://www.w3.org/2001/XMLSchema#integer>}',
      ].join('\n'),
    );
  });
});

describe('result readers', () => {
  it('reads SPARQL XML results with language tags, datatypes, entities, blank nodes and <unbound/>', () => {
    const xml = `<?xml version="1.0"?>
<sparql xmlns="http://www.w3.org/2005/sparql-results#">
  <head><variable name="s"/><variable name="o"/></head>
  <!-- a comment with <result> inside -->
  <results>
    <result><binding name="s"><bnode>r1</bnode></binding><binding name="o"><literal xml:lang="en">a &amp; b</literal></binding></result>
    <result><binding name="s"><uri>http://example/s</uri></binding><binding name="o"><unbound/></binding></result>
    <result/>
  </results>
</sparql>`;
    const result = fromSparqlXml(xml);
    expect(result.kind === 'bindings' && result.vars).toEqual(['s', 'o']);
    expect(
      sameRows(
        result.kind === 'bindings' ? result.rows : [],
        rows('?s\t?o\n_:b\t"a & b"@en\n<http://example/s>\t\n\t\n'),
        false,
      ),
    ).toBe(true);
    expect(fromSparqlXml('<sparql><head/><boolean>true</boolean></sparql>')).toEqual({
      kind: 'boolean',
      value: true,
    });
  });

  it('reads CSV cells as plain literals, keeping _: labels as blank nodes', () => {
    const result = fromCsv('x,y\r\n_:b0,"a,b"\r\nhttp://example/s,\r\n');
    expect(result.kind === 'bindings' && result.vars).toEqual(['x', 'y']);
    expect(
      sameRows(
        result.kind === 'bindings' ? result.rows : [],
        rows('?x\t?y\n_:q\t"a,b"\n"http://example/s"\t\n'),
        false,
      ),
    ).toBe(true);
  });
});

describe('ORDER BY detection', () => {
  it('sees a top-level ORDER BY and ignores one in a subquery, a string or a comment', () => {
    expect(hasTopLevelOrderBy('SELECT * { ?s ?p ?o } ORDER BY ?s')).toBe(true);
    expect(hasTopLevelOrderBy('SELECT * { { SELECT ?s { ?s ?p ?o } ORDER BY ?s LIMIT 1 } }')).toBe(false);
    expect(hasTopLevelOrderBy('SELECT * { ?s ?p "ORDER BY" } # ORDER BY ?s\n')).toBe(false);
  });
});
