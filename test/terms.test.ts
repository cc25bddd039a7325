// Term index: resolution cases from fixture files, CURIE/IRI canonicalisation, closure and phrase spotting.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type Branch, type Resolution, loadTermIndex } from '../src/terms/index.ts';
import { compactKey, normalizeKey } from '../src/terms/normalize.ts';

const fixtures = new URL('./fixtures/terms/', import.meta.url);
const MINI = new URL('mini/', fixtures).pathname;
const OBO = 'http://purl.obolibrary.org/obo/';

type Case = { value: string; branch: Branch; expect: Resolution };
const cases = (file: string): Case[] => parse(readFileSync(new URL(file, fixtures), 'utf8')) as Case[];

describe('resolve() against the committed slims (fixtures/terms/resolve-slims.yaml)', () => {
  for (const c of cases('resolve-slims.yaml')) {
    it(`resolves '${c.value}' in ${c.branch}`, async () => {
      const index = await loadTermIndex();
      expect(index.resolve(c.value, c.branch)).toEqual(c.expect);
    });
  }
});

describe('resolve() against the mini fixture ontologies (fixtures/terms/resolve-mini.yaml)', () => {
  for (const c of cases('resolve-mini.yaml')) {
    it(`resolves '${c.value}' in ${c.branch}`, async () => {
      const index = await loadTermIndex(MINI);
      expect(index.resolve(c.value, c.branch)).toEqual(c.expect);
    });
  }
});

describe('normalizeKey', () => {
  it('folds case, Unicode, punctuation, plurals, possessives and small numbers', () => {
    const inputs = [
      '2-Photon Microscopes',
      "Ammon's horn",
      'Ammons   horn',
      'arteries',
      'mice',
      'µm',
      'CA1_field',
      'Layer 10 / 11',
    ];
    expect(inputs.map(normalizeKey)).toEqual([
      'two photon microscope',
      'ammon horn',
      'ammon horn',
      'artery',
      'mouse',
      'um',
      'ca1 field',
      'layer ten 11',
    ]);
    expect(['wide-field', 'wide field', 'Widefield'].map(compactKey)).toEqual([
      'widefield',
      'widefield',
      'widefield',
    ]);
  });
});

describe('canonicalIri', () => {
  it('gives the OBO PURL for every spelling of NCBITaxon 10090', async () => {
    const index = await loadTermIndex();
    const spellings = [
      'NCBITaxon:10090',
      'ncbitaxon:10090',
      'NCBITaxon_10090',
      'obo:NCBITaxon_10090',
      'NCBITaxon:0010090',
      'http://purl.obolibrary.org/obo/NCBITaxon_10090',
      'https://purl.obolibrary.org/obo/NCBITaxon_10090',
      ' <http://purl.obolibrary.org/obo/NCBITaxon_10090> ',
      'http://www.ncbi.nlm.nih.gov/Taxonomy/Browser/wwwtax.cgi?id=10090',
      'https://www.ncbi.nlm.nih.gov/Taxonomy/Browser/wwwtax.cgi?mode=Info&id=10090',
      'https://www.ncbi.nlm.nih.gov/taxonomy/10090',
      'https://identifiers.org/taxonomy:10090',
      'txid10090',
      'NCBI:txid10090',
    ];
    expect(spellings.map((s) => index.canonicalIri(s))).toEqual(spellings.map(() => `${OBO}NCBITaxon_10090`));
  });

  it('pads or unpads ids to the width of their ontology', async () => {
    const index = await loadTermIndex();
    expect(
      ['FBbi:257', 'UBERON:955', 'uberon:0000955', 'UO:17', 'obo:fbbi_00000257'].map((s) =>
        index.canonicalIri(s),
      ),
    ).toEqual([
      `${OBO}FBbi_00000257`,
      `${OBO}UBERON_0000955`,
      `${OBO}UBERON_0000955`,
      `${OBO}UO_0000017`,
      `${OBO}FBbi_00000257`,
    ]);
  });

  it('returns null for text that is no CURIE or IRI', async () => {
    const index = await loadTermIndex();
    expect(
      ['Mus musculus', 'CA1', 'field:1', 'Layer_5', '', 'C57BL/6J'].map((s) => index.canonicalIri(s)),
    ).toEqual([null, null, null, null, null, null]);
  });

  it('maps an openMINDS IRI folded by skos:exactMatch to its OBO class', async () => {
    const index = await loadTermIndex();
    expect(
      index.canonicalIri('https://openminds.om-i.org/instances/technique/twoPhotonFluorescenceMicroscopy'),
    ).toBe(`${OBO}FBbi_00000254`);
  });
});

