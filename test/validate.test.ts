// Validating mapped bench records: fields named as the lab wrote them, the person-facing lines, the Turtle
// report, and batches split back to their records.
import { join } from 'node:path';
import type { Quad } from '@rdfjs/types';
import { DataFactory, Parser } from 'n3';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  loadLicenses,
  loadMapping,
  type MappedRecord,
  mapRecord,
  type TermResolver,
} from '../src/ingest/mapping.ts';
import { prefixes } from '../src/namespaces.ts';
import { type Branch, loadTermIndex } from '../src/terms/index.ts';
import {
  fieldNamer,
  formatReport,
  loadShapes,
  type Shapes,
  validateBatch,
  validateRecord,
} from '../src/validate/validate.ts';

const root = join(import.meta.dirname, '..');
const mapping = loadMapping(join(root, 'mappings', 'bench-record.yaml'));
const licenses = loadLicenses(join(root, 'mappings', 'licenses.yaml'));
const OBO = prefixes.obo;
const table = new Map([
  ['Mus musculus', `${OBO}NCBITaxon_10090`],
  ['female', `${OBO}PATO_0000383`],
  ['left', `${OBO}PATO_0000366`],
  ['CA1', `${OBO}UBERON_0003881`],
  ['middle cerebral artery', `${OBO}UBERON_0001627`],
  ['two-photon', `${OBO}FBbi_00000254`],
  ['craniotomy', 'https://openminds.om-i.org/instances/technique/craniotomy'],
]);
const terms: TermResolver = {
  resolve: (value, branch) => {
    const iri = table.get(value);
    return iri
      ? { status: 'resolved', iri, label: value, match: 'exact' }
      : { status: 'unresolved', value, warning: `'${value}' is not a known ${branch} term` };
  },
};
const ctx = { base: 'http://localhost:8080/', archive: 'stroke-lab', terms, licenses };
const map = (record: Record<string, unknown>) => mapRecord(mapping, record, ctx);

const session = {
  kind: 'session',
  id: 'S012',
  study: 'stroke-2024',
  subject: 'M07',
  date: '2024-03-08',
  modality: 'two-photon',
  region: 'CA1',
  hemisphere: 'left',
  instrument: { name: 'Bruker Ultima' },
  settings: { objective: '16x/0.8 NA water', excitationWavelength: '920 nm' },
  files: [{ uri: 's3://stroke-lab/M07/S012.ome.zarr', format: 'OME-Zarr', checksum: 'sha256:0a1b' }],
  publication: { status: 'unpublished' },
};

let shapes: Shapes;
beforeAll(async () => {
  shapes = await loadShapes();
});

async function check(record: MappedRecord) {
  return validateRecord(shapes, record.quads, fieldNamer(mapping, [record]));
}

