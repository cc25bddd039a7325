// Store behaviour: loading archives (records, provenance, ontology slims), SPARQL over them (the default graph as the
// merge of the record graphs, each triple once), refreshes, errors.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Quad } from '@rdfjs/types';
import { Quad as N3Quad, Parser, Writer } from 'n3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Archive, openArchive, type StoredRecord } from '../src/archive/archive.ts';
import { ONTOLOGY_GRAPH } from '../src/namespaces.ts';
import { queryProtocol, updateStore } from '../src/store/query.ts';
import {
  type ArchiveStore,
  dumpGraph,
  loadArchiveStore,
  QueryError,
  queryStore,
  queryStoreSerialized,
  reloadGraphs,
  scanQuery,
  storeStats,
} from '../src/store/store.ts';
import { loadUnionStore } from '../src/store/union.ts';
import { tempDataDir } from './helpers/archive-snapshot.ts';
import { SYNTHETIC_BASE, syntheticRecords } from './helpers/archive-synthetic.ts';

const fixtures = new URL('./fixtures/archive/store/', import.meta.url);
const ontology = fileURLToPath(new URL('ontology-slim.ttl', fixtures));
const BASE = 'http://localhost:8080/id/stroke-lab/';
const BIA = 'https://www.ebi.ac.uk/bioimage-archive/';
const SCHEMA_NAME = 'http://schema.org/name';
const JSON_RESULTS = 'application/sparql-results+json';
const INFO = { mapping: 'mappings/stroke-lab.yaml', mappingVersion: '1.0.0', agent: 'tester' };

let dataDir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dataDir, cleanup } = await tempDataDir());
});
afterEach(async () => {
  await cleanup();
});

// An archive with one record per named graph of a TriG fixture, IRIs resolved against the archive's base
// (http://localhost:8080/id/<name>/); sourceLine is the line where the graph starts.
async function fixtureArchive(file = 'records.trig', name = 'stroke-lab'): Promise<Archive> {
  const base = `http://localhost:8080/id/${name}/`;
  const text = await readFile(new URL(file, fixtures), 'utf8');
  const byGraph = new Map<string, Quad[]>();
  for (const q of new Parser({ format: 'TriG', baseIRI: base }).parse(text)) {
    byGraph.set(q.graph.value, [...(byGraph.get(q.graph.value) ?? []), q]);
  }
  const lines = text.split('\n');
  const records: StoredRecord[] = [...byGraph].map(([graph, quads]) => {
    const id = graph.slice(base.length);
    const start = (l: string) => l.startsWith(`id:${id.replace('/', '\\/')} {`) || l.startsWith(`<${id}> {`);
    return { recordId: id, graph, quads, sourceFile: file, sourceLine: lines.findIndex(start) + 1 };
  });
  const archive = await openArchive(dataDir, name, { create: true, meta: { baseIri: base } });
  await archive.writeBatch(records, INFO);
  return archive;
}

// The quads of every named graph and the triples of the store's own default graph, sorted, blank node labels
// blanked (oxigraph renames blank nodes on load).
function canonicalDump(store: ArchiveStore): string[] {
  const tsv = (sparql: string) =>
    queryStoreSerialized(store, sparql, 'text/tab-separated-values', { unionDefaultGraph: false })
      .split('\n')
      .slice(1)
      .filter(Boolean)
      .map((l) => l.replace(/_:\S+/g, '_:b'));
  return [
    ...tsv('SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }'),
    ...tsv('SELECT ?s ?p ?o WHERE { ?s ?p ?o }').map((l) => `default\t${l}`),
  ].sort();
}

// SELECT or ASK results of a query on a store.
function select(store: ArchiveStore, sparql: string) {
  const result = queryStore(store, sparql);
  if (!('results' in result)) throw new Error(`expected a SELECT or ASK query: ${sparql}`);
  return result.results;
}

// The values of one variable in the rows of a SELECT, in order.
function column(store: ArchiveStore, sparql: string, variable: string): string[] {
  return (select(store, sparql).results?.bindings ?? []).map((b) => {
    const term = b[variable];
    if (term === undefined || term.type === 'triple') throw new Error(`expected ?${variable} bound to a term in ${sparql}`);
    return term.value;
  });
}

