// SHACL shape cases: each test/fixtures/shapes/*.ttl record must produce exactly the results its header expects,
// and every reporting shape must have a case that fails it and one that passes it.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Quad } from '@rdfjs/types';
import { Parser } from 'n3';
import { beforeAll, describe, expect, it } from 'vitest';
import { prefixes } from '../src/namespaces.ts';
import { loadShapes, type Shapes, validateRecord } from '../src/validate/validate.ts';

const casesDir = join(import.meta.dirname, 'fixtures', 'shapes');
const shapesDir = join(import.meta.dirname, '..', 'shapes');
const SH = prefixes.sh;
const RDF_TYPE = `${prefixes.rdf}type`;
const BGSH = 'https://w3id.org/benchgraph/shapes#';

type Case = { name: string; quads: Quad[]; expected: string[]; passes: string[] };

/** Reads a case: the Turtle data, and the `# expect:` / `# passes:` lines resolved against its prefixes and @base. */
function readCase(file: string): Case {
  const text = readFileSync(join(casesDir, file), 'utf8');
  const declared: Record<string, string> = {};
  const quads = new Parser().parse(text, null, (prefix, iri) => {
    declared[prefix] = iri.value;
  });
  const base = /^@base <([^>]+)>/m.exec(text)?.[1];
  if (base === undefined) throw new Error(`${file}: a case needs an @base (the record's IRI)`);
  const iri = (token: string, line: number): string => {
    if (token.startsWith('<') && token.endsWith('>')) return new URL(token.slice(1, -1), base).href;
    const i = token.indexOf(':');
    const ns = declared[token.slice(0, i)];
    if (i <= 0 || ns === undefined)
      throw new Error(`${file}:${line}: '${token}' is neither <IRI> nor a CURIE with a declared prefix`);
    return ns + token.slice(i + 1);
  };
  const expected: string[] = [];
  const passes: string[] = [];
  text.split('\n').forEach((line, n) => {
    const m = /^# (expect|passes):(.*)$/.exec(line);
    if (!m) return;
    const tokens = m[2]!.trim().split(/\s+/);
    if (m[1] === 'passes') passes.push(...tokens.map((t) => iri(t, n + 1)));
    else {
      if (tokens.length !== 3)
        throw new Error(`${file}:${n + 1}: expected '# expect: <Severity> <shape> <focus node>'`);
      expected.push(`${tokens[0]!.toLowerCase()} ${iri(tokens[1]!, n + 1)} ${iri(tokens[2]!, n + 1)}`);
    }
  });
  return { name: file.replace(/\.ttl$/, ''), quads, expected: expected.sort(), passes };
}

/** The shapes graph as quads, for questions about the shapes themselves. */
function shapesGraph(): Quad[] {
  return readdirSync(shapesDir)
    .filter((f) => f.endsWith('.ttl'))
    .flatMap((f) => new Parser().parse(readFileSync(join(shapesDir, f), 'utf8')));
}

const cases = readdirSync(casesDir)
  .filter((f) => f.endsWith('.ttl'))
  .sort()
  .map(readCase);
const graph = shapesGraph();
const objects = (s: string, p: string) =>
  graph.filter((q) => q.subject.value === s && q.predicate.value === p).map((q) => q.object);
const reporting = [
  ...new Set(graph.filter((q) => q.predicate.value === `${SH}severity`).map((q) => q.subject.value)),
].sort();

/** Classes whose instances a shape checks: its own sh:targetClass, or that of the node shapes using it. */
function targetClasses(shape: string): string[] {
  const own = objects(shape, `${SH}targetClass`).map((t) => t.value);
  if (own.length > 0) return own;
  const parents = graph
    .filter((q) => q.predicate.value === `${SH}property` && q.object.value === shape)
    .map((q) => q.subject.value);
  return parents.flatMap(targetClasses);
}

let shapes: Shapes;
beforeAll(async () => {
  shapes = await loadShapes(shapesDir);
});

const resultLines = async (quads: Quad[]) =>
  (await validateRecord(shapes, quads)).results.map((r) => `${r.severity} ${r.shape} ${r.focusNode}`).sort();

