// Archives for real-client tests: a small hand-made one (12 sessions) and the demo labs of examples/, ingested.
import type { Quad } from '@rdfjs/types';
import { DataFactory } from 'n3';
import { openArchive, type StoredRecord } from '../../src/archive/archive.ts';
import { loadConfig } from '../../src/config.ts';
import { demoLabs } from '../../src/demo.ts';
import { expandInputs, ingest, loadPipeline } from '../../src/main.ts';
import { ns } from '../../src/namespaces.ts';

const { namedNode, literal, quad } = DataFactory;

/** Base of the fixture's record IRIs; the server under test is started with the same `baseIri`. */
export const FIXTURE_BASE = 'http://localhost:8080/';
/** Name of the fixture archive. */
export const FIXTURE_ARCHIVE = 'client-lab';

const MOUSE = ns.obo('NCBITaxon_10090');
const RAT = ns.obo('NCBITaxon_10116');

/** IRI the fixture mints for a record part, e.g. `fixtureIri('session/S01')`. */
export function fixtureIri(path: string): string {
  return `${FIXTURE_BASE}id/${FIXTURE_ARCHIVE}/${path}`;
}

/**
 * The fixture's records. Every session record repeats its subject's and instrument's description, as ingested
 * records do, so the same triple sits in several record graphs: clients must see it once in the default graph.
 */
export function fixtureRecords(): StoredRecord[] {
  const instruments = [
    { id: 'instrument/two-photon', label: 'Two-photon microscope' },
    { id: 'instrument/widefield', label: 'Widefield microscope' },
  ];
  const subjects = [
    { id: 'subject/M1', species: MOUSE, strain: 'C57BL/6J', label: 'mouse M1', ageDays: 60 },
    { id: 'subject/M2', species: MOUSE, strain: 'C57BL/6J', label: 'mouse M2', ageDays: 63 },
    { id: 'subject/M3', species: MOUSE, strain: 'Thy1-GCaMP6s', label: 'mouse M3', ageDays: 66 },
    { id: 'subject/R1', species: RAT, strain: 'Long-Evans', label: 'rat R1', ageDays: 69 },
  ];
  const records: StoredRecord[] = [];
  for (let n = 1; n <= 12; n++) {
    const id = `session/S${String(n).padStart(2, '0')}`;
    const session = namedNode(fixtureIri(id));
    const subject = subjects[(n - 1) % subjects.length];
    const instrument = instruments[n % 3 === 0 ? 1 : 0];
    const s = namedNode(fixtureIri(subject.id));
    const i = namedNode(fixtureIri(instrument.id));
    const quads: Quad[] = [
      quad(session, ns.rdf('type'), ns.bg('Session')),
      quad(session, ns.rdfs('label'), literal(`Session ${n}`, 'en')),
      quad(session, ns.bg('date'), literal(`2024-03-${String(n).padStart(2, '0')}`, ns.xsd('date'))),
      quad(session, ns.bg('lab'), literal('Client test lab')),
      quad(session, ns.bg('subject'), s),
      quad(session, ns.bg('instrument'), i),
      quad(s, ns.rdf('type'), ns.bg('Subject')),
      quad(s, ns.rdfs('label'), literal(subject.label)),
      quad(s, ns.bg('species'), subject.species),
      quad(s, ns.bg('strain'), literal(subject.strain)),
      quad(s, ns.bg('ageDays'), literal(String(subject.ageDays), ns.xsd('integer'))),
      quad(i, ns.rdf('type'), ns.bg('Instrument')),
      quad(i, ns.rdfs('label'), literal(instrument.label, 'en')),
    ];
    records.push({
      recordId: id,
      graph: session.value,
      quads,
      sourceFile: 'fixture/sessions.csv',
      sourceLine: n + 1,
    });
  }
  return records;
}

/** Creates the fixture archive under `dataDir` (a fresh temporary directory) and returns its records. */
export async function buildFixtureArchive(dataDir: string): Promise<StoredRecord[]> {
  const archive = await openArchive(dataDir, FIXTURE_ARCHIVE, {
    create: true,
    meta: { baseIri: FIXTURE_BASE, title: 'Client test lab' },
  });
  const records = fixtureRecords();
  await archive.writeBatch(records, {
    mapping: 'test/helpers/serve-fixture.ts',
    mappingVersion: '1',
    at: new Date('2024-04-01T00:00:00Z'),
  });
  return records;
}

/**
 * Ingests demo labs of examples/ through the real pipeline (mapping, SHACL) into archives of the same names under
 * `dataDir`, with record IRIs under `baseIri`, as `benchgraph ingest --archive NAME examples/NAME` would.
 */
export async function buildDemoArchives(dataDir: string, names: string[], baseIri: string): Promise<void> {
  const config = loadConfig({ data: dataDir, base: baseIri }, {});
  const pipeline = await loadPipeline(config);
  const labs = (await demoLabs()).filter((lab) => names.includes(lab.name));
  const missing = names.filter((n) => !labs.some((lab) => lab.name === n));
  if (missing.length > 0) throw new Error(`examples/ has no demo lab ${missing.join(', ')}`);
  for (const lab of labs) {
    await ingest(config, pipeline, lab.name, await expandInputs([lab.dir]), { strict: false });
  }
}