// Each fixture set is a TriG file of records with .rq/.json pairs, run on an archive of those records.
const QUERY_SETS = [
  { dir: 'queries/', file: 'records.trig', name: 'stroke-lab', ontologyFiles: [ontology] },
  { dir: 'shared-triples/queries/', file: 'shared-triples/records.trig', name: 'gide', ontologyFiles: [] },
];

describe('SPARQL over a loaded archive', async () => {
  const cases = (
    await Promise.all(
      QUERY_SETS.map(async (set) =>
        (await readdir(new URL(set.dir, fixtures)))
          .filter((f) => f.endsWith('.rq'))
          .sort()
          .map((f) => ({ ...set, query: `${set.dir}${f}` })),
      ),
    )
  ).flat();
  it.each(cases)('answers $query as expected', async ({ query, file, name, ontologyFiles }) => {
    const store = await loadArchiveStore(await fixtureArchive(file, name), { ontologyFiles });
    const sparql = await readFile(new URL(query, fixtures), 'utf8');
    const expected = JSON.parse(await readFile(new URL(query.replace(/\.rq$/, '.json'), fixtures), 'utf8'));
    const result = queryStore(store, sparql);
    expect(result.form === 'SELECT' || result.form === 'ASK').toBe(true);
    expect('results' in result && result.results).toEqual(expected);
  });

  it('answers CONSTRUCT with n3 quads', async () => {
    const store = await loadArchiveStore(await fixtureArchive());
    const result = queryStore(
      store,
      `CONSTRUCT { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l }
       WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l FILTER (!STRSTARTS(STR(?s), "${BASE}_prov/")) }`,
    );
    if (result.form !== 'CONSTRUCT') throw new Error(`expected CONSTRUCT, got ${result.form}`);
    expect(result.quads.every((q) => q instanceof N3Quad)).toBe(true);
    const lines = new Writer({ format: 'N-Triples' })
      .quadsToString(result.quads)
      .split('\n')
      .filter(Boolean)
      .sort();
    expect(lines).toEqual([
      '<http://localhost:8080/id/stroke-lab/sample/A1> <http://www.w3.org/2000/01/rdf-schema#label> "Sample A1"@en .',
      '<http://localhost:8080/id/stroke-lab/session/S1> <http://www.w3.org/2000/01/rdf-schema#label> "Session 1" .',
      '<http://localhost:8080/id/stroke-lab/session/S2> <http://www.w3.org/2000/01/rdf-schema#label> "Session 2" .',
    ]);
  });

  it('answers DESCRIBE with the quads about the resource, its provenance included', async () => {
    const store = await loadArchiveStore(await fixtureArchive());
    const result = queryStore(store, `DESCRIBE <${BASE}sample/A1>`);
    expect(result.form).toBe('DESCRIBE');
    expect('quads' in result && result.quads.map((q) => q.predicate.value).sort()).toEqual([
      'http://purl.org/dc/terms/identifier',
      'http://www.w3.org/1999/02/22-rdf-syntax-ns#type',
      'http://www.w3.org/2000/01/rdf-schema#label',
      'http://www.w3.org/ns/prov#generatedAtTime',
      'http://www.w3.org/ns/prov#wasAttributedTo',
      'http://www.w3.org/ns/prov#wasDerivedFrom',
      'http://www.w3.org/ns/prov#wasGeneratedBy',
      'https://example.org/vocab#organism',
      'https://w3id.org/benchgraph/vocab#sourceLine',
    ]);
  });

  it("keeps the merge of the record graphs as the store's own default graph, so switching the union off changes nothing", async () => {
    const store = await loadArchiveStore(await fixtureArchive('shared-triples/records.trig', 'gide'));
    const sparql = `SELECT ?o WHERE { <${BIA}> ?p ?o } ORDER BY ?o`;
    const own = queryStoreSerialized(store, sparql, 'text/csv', { unionDefaultGraph: false });
    expect(own).toBe('o\r\nhttp://schema.org/Organization\r\nBioImage Archive\r\n');
    expect(queryStoreSerialized(store, sparql, 'text/csv')).toBe(own);
  });

  it('resolves relative IRIs against the given base', async () => {
    const store = await loadArchiveStore(await fixtureArchive());
    const result = queryStore(
      store,
      'SELECT ?l WHERE { <sample/A1> <http://www.w3.org/2000/01/rdf-schema#label> ?l }',
      {
        baseIri: BASE,
      },
    );
    expect('results' in result && result.results.results?.bindings).toEqual([
      { l: { type: 'literal', value: 'Sample A1', 'xml:lang': 'en' } },
    ]);
  });

  it('serializes results with the engine in the requested media type', async () => {
    const store = await loadArchiveStore(await fixtureArchive());
    const csv = queryStoreSerialized(
      store,
      `SELECT ?s ?l WHERE { GRAPH ?s { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l } } ORDER BY ?s`,
      'text/csv',
    );
    expect(csv).toBe(
      's,l\r\nhttp://localhost:8080/id/stroke-lab/sample/A1,Sample A1\r\n' +
        'http://localhost:8080/id/stroke-lab/session/S1,Session 1\r\nhttp://localhost:8080/id/stroke-lab/session/S2,Session 2\r\n',
    );
  });

  it('dumps one record graph', async () => {
    const store = await loadArchiveStore(await fixtureArchive());
    expect(
      dumpGraph(store, `${BASE}sample/A1`, 'application/n-triples').split('\n').filter(Boolean).sort(),
    ).toEqual([
      '<http://localhost:8080/id/stroke-lab/sample/A1> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://purl.obolibrary.org/obo/OBI_0100051> .',
      '<http://localhost:8080/id/stroke-lab/sample/A1> <http://www.w3.org/2000/01/rdf-schema#label> "Sample A1"@en .',
      '<http://localhost:8080/id/stroke-lab/sample/A1> <https://example.org/vocab#organism> <http://purl.obolibrary.org/obo/NCBITaxon_10090> .',
    ]);
  });

  it('raises a QueryError with the engine message for a malformed query', async () => {
    const store = await loadArchiveStore(await fixtureArchive());
    expect(() => queryStore(store, 'SELECT ?s WHERE { ?s ?p }')).toThrow(QueryError);
    expect(() => queryStore(store, 'SELECT ?s WHERE { ?s ?p }')).toThrow(
      'error at 1:26: expected one of LATERAL, SERVICE, [_]',
    );
    expect(() => queryStore(store, 'INSERT DATA { <http://a> <http://b> <http://c> }')).toThrow(QueryError);
  });
});

