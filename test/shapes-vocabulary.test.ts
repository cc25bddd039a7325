// The vocabulary behind the shapes: ontologies/benchgraph.ttl declares every bg: term the mapping and the shapes
// use, its alignments point at terms that exist, and the three lists of file formats agree.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Quad } from '@rdfjs/types';
import { Parser } from 'n3';
import { describe, expect, it } from 'vitest';
import { loadMapping } from '../src/ingest/mapping.ts';
import { prefixes } from '../src/namespaces.ts';

const root = join(import.meta.dirname, '..');
const BG = prefixes.bg;
const OBO = prefixes.obo;
const RDF_TYPE = `${prefixes.rdf}type`;
const ontology = new Parser().parse(readFileSync(join(root, 'ontologies', 'benchgraph.ttl'), 'utf8'));
const shapes = readdirSync(join(root, 'shapes'))
  .filter((f) => f.endsWith('.ttl'))
  .flatMap((f) => new Parser().parse(readFileSync(join(root, 'shapes', f), 'utf8')));
const mapping = loadMapping(join(root, 'mappings', 'bench-record.yaml'));

const values = (quads: Quad[], s: string, p: string) =>
  quads.filter((q) => q.subject.value === s && q.predicate.value === p).map((q) => q.object.value);

/** Every bg: IRI the mapping can emit: classes, predicates and closed-list values. */
function mappingTerms(): Set<string> {
  const terms = new Set<string>();
  for (const node of mapping.nodes.values()) {
    for (const c of node.classes) terms.add(c.value);
    for (const rule of node.rules.values()) {
      terms.add(rule.predicate.value);
      for (const v of rule.values?.values() ?? []) terms.add(v);
    }
  }
  terms.add(`${BG}unmappedField`);
  terms.add(`${BG}fieldName`);
  return new Set([...terms].filter((t) => t.startsWith(BG)));
}

/** The list an sh:in points at, in order. */
function rdfList(quads: Quad[], head: string): string[] {
  const out: string[] = [];
  for (let node = head; node !== `${prefixes.rdf}nil`; ) {
    out.push(values(quads, node, `${prefixes.rdf}first`)[0]!);
    node = values(quads, node, `${prefixes.rdf}rest`)[0]!;
  }
  return out;
}

describe('the benchgraph vocabulary', () => {
  it('is an OWL ontology with version, licence, creator and its namespace', () => {
    const ont = 'https://w3id.org/benchgraph/vocab';
    expect(values(ontology, ont, RDF_TYPE)).toEqual([`${prefixes.owl}Ontology`]);
    expect(values(ontology, ont, `${prefixes.owl}versionInfo`)).toEqual(['1.0.0']);
    expect(values(ontology, ont, `${prefixes.dcterms}license`)).toEqual([
      'http://spdx.org/licenses/CC-BY-4.0',
    ]);
    expect(values(ontology, ont, `${prefixes.dcterms}creator`)).toEqual(['benchgraph']);
    expect(values(ontology, ont, 'http://purl.org/vocab/vann/preferredNamespaceUri')).toEqual([BG]);
  });

  it('declares, labels and explains every bg: term the mapping and the shapes use', () => {
    const used = mappingTerms();
    for (const q of shapes)
      for (const t of [q.subject, q.predicate, q.object]) if (t.value.startsWith(BG)) used.add(t.value);
    expect(used.size).toBeGreaterThan(80);
    const missing = [...used].filter(
      (t) =>
        values(ontology, t, RDF_TYPE).length === 0 ||
        values(ontology, t, `${prefixes.rdfs}label`).length !== 1 ||
        values(ontology, t, `${prefixes.rdfs}comment`).length !== 1,
    );
    expect(missing).toEqual([]);
  });

  it('says in its comments which REMBI module each REMBI class expresses', () => {
    const modules: Record<string, string> = {
      Study: 'Study',
      StudyComponent: 'Study Component',
      Biosample: 'Biosample',
      Specimen: 'Specimen',
      ImageAcquisition: 'Image acquisition',
      ImageData: 'Image data',
      DataFile: 'Image data',
      ImageCorrelation: 'Image correlation',
      Analysis: 'Analysed data',
    };
    for (const [local, module] of Object.entries(modules)) {
      expect(values(ontology, BG + local, `${prefixes.rdfs}comment`)[0], local).toContain(
        `REMBI module '${module}'`,
      );
    }
  });

  it('keeps the file formats of the mapping, the ontology and the shapes in step', () => {
    const fromMapping = new Set(mapping.nodes.get('file')!.rules.get('format')!.values!.values());
    const fromOntology = new Set(
      ontology
        .filter((q) => q.predicate.value === RDF_TYPE && q.object.value === `${BG}FileFormat`)
        .map((q) => q.subject.value),
    );
    const head = values(
      shapes,
      'https://w3id.org/benchgraph/shapes#DataFile-format-known',
      `${prefixes.sh}in`,
    )[0]!;
    const fromShapes = new Set(rdfList(shapes, head));
    expect(fromOntology).toEqual(fromMapping);
    expect(fromShapes).toEqual(fromMapping);
  });
});

// The alignments are checked against the ontology files in ../shared (see ../shared/data/SOURCES.md).
const shared = fileURLToPath(new URL('../../shared/data/ontologies/', import.meta.url));
const haveShared = existsSync(join(shared, 'obi', 'obi.obo')) && existsSync(join(shared, 'pato', 'pato.obo'));

/** id -> is obsolete, for every [Term] and [Typedef] of an OBO file. */
function oboIds(file: string): Map<string, boolean> {
  const ids = new Map<string, boolean>();
  let current: string | undefined;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('[')) current = undefined;
    else if (line.startsWith('id: ')) {
      current = line.slice(4).trim();
      ids.set(current, false);
    } else if (current && line.startsWith('is_obsolete: true')) ids.set(current, true);
  }
  return ids;
}

describe.skipIf(!haveShared)('alignments to OBO ontologies (needs ../shared/data/ontologies)', () => {
  it('uses only OBI, IAO, BFO, COB and PATO terms that exist and are not obsolete', () => {
    const known = new Map([
      ...oboIds(join(shared, 'obi', 'obi.obo')),
      ...oboIds(join(shared, 'pato', 'pato.obo')),
    ]);
    const iris = new Set<string>();
    for (const q of ontology) if (q.object.value.startsWith(OBO)) iris.add(q.object.value);
    // Comments name PATO terms by ID; check those too.
    for (const q of ontology)
      for (const m of q.object.value.matchAll(/\b(PATO|OBI|COB|IAO|BFO)_(\d{7})\b/g))
        iris.add(`${OBO}${m[0]}`);
    expect(iris.size).toBeGreaterThan(15);
    const problems = [...iris]
      .map((iri) => iri.slice(OBO.length).replace('_', ':'))
      .filter((id) => known.get(id) !== false)
      // The comments of bg:Intervention and bg:Instrument name the obsolete OBI terms they replace.
      .filter((id) => id !== 'OBI:0000011' && id !== 'OBI:0000968');
    expect(problems).toEqual([]);
  });
});

if (!haveShared) {
  console.warn(
    `skipping OBO alignment checks: ${shared} not found (it holds the public ontologies, see SOURCES.md)`,
  );
}