describe('validateRecord on mapped records', () => {
  it('finds nothing to say about a complete session', async () => {
    const report = await check(map(session));
    expect(report.results).toEqual([]);
    expect(report.conforms).toBe(true);
  });

  it('tells the lab, in its own field names, what a session without a modality lacks', async () => {
    const { modality: _, ...withoutModality } = session;
    const mapped = map(withoutModality);
    const report = await check(mapped);
    expect(report.conforms).toBe(false);
    expect(formatReport(report, mapped.recordId)).toBe(
      "session/S012 field 'modality' [Violation]: A session needs a modality (field 'modality'), e.g. 'two-photon' or an FBbi ID.",
    );
    expect(report.results).toEqual([
      {
        severity: 'violation',
        focusNode: 'http://localhost:8080/id/stroke-lab/session/S012',
        path: 'https://w3id.org/benchgraph/vocab#modality',
        field: 'modality',
        message: "A session needs a modality (field 'modality'), e.g. 'two-photon' or an FBbi ID.",
        shape: 'https://w3id.org/benchgraph/shapes#Session-modality',
      },
    ]);
  });

  it('names nested fields by their place in the record, and keeps conforming with only warnings and hints', async () => {
    const mapped = map({
      ...session,
      date: undefined,
      timepoint: { day: 7 },
      modality: '2P',
      files: [session.files[0], { uri: 's3://stroke-lab/M07/S012.ims', format: 'Imaris' }],
    });
    const report = await check(mapped);
    expect(report.conforms).toBe(true);
    expect(formatReport(report, mapped.recordId).split('\n').sort()).toEqual([
      "session/S012 field 'files[1].checksum' [Info]: Add a checksum (field 'checksum'), e.g. 'sha256:9f86d0…', so copies of the file can be verified.",
      "session/S012 field 'files[1].format' [Warning]: Unknown file format (field 'format'): use one of OME-Zarr, OME-TIFF, TIFF, NWB, HDF5, MAT, CSV, TSV, JSON, AVI, MP4, CZI, ND2, LIF, PNG, MRC or binary, or ask the curators to add yours.",
      "session/S012 field 'modality' [Warning]: Unresolved term: the modality (field 'modality') is not a known imaging or recording method; use a name such as 'two-photon', 'widefield' or 'Neuropixels', or an FBbi or OBI ID.",
    ]);
    expect(report.results.find((r) => r.field === 'modality')?.value).toBe('2P');
  });

  it('names the field of the conditional intervention rules', async () => {
    const mapped = map({
      kind: 'subject',
      id: 'M07',
      study: 'stroke-2024',
      species: 'Mus musculus',
      sex: 'female',
      description: 'adult female',
      interventions: [
        { id: 'mcao', procedure: 'craniotomy', target: 'middle cerebral artery', hemisphere: 'left' },
        { id: 'window', procedure: 'craniotomy' },
      ],
    });
    const report = await check(mapped);
    expect(formatReport(report, mapped.recordId).split('\n')).toEqual([
      "subject/M07 field 'interventions[1].target' [Violation]: An intervention on the brain needs its target (field 'target' under 'interventions'), e.g. 'middle cerebral artery' or 'CA1'.",
      "subject/M07 field 'interventions[1].hemisphere' [Violation]: An intervention on the brain or with a target needs its hemisphere (field 'hemisphere' under 'interventions'): 'left', 'right' or 'bilateral'.",
    ]);
  });

  it('falls back to predicate names and IRI fragments without field information', async () => {
    const mapped = map({ ...session, files: [{ uri: 's3://x' }] });
    const report = await validateRecord(shapes, mapped.quads);
    expect(report.results.map((r) => r.field).sort()).toEqual(['files-0.checksum', 'files-0.format']);
  });

  it('ignores the graph term: a record in its named graph validates like the same triples in the default graph', async () => {
    const mapped = map({ ...session, modality: undefined });
    expect(mapped.quads[0]!.graph.termType).toBe('NamedNode');
    const inDefault = mapped.quads.map((q) => DataFactory.quad(q.subject, q.predicate, q.object));
    expect((await validateRecord(shapes, inDefault)).results).toEqual(
      (await validateRecord(shapes, mapped.quads)).results,
    );
  });
});

describe('the shapes and the real term index', () => {
  // The term-checking shapes must accept whatever the term index (src/terms) resolves lab text to, including
  // the terms benchgraph mints in ontologies/alignments.ttl.
  it('raise no unresolved-term warning for terms the index resolves', async () => {
    const index = await loadTermIndex();
    const real = {
      ...ctx,
      terms: { resolve: (value: string, branch: string) => index.resolve(value, branch as Branch) },
    };
    const records = [
      {
        ...session,
        modality: 'laser speckle',
        instrument: { name: 'Bruker Ultima', type: 'two-photon microscope' },
      },
      {
        ...session,
        id: 'S013',
        modality: 'Neuropixels',
        region: 'primary visual cortex',
        hemisphere: 'right',
      },
      { ...session, id: 'S014', modality: 'widefield', hemisphere: 'bilateral' },
      {
        kind: 'subject',
        id: 'M07',
        study: 'stroke-2024',
        species: 'Mus musculus',
        sex: 'female',
        description: 'adult female',
        interventions: [
          { id: 'mcao', procedure: 'MCAO', target: 'middle cerebral artery', hemisphere: 'left' },
          { id: 'window', procedure: 'craniotomy', target: 'CA1', hemisphere: 'left' },
        ],
      },
    ].map((r) => mapRecord(mapping, r, real));
    for (const r of records) expect(r.issues).toEqual([]);
    const reports = await validateBatch(shapes, records, fieldNamer(mapping, records));
    expect(reports.map((r) => r.results)).toEqual([[], [], [], []]);
  });

  it('treats the resolved MCAO term as a procedure on the brain', async () => {
    const index = await loadTermIndex();
    const real = {
      ...ctx,
      terms: { resolve: (value: string, branch: string) => index.resolve(value, branch as Branch) },
    };
    const mapped = mapRecord(
      mapping,
      {
        kind: 'subject',
        id: 'M08',
        study: 's',
        species: 'Mus musculus',
        description: 'd',
        sex: 'male',
        interventions: [{ id: 'mcao', procedure: 'MCAO' }],
      },
      real,
    );
    const report = await check(mapped);
    expect(report.results.map((r) => `${r.field} ${r.severity}`)).toEqual([
      'interventions[0].target violation',
      'interventions[0].hemisphere violation',
    ]);
  });
});