describe('loading', () => {
  it('counts triples and graphs, with and without ontology slims', async () => {
    const archive = await fixtureArchive();
    const recordTriples = archive.stats().triples;
    const provenanceTriples = (await readFile(archive.provenancePath, 'utf8'))
      .split('\n')
      .filter(Boolean).length;
    // No triple of this fixture is in two graphs, so the default graph holds as many triples as the named graphs.
    expect(storeStats(await loadArchiveStore(archive))).toEqual({
      triples: recordTriples + provenanceTriples,
      graphs: 4,
      defaultTriples: recordTriples + provenanceTriples,
    });
    const withOntology = await loadArchiveStore(archive.dir, { ontologyFiles: [ontology] });
    expect(storeStats(withOntology)).toEqual({
      triples: recordTriples + provenanceTriples + 9,
      graphs: 5,
      defaultTriples: recordTriples + provenanceTriples + 9,
    });
    const inOntologyGraph = queryStore(withOntology, `ASK { GRAPH <${ONTOLOGY_GRAPH}> { ?c a ?t } }`);
    expect('results' in inOntologyGraph && inOntologyGraph.results.boolean).toBe(true);
  });

  it('keeps the blank nodes of different records apart', async () => {
    const store = await loadArchiveStore(await fixtureArchive());
    const result = queryStore(
      store,
      'SELECT (COUNT(DISTINCT ?b) AS ?n) WHERE { ?s <https://example.org/vocab#settings> ?b }',
    );
    expect('results' in result && result.results.results?.bindings[0].n.value).toBe('2');
  });

  it('loads the same dataset in strict mode', async () => {
    const archive = await openArchive(dataDir, 'synthetic', {
      create: true,
      meta: { baseIri: SYNTHETIC_BASE },
    });
    await archive.writeBatch(syntheticRecords(300, 12), INFO);
    expect(canonicalDump(await loadArchiveStore(archive, { strict: true }))).toEqual(
      canonicalDump(await loadArchiveStore(archive)),
    );
  });

  it('names the segment and record whose quads do not parse', async () => {
    const archive = await openArchive(dataDir, 'synthetic', {
      create: true,
      meta: { baseIri: SYNTHETIC_BASE },
    });
    await archive.writeBatch(syntheticRecords(3), INFO);
    const entry = archive.record('session/S000001')!;
    const path = join(archive.dir, entry.segment);
    const bytes = await readFile(path);
    // Same length, so the other records stay where the manifest says.
    bytes.write('<http://a> <http://b> .'.padEnd(entry.length - 1, ' '), entry.offset);
    await writeFile(path, bytes);
    await expect(loadArchiveStore(archive)).rejects.toThrow(
      `${path} (record "session/S000001" at offset ${entry.offset}): Parser error at line 1 column 23: The object of a triple must be an IRI, a blank node or a literal`,
    );
  });

  it('names the record whose line is not in the graph the manifest gives it', async () => {
    const archive = await openArchive(dataDir, 'synthetic', {
      create: true,
      meta: { baseIri: SYNTHETIC_BASE },
    });
    await archive.writeBatch(syntheticRecords(3), INFO);
    const entry = archive.record('session/S000002')!;
    const path = join(archive.dir, entry.segment);
    const bytes = await readFile(path);
    // The first line's graph IRI, one character changed: still N-Quads, but in another graph than the record's.
    const lineEnd = bytes.indexOf(10, entry.offset);
    bytes.write('X', lineEnd - 4);
    await writeFile(path, bytes);
    await expect(loadArchiveStore(archive)).rejects.toThrow(
      `${path} (record "session/S000002" at offset ${entry.offset}): line 1 does not end with its graph ` +
        `<${entry.graph}>; expected the archive's canonical N-Quads ("S P O <graph> .")`,
    );
  });

  it('names an ontology file that does not parse or has an unknown type', async () => {
    const archive = await fixtureArchive();
    const bad = join(dataDir, 'bad.ttl');
    await writeFile(bad, '@prefix obo: <http://purl.obolibrary.org/obo/> .\nobo:X a .\n');
    await expect(loadArchiveStore(archive, { ontologyFiles: [bad] })).rejects.toThrow(
      `${bad}: Parser error at line 2`,
    );
    await expect(loadArchiveStore(archive, { ontologyFiles: [join(dataDir, 'slim.obo')] })).rejects.toThrow(
      `${join(dataDir, 'slim.obo')}: unknown ontology file type; expected one of .ttl, .nt, .owl, .rdf`,
    );
  });

  it('brings a store up to date after a batch and a removal, as a full reload would', async () => {
    const archive = await openArchive(dataDir, 'synthetic', {
      create: true,
      meta: { baseIri: SYNTHETIC_BASE },
    });
    await archive.writeBatch(syntheticRecords(20), INFO);
    const store = await loadArchiveStore(archive);
    const batch = await archive.writeBatch(syntheticRecords(10, 5, { start: 15, variant: 'v2' }), INFO);
    await reloadGraphs(store, archive, batch.graphs);
    expect(canonicalDump(store)).toEqual(canonicalDump(await loadArchiveStore(archive)));
    const removal = await archive.removeRecords(['session/S000003', 'session/S000017']);
    await reloadGraphs(store, archive, removal.graphs);
    expect(canonicalDump(store)).toEqual(canonicalDump(await loadArchiveStore(archive)));
    expect(storeStats(store).graphs).toBe(24);
  });
});