describe('closure', () => {
  it('finds CA1 field and dentate gyrus among the descendants of hippocampal formation', async () => {
    const index = await loadTermIndex();
    const below = index.descendants('UBERON:0002421');
    expect(below).toContain(`${OBO}UBERON_0003881`);
    expect(below).toContain(`${OBO}UBERON_0001885`);
    expect(below).not.toContain(`${OBO}UBERON_0002421`);
  });

  it('finds two-photon and widefield microscopy among the descendants of FBbi fluorescence microscopy', async () => {
    const index = await loadTermIndex();
    const below = index.descendants('FBbi:00000246');
    expect(below).toContain(`${OBO}FBbi_00000254`);
    expect(below).toContain('https://openminds.om-i.org/instances/technique/widefieldFluorescenceMicroscopy');
  });

  it('lists part-of and is-a ancestors of CA1 field up to brain', async () => {
    const index = await loadTermIndex();
    const above = index.ancestors('UBERON:0003881');
    expect(above).toContain(`${OBO}UBERON_0002421`);
    expect(above).toContain(`${OBO}UBERON_0000955`);
    expect(above).not.toContain(`${OBO}UBERON_0003881`);
  });

  it('gives the mini fixture closure nearest first', async () => {
    const index = await loadTermIndex(MINI);
    expect(index.ancestors(`${OBO}BODY_0000004`)).toEqual([
      `${OBO}BODY_0000010`,
      `${OBO}BODY_0000003`,
      `${OBO}BODY_0000002`,
      `${OBO}BODY_0000001`,
    ]);
    expect(index.descendants('IMG:00000002')).toEqual([
      `${OBO}IMG_00000003`,
      'https://openminds.om-i.org/instances/technique/calciumImaging',
    ]);
  });
});

describe('findMentions', () => {
  it('spots the longest names in free text and skips stopwords and ambiguous names', async () => {
    const index = await loadTermIndex();
    const text =
      'Two-photon calcium imaging in the CA1 field of hippocampus of 12 adult male mice after a craniotomy ' +
      'over the left cerebral hemisphere; one second later.';
    expect(index.findMentions(text, ['taxon', 'anatomy', 'method', 'technique', 'sex'])).toEqual([
      {
        iri: `${OBO}FBbi_00000254`,
        label: 'two-photon laser scanning microscopy',
        start: 0,
        end: 10,
        matched: 'Two-photon',
      },
      {
        iri: 'https://openminds.om-i.org/instances/technique/calciumImaging',
        label: 'calcium imaging',
        start: 11,
        end: 26,
        matched: 'calcium imaging',
      },
      {
        iri: `${OBO}UBERON_0003881`,
        label: 'CA1 field of hippocampus',
        start: 34,
        end: 58,
        matched: 'CA1 field of hippocampus',
      },
      { iri: `${OBO}PATO_0000384`, label: 'male', start: 71, end: 75, matched: 'male' },
      { iri: `${OBO}NCBITaxon_10090`, label: 'Mus musculus', start: 76, end: 80, matched: 'mice' },
      {
        iri: 'https://openminds.om-i.org/instances/technique/craniotomy',
        label: 'craniotomy',
        start: 89,
        end: 99,
        matched: 'craniotomy',
      },
      {
        iri: `${OBO}UBERON_0002812`,
        label: 'left cerebral hemisphere',
        start: 109,
        end: 133,
        matched: 'left cerebral hemisphere',
      },
    ]);
  });

  it('only reports terms of the requested branches', async () => {
    const index = await loadTermIndex(MINI);
    expect(index.findMentions('Mus musculus brain, 2-photon microscopy', ['anatomy'])).toEqual([
      { iri: `${OBO}BODY_0000002`, label: 'brain', start: 13, end: 18, matched: 'brain' },
    ]);
  });

  it('leaves out a name that two terms share at the same rank', async () => {
    const index = await loadTermIndex(MINI);
    expect(index.findMentions('the hippocampus and the encephalon', ['anatomy'])).toEqual([]);
  });
});

describe('loading', () => {
  it('returns the same index for repeated calls', async () => {
    expect(await loadTermIndex()).toBe(await loadTermIndex());
  });

  it('exposes the slim and alignment quads and files for the archive store', async () => {
    const index = await loadTermIndex(MINI);
    expect(index.files.map((f) => f.slice(MINI.length))).toEqual([
      'slims/zoo.ttl',
      'slims/body.ttl',
      'slims/img.ttl',
      'slims/units.ttl',
      'slims/openminds.ttl',
      'alignments.ttl',
    ]);
    const labels = index
      .quads()
      .filter((q) => q.subject.value === `${OBO}BODY_0000007` && q.predicate.value.endsWith('#label'))
      .map((q) => q.object.value);
    expect(labels).toEqual(['heart']);
  });

  it('names the missing file when the slims were not built', async () => {
    const dir = new URL('no-slims/', fixtures).pathname;
    await expect(loadTermIndex(dir)).rejects.toThrow(
      `${dir}slims/zoo.ttl: missing; build the slims with \`benchgraph slims\``,
    );
  });
});
