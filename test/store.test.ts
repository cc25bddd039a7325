// Store behaviour: loading archives (records, provenance, ontology slims), SPARQL over them, refreshes, errors.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Quad } from '@rdfjs/types';
import { Quad as N3Quad, Parser, Writer } from 'n3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Archive, openArchive, type StoredRecord } from '../src/archive/archive.ts';
import { ONTOLOGY_GRAPH } from '../src/namespaces.ts';
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
import { tempDataDir } from './helpers/archive-snapshot.ts';
import { SYNTHETIC_BASE, syntheticRecords } from './helpers/archive-synthetic.ts';

const fixtures = new URL('./fixtures/archive/store/', import.meta.url);
const ontology = fileURLToPath(new URL('ontology-slim.ttl', fixtures));
const BASE = 'http://localhost:8080/id/stroke-lab/';
const INFO = { mapping: 'mappings/stroke-lab.yaml', mappingVersion: '1.0.0', agent: 'tester' };

let dataDir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dataDir, cleanup } = await tempDataDir());
});
afterEach(async () => {
  await cleanup();
});

// One record per named graph of records.trig; sourceLine is the line where the graph starts.
async function fixtureArchive(): Promise<Archive> {
  const text = await readFile(new URL('records.trig', fixtures), 'utf8');
  const byGraph = new Map<string, Quad[]>();
  for (const q of new Parser({ format: 'TriG' }).parse(text)) {
    byGraph.set(q.graph.value, [...(byGraph.get(q.graph.value) ?? []), q]);
  }
  const lines = text.split('\n');
  const records: StoredRecord[] = [...byGraph].map(([graph, quads]) => {
    const id = graph.slice(BASE.length);
    return {
      recordId: id,
      graph,
      quads,
      sourceFile: 'records.trig',
      sourceLine: lines.findIndex((l) => l.startsWith(`id:${id.replace('/', '\\/')} {`)) + 1,
    };
  });
  const archive = await openArchive(dataDir, 'stroke-lab', { create: true, meta: { baseIri: BASE } });
  await archive.writeBatch(records, INFO);
  return archive;
}

// N-Quads of a whole store, sorted, blank node labels blanked (oxigraph renames blank nodes on load).
function canonicalDump(store: ArchiveStore): string[] {
  const text = queryStoreSerialized(
    store,
    'CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }',
    'application/n-triples',
  );
  const graphs = queryStore(store, 'SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g');
  return [
    ...text
      .split('\n')
      .filter(Boolean)
      .map((l) => l.replace(/_:\S+/g, '_:b')),
    JSON.stringify(graphs),
  ].sort();
}

describe('SPARQL over a loaded archive', async () => {
  const queries = (await readdir(new URL('queries/', fixtures))).filter((f) => f.endsWith('.rq')).sort();
  it.each(queries)('answers %s as expected', async (file) => {
    const store = await loadArchiveStore(await fixtureArchive(), { ontologyFiles: [ontology] });
    const sparql = await readFile(new URL(`queries/${file}`, fixtures), 'utf8');
    const expected = JSON.parse(
      await readFile(new URL(`queries/${file.replace(/\.rq$/, '.json')}`, fixtures), 'utf8'),
    );
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

  it('sees only the store default graph when the union is switched off', async () => {
    const store = await loadArchiveStore(await fixtureArchive());
    const result = queryStore(store, 'ASK { ?s ?p ?o }', { unionDefaultGraph: false });
    expect(result).toEqual({ form: 'ASK', results: { head: {}, boolean: false } });
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
    expect(storeStats(await loadArchiveStore(archive))).toEqual({
      triples: recordTriples + provenanceTriples,
      graphs: 4,
    });
    const withOntology = await loadArchiveStore(archive.dir, { ontologyFiles: [ontology] });
    expect(storeStats(withOntology)).toEqual({ triples: recordTriples + provenanceTriples + 9, graphs: 5 });
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
    await archive.writeBatch(syntheticRecords(20), INFO);
    const store = await loadArchiveStore(archive);
    const full = canonicalDump(store);
    const graph = archive.record('session/S000007')!.graph;
    store.update(`DROP GRAPH <${graph}>`);
    expect(canonicalDump(store)).not.toEqual(full);
    await reloadGraphs(store, archive, [graph]);
    expect(canonicalDump(store)).toEqual(full);
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