describe('loading selected graphs', () => {
  it('reloads one graph from its byte range as a full reload would', async () => {
    const archive = await openArchive(dataDir, 'synthetic', {
      create: true,
      meta: { baseIri: SYNTHETIC_BASE },
    });
    await archive.writeBatch(syntheticRecords(20, 3), INFO);
    const store = await loadArchiveStore(archive);
    const full = canonicalDump(store);
    const graph = archive.record('session/S000007')!.graph;
    const before = dumpGraph(store, graph, 'application/n-triples');
    await reloadGraphs(store, archive, [graph]);
    expect(dumpGraph(store, graph, 'application/n-triples').replace(/_:\S+/g, '_:b')).toBe(
      before.replace(/_:\S+/g, '_:b'),
    );
    expect(canonicalDump(store)).toEqual(full);
  });
});

describe('the default graph holds each triple once', () => {
  it('keeps a triple another record still holds when one record is replaced, and drops it with the last', async () => {
    const archive = await fixtureArchive('shared-triples/records.trig', 'gide');
    const base = archive.meta.baseIri;
    const store = await loadArchiveStore(archive);
    expect(storeStats(store)).toMatchObject({ graphs: 3 });
    const { triples, defaultTriples } = storeStats(store);
    expect(triples - defaultTriples).toBe(2);
    const names = `SELECT ?n WHERE { <${BIA}> <${SCHEMA_NAME}> ?n }`;
    const published = `SELECT ?s WHERE { ?s <http://schema.org/publisher> <${BIA}> } ORDER BY ?s`;
    expect(column(store, names, 'n')).toEqual(['BioImage Archive']);

    // Study 1 again, without its publisher: the publisher's name stays (study 2 holds it), study 1's link goes.
    const S1 = `${base}study/S1`;
    const replaced = await archive.writeBatch(
      [
        {
          recordId: 'study/S1',
          graph: S1,
          quads: new Parser({ baseIRI: base }).parse(
            `<${S1}> a <http://schema.org/Dataset> ; <${SCHEMA_NAME}> "Study 1, revised" .`,
          ),
          sourceFile: 'records.trig',
          sourceLine: 7,
        },
      ],
      INFO,
    );
    await reloadGraphs(store, archive, replaced.graphs);
    expect(column(store, names, 'n')).toEqual(['BioImage Archive']);
    expect(column(store, published, 's')).toEqual([`${base}study/S2`]);
    expect(column(store, `SELECT ?n WHERE { <${S1}> <${SCHEMA_NAME}> ?n }`, 'n')).toEqual(['Study 1, revised']);
    expect(canonicalDump(store)).toEqual(canonicalDump(await loadArchiveStore(archive)));

    const removal = await archive.removeRecords(['study/S2']);
    await reloadGraphs(store, archive, removal.graphs);
    expect(column(store, names, 'n')).toEqual([]);
    expect(column(store, published, 's')).toEqual([]);
    expect(column(store, `SELECT ?p WHERE { <${BIA}> ?p ?o }`, 'p')).toEqual([]);
    expect(canonicalDump(store)).toEqual(canonicalDump(await loadArchiveStore(archive)));
  });

  it('merges archives of a union store and the ontology into one default graph, each triple once', async () => {
    await fixtureArchive('shared-triples/records.trig', 'gide-a');
    await fixtureArchive('shared-triples/records.trig', 'gide-b');
    const union = await loadUnionStore(dataDir, { ontologyFiles: [ontology] });
    expect(column(union.store, `SELECT ?n WHERE { <${BIA}> <${SCHEMA_NAME}> ?n }`, 'n')).toEqual([
      'BioImage Archive',
    ]);
    expect(column(union.store, `SELECT ?g WHERE { GRAPH ?g { <${BIA}> <${SCHEMA_NAME}> ?n } } ORDER BY ?g`, 'g')).toEqual(
      [
        'http://localhost:8080/id/gide-a/study/S1',
        'http://localhost:8080/id/gide-a/study/S2',
        'http://localhost:8080/id/gide-b/study/S1',
        'http://localhost:8080/id/gide-b/study/S2',
      ],
    );
    const studies = `SELECT ?s WHERE { ?s <http://schema.org/publisher> ?p . ?p <${SCHEMA_NAME}> ?n } ORDER BY ?s`;
    expect(column(union.store, studies, 's')).toHaveLength(4);
    const label = 'SELECT ?l WHERE { <http://purl.obolibrary.org/obo/OBI_0000070> <http://www.w3.org/2000/01/rdf-schema#label> ?l }';
    expect(column(union.store, label, 'l')).toEqual(['assay']);
  });

  it('shares the blank nodes of an ontology slim between its graph and the default graph', async () => {
    const archive = await fixtureArchive();
    const slim = join(dataDir, 'restriction.ttl');
    await writeFile(
      slim,
      '@prefix owl: <http://www.w3.org/2002/07/owl#> .\n@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n' +
        '<http://e/A> rdfs:subClassOf [ a owl:Restriction ; owl:onProperty <http://e/p> ] .\n',
    );
    const store = await loadArchiveStore(archive, { ontologyFiles: [slim] });
    const sparql = `SELECT ?p WHERE { <http://e/A> <http://www.w3.org/2000/01/rdf-schema#subClassOf> ?r .
      GRAPH <${ONTOLOGY_GRAPH}> { ?r <http://www.w3.org/2002/07/owl#onProperty> ?p } }`;
    expect(column(store, sparql, 'p')).toEqual(['http://e/p']);
  });

  it('answers protocol queries over the merge, a request dataset, FROM, and after test-mode updates', async () => {
    const archive = await fixtureArchive('shared-triples/records.trig', 'gide');
    const base = archive.meta.baseIri;
    const store = await loadArchiveStore(archive);
    const rows = (sparql: string, opts: Parameters<typeof queryProtocol>[3] = {}) =>
      (JSON.parse(queryProtocol(store, sparql, JSON_RESULTS, opts)) as { results: { bindings: unknown[] } }).results
        .bindings.length;
    const names = `SELECT ?n WHERE { <${BIA}> <${SCHEMA_NAME}> ?n }`;
    expect(rows(names)).toBe(1);
    expect(rows(names, { dataset: { defaultGraphs: [`${base}study/S2`], namedGraphs: [] } })).toBe(1);
    expect(rows(`SELECT ?n FROM <${base}study/S1> WHERE { <${BIA}> <${SCHEMA_NAME}> ?n }`)).toBe(1);
    expect(
      rows(`SELECT ?g WHERE { GRAPH ?g { <${BIA}> <${SCHEMA_NAME}> ?n } }`, {
        dataset: { defaultGraphs: [], namedGraphs: [`${base}study/S1`] },
      }),
    ).toBe(1);
    // Updates change the graphs they name: the store's own default graph, or a named graph.
    updateStore(store, `INSERT DATA { <${BIA}> <${SCHEMA_NAME}> "EMBL-EBI BioImage Archive" }`);
    updateStore(store, 'INSERT DATA { GRAPH <http://e/g> { <http://e/a> <http://e/b> "c" } }');
    expect(rows(names)).toBe(2);
    expect(rows('SELECT * WHERE { GRAPH <http://e/g> { ?s ?p ?o } }')).toBe(1);
    expect(rows('SELECT * WHERE { <http://e/a> ?p ?o }')).toBe(0);
  });
});