describe('shape cases', () => {
  it('finds the cases', () => expect(cases.length).toBeGreaterThanOrEqual(15));
  for (const c of cases) {
    it(`${c.name}: reports exactly what the case expects`, async () => {
      expect(await resultLines(c.quads)).toEqual(c.expected);
    });
    if (c.passes.length > 0) {
      it(`${c.name}: has a node for every shape it passes`, () => {
        const types = new Set(
          c.quads.filter((q) => q.predicate.value === RDF_TYPE).map((q) => q.object.value),
        );
        for (const shape of c.passes) {
          expect(reporting, `${shape} is not a reporting shape`).toContain(shape);
          expect(
            targetClasses(shape).some((t) => types.has(t)),
            `no node in ${c.name} is checked by ${shape}`,
          ).toBe(true);
          expect(
            c.expected.some((e) => e.split(' ')[1] === shape),
            `${shape} both passes and fails in ${c.name}`,
          ).toBe(false);
        }
      });
    }
  }
});

describe('the shapes', () => {
  it('has a failing and a passing case for every shape that reports', () => {
    const failing = new Set(cases.flatMap((c) => c.expected.map((e) => e.split(' ')[1])));
    const passing = new Set(cases.flatMap((c) => c.passes));
    expect(reporting.filter((s) => !failing.has(s))).toEqual([]);
    expect(reporting.filter((s) => !passing.has(s))).toEqual([]);
  });

  it('names every shape with an IRI in the shapes namespace', () => {
    const shapeTerms = graph
      .filter(
        (q) =>
          q.predicate.value === RDF_TYPE && [`${SH}NodeShape`, `${SH}PropertyShape`].includes(q.object.value),
      )
      .map((q) => q.subject);
    const pathOwners = graph.filter((q) => q.predicate.value === `${SH}path`).map((q) => q.subject);
    const used = graph
      .filter((q) =>
        [`${SH}property`, `${SH}node`, `${SH}not`, `${SH}qualifiedValueShape`].includes(q.predicate.value),
      )
      .map((q) => q.object);
    for (const t of [...shapeTerms, ...pathOwners, ...used]) {
      expect(t.termType, `a shape without an IRI: ${t.value}`).toBe('NamedNode');
      expect(t.value.startsWith(BGSH), t.value).toBe(true);
    }
    // sh:or lists hold named shapes too.
    const listMembers = graph
      .filter((q) => q.predicate.value === `${prefixes.rdf}first`)
      .map((q) => q.object);
    const orLists = graph.filter((q) => q.predicate.value === `${SH}or`);
    expect(orLists.length).toBe(2);
    for (const m of listMembers.filter((t) => t.value.startsWith(BGSH))) expect(m.termType).toBe('NamedNode');
  });

  it('gives every reporting shape a message that names the field as the lab writes it', () => {
    for (const shape of reporting) {
      const messages = objects(shape, `${SH}message`);
      expect(messages, shape).toHaveLength(1);
      expect(messages[0]!.value, shape).toMatch(/\(field '[A-Za-z]+'/);
    }
  });

  it('states every target explicitly with sh:targetClass', () => {
    const targeted = graph
      .filter((q) => q.predicate.value.startsWith(`${SH}target`))
      .map((q) => q.predicate.value);
    expect(new Set(targeted)).toEqual(new Set([`${SH}targetClass`]));
  });
});

describe("shacl-engine's implicit class targets", () => {
  // shacl-engine treats every sh:NodeShape as a class target for itself, even without rdfs:Class (SHACL 2.1.3.3
  // asks for both). A data node typed with a shape's IRI is therefore validated by that shape.
  it('validates a node whose rdf:type is a node shape IRI', async () => {
    const node = 'urn:example:typed-as-shape';
    const quads = new Parser().parse(`<${node}> a <${BGSH}Session> .`);
    const lines = await resultLines(quads);
    expect(lines).toEqual(
      [
        'violation Session-modality',
        'violation Session-when',
        'violation Session-subject',
        'violation Session-study',
        'warning Session-instrument',
        'warning Session-settings',
        'warning Session-region',
        'info Session-files',
        'info Session-publication',
      ]
        .map((s) => {
          const [severity, shape] = s.split(' ');
          return `${severity} ${BGSH}${shape} ${node}`;
        })
        .sort(),
    );
  });

  it('cannot be triggered by mapped data: no shape IRI is a class of the vocabulary', () => {
    const ontology = new Parser().parse(
      readFileSync(join(import.meta.dirname, '..', 'ontologies', 'benchgraph.ttl'), 'utf8'),
    );
    const classes = new Set(
      ontology.filter((q) => q.predicate.value === RDF_TYPE).map((q) => q.subject.value),
    );
    const shapeIris = graph
      .filter((q) => q.predicate.value === RDF_TYPE && q.object.value === `${SH}NodeShape`)
      .map((q) => q.subject.value);
    expect(shapeIris.length).toBeGreaterThan(10);
    expect(shapeIris.filter((s) => classes.has(s) || !s.startsWith(BGSH))).toEqual([]);
  });
});