describe('the Turtle report', () => {
  const SH = prefixes.sh;
  const parse = (text: string) => new Parser().parse(text);
  const objectsOf = (quads: Quad[], p: string) =>
    quads.filter((q) => q.predicate.value === p).map((q) => q.object);

  it('is one sh:ValidationReport with a sh:ValidationResult per result', async () => {
    const report = await validateRecord(
      shapes,
      map({ ...session, modality: undefined, date: undefined, files: [{ uri: 's3://x' }] }).quads,
    );
    const quads = parse(report.toTurtle());
    const reports = quads.filter(
      (q) => q.predicate.value === `${prefixes.rdf}type` && q.object.value === `${SH}ValidationReport`,
    );
    expect(reports).toHaveLength(1);
    expect(objectsOf(quads, `${SH}conforms`).map((o) => o.value)).toEqual(['false']);
    expect(objectsOf(quads, `${SH}result`)).toHaveLength(report.results.length);
    expect(
      objectsOf(quads, `${SH}sourceShape`)
        .map((o) => o.value)
        .sort(),
    ).toEqual(report.results.map((r) => r.shape).sort());
    expect(
      objectsOf(quads, `${SH}resultSeverity`)
        .map((o) => o.value)
        .sort(),
    ).toEqual([`${SH}Info`, `${SH}Violation`, `${SH}Violation`, `${SH}Violation`]);
    // The alternative path of Session-when is written as SHACL writes paths.
    const alternative = objectsOf(quads, `${SH}alternativePath`);
    expect(alternative).toHaveLength(1);
    expect(report.results.length).toBe(4);
  });

  it('says sh:conforms true when there is nothing to report', async () => {
    const quads = parse((await validateRecord(shapes, map(session).quads)).toTurtle());
    expect(objectsOf(quads, `${SH}conforms`).map((o) => o.value)).toEqual(['true']);
    expect(objectsOf(quads, `${SH}result`)).toEqual([]);
  });
});

describe('validateBatch', () => {
  const records = [
    map(session),
    map({ ...session, id: 'S013', modality: undefined }),
    map({
      kind: 'subject',
      id: 'M07',
      study: 'stroke-2024',
      species: 'mouse',
      interventions: [{ id: 'w', procedure: 'craniotomy' }],
    }),
    map({ ...session, id: 'S014', files: [{ uri: 's3://a' }, { uri: 's3://b', format: 'tiff' }] }),
  ];

  it('gives each record the report it gets alone', async () => {
    const options = fieldNamer(mapping, records);
    const batch = await validateBatch(shapes, records, options);
    const alone = await Promise.all(records.map((r) => validateRecord(shapes, r.quads, options)));
    expect(batch.map((r) => r.results)).toEqual(alone.map((r) => r.results));
    expect(batch.map((r) => r.results.length)).toEqual([0, 1, 5, 3]);
  });

  it('keeps records that describe the same nodes apart', async () => {
    const twice = [records[1]!, records[1]!, records[0]!];
    const batch = await validateBatch(shapes, twice);
    expect(batch.map((r) => r.results.map((x) => x.shape.split('#')[1]))).toEqual([
      ['Session-modality'],
      ['Session-modality'],
      [],
    ]);
  });
});

describe('loadShapes', () => {
  it('reads every shapes file once and caches the result', async () => {
    expect(await loadShapes()).toBe(shapes);
    expect(shapes.files.map((f) => f.split('/').pop())).toEqual([
      'file.ttl',
      'import.ttl',
      'session.ttl',
      'study.ttl',
      'subject.ttl',
    ]);
    expect(shapes.shapeIris).toContain('https://w3id.org/benchgraph/shapes#Session-modality');
  });

  it('names the file and line of a Turtle error', async () => {
    const dir = join(import.meta.dirname, 'fixtures', 'shapes', 'broken-shapes');
    await expect(loadShapes(dir)).rejects.toThrow(/broken-shapes\/broken\.ttl: .*line 4/);
  });

  it('says where it looked when there are no shapes', async () => {
    const dir = join(import.meta.dirname, 'fixtures');
    await expect(loadShapes(dir)).rejects.toThrow(`no shapes found: expected *.ttl files in ${dir}`);
  });
});