describe('query shape', () => {
  it.each<[string, string, { form: string | undefined; hasDataset: boolean }]>([
    ['a plain SELECT', 'SELECT * WHERE { ?s ?p ?o }', { form: 'SELECT', hasDataset: false }],
    ['lower case', 'ask { ?s ?p ?o }', { form: 'ASK', hasDataset: false }],
    [
      'a prologue with # in IRIs and comments naming other forms',
      '# ASK first?\nBASE <http://x/>\nPREFIX ex: <http://ex.org/a#> # CONSTRUCT\nPREFIX : <http://y#>\nDESCRIBE ex:a',
      { form: 'DESCRIBE', hasDataset: false },
    ],
    ['CONSTRUCT WHERE', 'CONSTRUCT WHERE { ?s ?p ?o }', { form: 'CONSTRUCT', hasDataset: false }],
    ['FROM', 'SELECT * FROM <http://g> WHERE { ?s ?p ?o }', { form: 'SELECT', hasDataset: true }],
    [
      'FROM NAMED',
      'SELECT * from named <http://g> { GRAPH ?g { ?s ?p ?o } }',
      { form: 'SELECT', hasDataset: true },
    ],
    [
      'FROM only inside strings, variables and prefixed names',
      'PREFIX from: <http://f#>\nSELECT ?from WHERE { ?from from:FROM "FROM" . ?x <http://a/FROM> """\nFROM""" } # FROM',
      { form: 'SELECT', hasDataset: false },
    ],
    ['an update', 'INSERT DATA { <http://a> <http://b> <http://c> }', { form: undefined, hasDataset: false }],
    ['nothing', '  # just a comment', { form: undefined, hasDataset: false }],
  ])('reads %s', (_, sparql, expected) => {
    expect(scanQuery(sparql)).toEqual(expected);
  });
});
