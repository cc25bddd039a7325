// Synthetic federation: seeded, byte-reproducible bench records for N labs, for load tests and demos.
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/*
 * Size. Mapped with mappings/bench-record.yaml, a generated session record gives 38-93 triples, 60 on average
 * (session node ~11, timepoint 5, instrument 6-7, specimen 4, acquisition settings 4-11, registration 4,
 * 1-3 files at 7 each, 0-2 analyses at 5-13 each, publication 3-4); a subject gives ~20, a study ~55.
 * DEFAULT_SESSIONS_PER_LAB = 2000 therefore makes ~123,000 triples per lab, so 10 labs give ~1.2 million,
 * above the one million the federation benchmarks ask for. test/generate.test.ts measures both with the
 * real mapper.
 */
export const DEFAULT_SESSIONS_PER_LAB = 2000;
/** Measured mean triples per generated session record (see above); used for the estimate the command prints. */
export const TRIPLES_PER_SESSION = 60;
/** Records per JSON Lines file: big enough to keep file counts low, small enough to stream and diff. */
export const DEFAULT_RECORDS_PER_FILE = 10_000;
/** Sessions per subject, on average: a longitudinal design of a few timepoints times a few modalities. */
const SESSIONS_PER_SUBJECT = 12;

export type GenerateOptions = {
  labs: number;
  seed: number;
  sessionsPerLab?: number;
  /** Directory that receives lab-001/, lab-002/, ... */
  out: string;
  recordsPerFile?: number;
};

export type GenerateResult = { files: string[]; records: number };

type Rng = () => number;
type Rec = Record<string, unknown>;

/** mulberry32: tiny, fast, good enough for test data, and the same in every JavaScript engine. */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One stream per lab, so lab-003 is the same whether 3 or 30 labs are generated. */
function labSeed(seed: number, lab: number): number {
  let h = (seed ^ Math.imul(lab, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

const int = (rng: Rng, lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;
const chance = (rng: Rng, p: number) => rng() < p;
const hex = (rng: Rng, chars: number) => {
  let s = '';
  for (let i = 0; i < chars; i++) s += Math.floor(rng() * 16).toString(16);
  return s;
};
const pad = (n: number, width: number) => String(n).padStart(width, '0');
const addDays = (date: string, days: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

/**
 * A quantity in one of the forms labs really write: a bare number in the canonical unit, a string with a
 * unit, or {value, unit}. `alt` is an equivalent spelling in another unit ([factor, unit]) used now and then.
 */
function quantity(rng: Rng, value: number, unit: string, alt?: [number, string]): unknown {
  const r = rng();
  if (r < 0.25) return value;
  if (r < 0.4) return { value, unit };
  if (alt && r < 0.5) return `${Number.parseFloat((value * alt[0]).toPrecision(6))} ${alt[1]}`;
  return `${value} ${unit}`;
}

// ---- vocabulary: labels and exact synonyms from UBERON, NCBITaxon, PATO, FBbi and OBI --------------------

type Species = {
  name: string;
  strains: readonly string[];
  /** Age range at the start of the study, in days. */
  ageDays: [number, number];
  idPrefix: string;
};

const MOUSE: Species = {
  name: 'Mus musculus',
  strains: ['C57BL/6J', 'C57BL/6J', 'C57BL/6N', 'Thy1-GCaMP6s (GP4.3)', 'Ai162 x Slc17a7-IRES2-Cre', 'CD-1'],
  ageDays: [56, 180],
  idPrefix: 'M',
};
const RAT: Species = {
  name: 'Rattus norvegicus',
  strains: ['Long-Evans', 'Sprague Dawley', 'Wistar'],
  ageDays: [60, 200],
  idPrefix: 'R',
};
const ZEBRAFISH: Species = {
  name: 'Danio rerio',
  strains: ['nacre', 'casper', 'Tg(elavl3:H2B-GCaMP6s)'],
  ageDays: [5, 8],
  idPrefix: 'Z',
};
const MACAQUE: Species = {
  name: 'Macaca mulatta',
  strains: ['Indian origin'],
  ageDays: [1800, 4000],
  idPrefix: 'P',
};

type Settings = (rng: Rng) => Rec;

type Modality = {
  /** How labs write it: the first spelling is the usual one, the others appear now and then. */
  spellings: readonly string[];
  term: string;
  short: string;
  instrument: readonly Rec[];
  settings: Settings;
  /** File kinds: [name suffix, extension, format, size range in MB]. */
  files: readonly [string, string, string, [number, number]][];
  analyses: readonly { method: string; software: string; output?: [string, string, string] }[];
  preparation: readonly string[];
};

const TWO_PHOTON: Modality = {
  term: 'two-photon',
  spellings: ['two-photon', 'two-photon', 'two-photon microscopy', '2-photon microscopy', 'FBbi:00000254'],
  short: '2P',
  instrument: [
    { name: 'Bergamo II', manufacturer: 'Thorlabs', type: 'multiphoton microscope' },
    { name: 'Ultima 2Pplus', manufacturer: 'Bruker', model: 'Ultima 2Pplus', type: 'multiphoton microscope' },
    { name: 'resonant two-photon scope', manufacturer: 'Neurolabware', type: 'multiphoton microscope' },
  ],
  settings: (rng) => {
    const indicator = pick(rng, [
      'GCaMP6s',
      'GCaMP6f',
      'GCaMP7f',
      'jGCaMP8m',
      'FITC-dextran',
      'Texas Red-dextran',
    ]);
    const depth = int(rng, 8, 45) * 10;
    return {
      objective: pick(rng, [
        '16x/0.8 NA water (Nikon)',
        '25x/1.05 NA water (Olympus)',
        '20x/1.0 NA water (Zeiss)',
      ]),
      excitationWavelength: quantity(
        rng,
        indicator.endsWith('dextran') ? pick(rng, [800, 820, 1040]) : pick(rng, [920, 930, 940]),
        'nm',
      ),
      emissionWavelength: quantity(rng, indicator === 'Texas Red-dextran' ? 615 : 510, 'nm'),
      pixelSize: quantity(rng, pick(rng, [0.49, 0.8, 1.17, 1.4]), 'um'),
      frameRate: quantity(rng, pick(rng, [7.5, 15, 15.5, 30]), 'Hz'),
      depth: quantity(rng, depth, 'um'),
      fieldOfView: quantity(rng, pick(rng, [500, 600, 720, 1000]), 'um', [1e-3, 'mm']),
      laserPower: quantity(rng, int(rng, 20, 90), 'mW'),
      indicator,
    };
  },
  files: [
    ['raw', 'tif', 'TIFF', [4000, 30_000]],
    ['stack', 'ome.tif', 'OME-TIFF', [800, 4000]],
    ['ophys', 'nwb', 'NWB', [900, 6000]],
  ],
  analyses: [
    {
      method: 'motion correction and ROI detection',
      software: 'suite2p 0.14',
      output: ['rois', 'npy', 'binary'],
    },
    {
      method: 'capillary segmentation',
      software: 'ilastik 1.4',
      output: ['segmentation', 'ome.zarr', 'OME-Zarr'],
    },
    { method: 'orientation tuning', software: 'lab tuning-tools 2.3', output: ['tuning', 'csv', 'CSV'] },
    { method: 'place-field detection', software: 'placecells 0.9', output: ['placefields', 'h5', 'HDF5'] },
  ],
  preparation: [
    'awake, head-fixed',
    'awake, head-fixed on a running wheel',
    'isoflurane anaesthesia (1.2 %)',
  ],
};

const WIDEFIELD: Modality = {
  term: 'widefield',
  spellings: ['widefield', 'widefield', 'widefield fluorescence microscopy', 'widefield microscopy assay'],
  short: 'WF',
  instrument: [
    { name: 'widefield macroscope', manufacturer: 'custom build', type: 'digital camera' },
    { name: 'MVX10 macro zoom', manufacturer: 'Olympus', type: 'optical microscope' },
  ],
  settings: (rng) => ({
    objective: pick(rng, ['50 mm f/1.2 tandem lens', '2x/0.1', '1x/0.25 MVPLAPO']),
    excitationWavelength: quantity(rng, pick(rng, [470, 530, 565]), 'nm'),
    pixelSize: quantity(rng, pick(rng, [10, 13, 20, 21.5]), 'um'),
    frameRate: quantity(rng, pick(rng, [10, 20, 30, 50]), 'Hz'),
    fieldOfView: quantity(rng, pick(rng, [5000, 8000, 11_000]), 'um', [1e-3, 'mm']),
  }),
  files: [
    ['movie', 'ome.zarr', 'OME-Zarr', [1500, 9000]],
    ['movie', 'tif', 'TIFF', [1500, 9000]],
  ],
  analyses: [
    {
      method: 'hemodynamic response map',
      software: 'widefield-tools 0.4',
      output: ['hemodynamics', 'tif', 'OME-TIFF'],
    },
    { method: 'visual field sign map', software: 'NeuroAnalysisTools', output: ['signmap', 'tif', 'TIFF'] },
  ],
  preparation: ['awake, head-fixed', 'light isoflurane anaesthesia'],
};

const SPECKLE: Modality = {
  term: 'laser speckle',
  spellings: ['laser speckle', 'laser speckle', 'laser speckle contrast imaging', 'LSCI'],
  short: 'LS',
  instrument: [{ name: 'LSCI rig', manufacturer: 'RWD Life Science', type: 'digital camera' }],
  settings: (rng) => ({
    objective: pick(rng, ['2.5x/0.075', '1x macro lens']),
    excitationWavelength: quantity(rng, 785, 'nm'),
    pixelSize: quantity(rng, pick(rng, [9.8, 12, 15]), 'um'),
    frameRate: quantity(rng, pick(rng, [60, 100, 200]), 'Hz'),
    fieldOfView: quantity(rng, pick(rng, [6300, 8000]), 'um', [1e-3, 'mm']),
  }),
  files: [['raw', 'tif', 'TIFF', [300, 1200]]],
  analyses: [{ method: 'blood-flow map', software: 'PySpeckle 1.2', output: ['cbf', 'tif', 'OME-TIFF'] }],
  preparation: ['isoflurane anaesthesia (1.5 %)', 'awake, head-fixed'],
};

const NEUROPIXELS: Modality = {
  term: 'Neuropixels',
  spellings: ['Neuropixels', 'Neuropixels', 'Neuropixels recording'],
  short: 'NP',
  instrument: [
    { name: 'Neuropixels 1.0 probe', manufacturer: 'IMEC', model: 'PRB_1_4_0480_1', type: 'micro electrode' },
    { name: 'Neuropixels 2.0 probe', manufacturer: 'IMEC', model: 'NP2010', type: 'micro electrode' },
  ],
  settings: (rng) => ({
    samplingRate: quantity(rng, 30_000, 'Hz', [1e-3, 'kHz']),
    depth: quantity(rng, int(rng, 20, 40) * 100, 'um', [1e-3, 'mm']),
  }),
  files: [
    ['ap', 'bin', 'binary', [12_000, 60_000]],
    ['ecephys', 'nwb', 'NWB', [800, 4000]],
  ],
  analyses: [
    { method: 'spike sorting', software: 'Kilosort 2.5', output: ['units', 'nwb', 'NWB'] },
    { method: 'probe track reconstruction', software: 'SHARP-Track' },
  ],
  preparation: ['awake, head-fixed, acute insertion', 'awake, head-fixed, chronic implant'],
};

const LFP: Modality = {
  term: 'LFP',
  spellings: ['LFP', 'LFP', 'local field potential recording', 'OBI:0002189'],
  short: 'LFP',
  instrument: [
    {
      name: 'Intan RHD2000 + tetrode hyperdrive',
      manufacturer: 'Intan Technologies',
      type: 'micro electrode',
    },
    { name: 'Open Ephys acquisition board', manufacturer: 'Open Ephys', type: 'micro electrode' },
  ],
  settings: (rng) => ({ samplingRate: quantity(rng, pick(rng, [1250, 2500, 30_000]), 'Hz', [1e-3, 'kHz']) }),
  files: [['ecephys', 'nwb', 'NWB', [2000, 9000]]],
  analyses: [
    {
      method: 'sharp-wave ripple detection',
      software: 'ripple_detection 1.2',
      output: ['ripples', 'csv', 'CSV'],
    },
    { method: 'theta phase analysis', software: 'lab thetatools 0.3' },
  ],
  preparation: ['freely moving', 'freely moving, post-task sleep'],
};

const SPIM: Modality = {
  term: 'SPIM',
  spellings: ['SPIM', 'SPIM', 'FBbi:00000369'],
  short: 'LSM',
  instrument: [
    { name: 'light-sheet microscope', manufacturer: 'custom build', type: 'light sheet microscope' },
  ],
  settings: (rng) => ({
    objective: pick(rng, ['20x/1.0 NA water', '16x/0.8 NA water']),
    excitationWavelength: quantity(rng, 488, 'nm'),
    emissionWavelength: quantity(rng, 525, 'nm'),
    pixelSize: quantity(rng, pick(rng, [0.65, 0.8]), 'um'),
    frameRate: quantity(rng, pick(rng, [1, 2, 3]), 'Hz'),
    indicator: 'H2B-GCaMP6s',
  }),
  files: [['volume', 'ome.zarr', 'OME-Zarr', [20_000, 120_000]]],
  analyses: [
    { method: 'whole-brain cell segmentation', software: 'CaImAn 1.9', output: ['cells', 'h5', 'HDF5'] },
  ],
  preparation: ['larva embedded in 2 % low-melting agarose'],
};

const CONFOCAL: Modality = {
  term: 'confocal microscopy',
  spellings: ['confocal microscopy', 'FBbi:00000251'],
  short: 'CF',
  instrument: [{ name: 'LSM 980', manufacturer: 'Zeiss', model: 'LSM 980', type: 'confocal microscope' }],
  settings: (rng) => ({
    objective: pick(rng, ['20x/0.8 air', '40x/1.3 oil']),
    excitationWavelength: quantity(rng, pick(rng, [488, 561, 640]), 'nm'),
    pixelSize: quantity(rng, pick(rng, [0.2, 0.41, 0.83]), 'um'),
    depth: quantity(rng, int(rng, 5, 30) * 10, 'um'),
  }),
  files: [['stack', 'czi', 'CZI', [200, 3000]]],
  analyses: [{ method: 'cell counting', software: 'Fiji 2.14', output: ['counts', 'csv', 'CSV'] }],
  preparation: ['fixed, 4 % PFA, cleared (CUBIC)', 'fixed whole-mount'],
};

type Theme = {
  topic: string;
  keywords: readonly string[];
  species: readonly Species[];
  modalities: readonly Modality[];
  regions: readonly string[];
  /** Days of the imaging schedule, relative to the theme's key intervention. */
  schedule: readonly number[];
  interventions: readonly { id: string; procedure: string; target: string; offset: number }[];
};

const THEMES: readonly Theme[] = [
  {
    topic: 'Cortical blood flow after middle cerebral artery occlusion',
    keywords: ['stroke', 'cerebral blood flow', 'capillaries'],
    species: [MOUSE, MOUSE, RAT],
    modalities: [WIDEFIELD, SPECKLE, TWO_PHOTON],
    regions: ['somatosensory cortex', 'barrel cortex', 'primary motor cortex', 'cerebral cortex'],
    schedule: [-1, 2, 7, 14, 28],
    interventions: [
      { id: 'window', procedure: 'craniotomy', target: 'cerebral cortex', offset: -21 },
      {
        id: 'mcao',
        procedure: 'middle cerebral artery occlusion',
        target: 'middle cerebral artery',
        offset: 0,
      },
    ],
  },
  {
    topic: 'Orientation tuning across visual cortical areas',
    keywords: ['visual cortex', 'calcium imaging', 'orientation tuning'],
    species: [MOUSE],
    modalities: [TWO_PHOTON, NEUROPIXELS, WIDEFIELD],
    regions: [
      'primary visual cortex',
      'lateral visual area',
      'anterolateral visual area',
      'posteromedial visual area',
      'rostrolateral visual area',
      'superior colliculus',
    ],
    schedule: [14, 17, 21, 24, 28, 35],
    interventions: [
      { id: 'aav', procedure: 'virus injection', target: 'primary visual cortex', offset: 0 },
      { id: 'window', procedure: 'craniotomy', target: 'visual cortex', offset: 0 },
    ],
  },
  {
    topic: 'Hippocampal place cells and oscillations during spatial learning',
    keywords: ['hippocampus', 'place cells', 'sharp-wave ripples'],
    species: [MOUSE, RAT],
    modalities: [TWO_PHOTON, LFP, NEUROPIXELS],
    regions: [
      'CA1',
      'CA1 field of hippocampus',
      'dentate gyrus',
      'CA3 field of hippocampus',
      'subiculum',
      'entorhinal cortex',
    ],
    schedule: [21, 22, 23, 24, 25, 26, 28],
    interventions: [{ id: 'implant', procedure: 'craniotomy', target: 'hippocampal formation', offset: 0 }],
  },
  {
    topic: 'Motor learning in cortex, striatum and cerebellum',
    keywords: ['motor learning', 'reaching', 'striatum'],
    species: [MOUSE, RAT],
    modalities: [TWO_PHOTON, NEUROPIXELS, LFP],
    regions: ['primary motor cortex', 'striatum', 'cerebellum', 'posterior parietal cortex', 'motor cortex'],
    schedule: [10, 12, 14, 17, 21],
    interventions: [{ id: 'window', procedure: 'craniotomy', target: 'primary motor cortex', offset: 0 }],
  },
  {
    topic: 'Odour coding in the olfactory bulb and piriform cortex',
    keywords: ['olfaction', 'odour coding'],
    species: [MOUSE],
    modalities: [TWO_PHOTON, LFP],
    regions: ['olfactory bulb', 'piriform cortex', 'orbitofrontal cortex'],
    schedule: [14, 15, 16, 21],
    interventions: [{ id: 'window', procedure: 'craniotomy', target: 'olfactory bulb', offset: 0 }],
  },
  {
    topic: 'Whole-brain activity in larval zebrafish',
    keywords: ['zebrafish', 'whole-brain imaging', 'light-sheet'],
    species: [ZEBRAFISH],
    modalities: [SPIM, CONFOCAL],
    regions: ['brain', 'cerebellum', 'retina', 'hypothalamus'],
    schedule: [0, 1, 2],
    interventions: [{ id: 'dye', procedure: 'injection', target: 'brain', offset: 0 }],
  },
  {
    topic: 'Prefrontal and visual cortex activity during working memory in macaques',
    keywords: ['working memory', 'prefrontal cortex', 'primate'],
    species: [MACAQUE],
    modalities: [NEUROPIXELS, LFP],
    regions: [
      'prefrontal cortex',
      'primary visual cortex',
      'posterior parietal cortex',
      'orbitofrontal cortex',
    ],
    schedule: [30, 37, 44, 51, 58, 65],
    interventions: [{ id: 'chamber', procedure: 'craniotomy', target: 'prefrontal cortex', offset: 0 }],
  },
];

const FIRST = [
  'Ada',
  'Bo',
  'Chiara',
  'Dev',
  'Elif',
  'Femi',
  'Greta',
  'Hiro',
  'Ines',
  'Jonas',
  'Kemal',
  'Lena',
  'Mateo',
  'Noor',
  'Oskar',
  'Priya',
  'Quentin',
  'Rosa',
  'Sven',
  'Tala',
  'Umar',
  'Vera',
  'Wen',
  'Yusuf',
  'Zofia',
];
const LAST = [
  'Achterberg',
  'Bianchi',
  'Castell',
  'Dimitrov',
  'Eze',
  'Fournier',
  'Gallagher',
  'Haddad',
  'Iwasaki',
  'Jansen',
  'Kowalczyk',
  'Lindgren',
  'Moreau',
  'Nakamura',
  'Okonkwo',
  'Petrova',
  'Quispe',
  'Rahman',
  'Sato',
  'Tanaka',
  'Ueda',
  'Varga',
  'Whitfield',
  'Xu',
  'Yilmaz',
  'Zeller',
];
const ROLES = [
  'principal investigator',
  'postdoctoral researcher',
  'PhD student',
  'research technician',
  'data manager',
];
const LICENCES = [
  'CC-BY-4.0',
  'CC-BY-4.0',
  'CC-BY-4.0',
  'CC0-1.0',
  'CC0-1.0',
  'https://creativecommons.org/licenses/by/4.0/',
];
const HEMISPHERES = ['left', 'right', 'left', 'right', 'bilateral'] as const;

// ---- one lab -----------------------------------------------------------------------------------------

/** All records of one lab, in file order: studies, then subjects, then sessions. */
export function generateLab(labNumber: number, seed: number, sessions: number): Rec[] {
  const rng = mulberry32(labSeed(seed, labNumber));
  const lab = `lab-${pad(labNumber, 3)}`;
  // Round robin, so any seven consecutive labs cover every theme.
  const theme = THEMES[(labNumber - 1) % THEMES.length]!;
  const pi = `${pick(rng, FIRST)} ${pick(rng, LAST)}`;
  const labName = `${pi.split(' ')[1]} Lab (${lab})`;
  const startYear = int(rng, 2017, 2023);
  const studyCount = sessions >= 200 ? int(rng, 1, 3) : 1;
  const records: Rec[] = [];

  const studies: { id: string; start: string; doi?: string; components: Set<string> }[] = [];
  for (let s = 1; s <= studyCount; s++) {
    const id = `${lab.toUpperCase()}-S${s}`;
    const start = addDays(`${startYear + s - 1}-01-01`, int(rng, 0, 300));
    const status = pick(rng, [
      'published',
      'published',
      'submitted',
      'in-preparation',
      'unpublished',
    ] as const);
    const doi =
      status === 'published' ? `10.5555/${lab}.${startYear + s}.${pad(int(rng, 1, 9999), 4)}` : undefined;
    const authors = [{ name: pi, role: 'principal investigator', affiliation: labName }];
    for (let a = int(rng, 1, 5); a > 0; a--) {
      authors.push({
        name: `${pick(rng, FIRST)} ${pick(rng, LAST)}`,
        role: pick(rng, ROLES),
        affiliation: labName,
      });
    }
    const study: Rec = {
      schemaVersion: '1',
      kind: 'study',
      id,
      title: `${theme.topic} (${lab}, study ${s})`,
      description: `Synthetic study generated for load tests: ${theme.topic.toLowerCase()}, ${theme.modalities
        .map((m) => m.term)
        .join(', ')} in ${theme.species.map((x) => x.name).join(' and ')}.`,
      license: pick(rng, LICENCES),
      authors,
      releaseDate: addDays(start, int(rng, 400, 900)),
      lab: labName,
      keywords: [...theme.keywords],
      components: theme.modalities.map((m) => ({
        id: m.short.toLowerCase(),
        title: `${m.term} sessions`,
        description: `All ${m.term} sessions of the study, one per subject and timepoint.`,
      })),
      publication: doi ? { status, doi } : { status },
    };
    if (chance(rng, 0.8)) study.funding = [`Synthetic Research Fund grant ${hex(rng, 6).toUpperCase()}`];
    records.push(study);
    studies.push({ id, start, doi, components: new Set(theme.modalities.map((m) => m.short.toLowerCase())) });
  }

  // Subjects: each belongs to one study; key intervention dates spread over the study's first year.
  const subjectCount = Math.max(1, Math.round(sessions / SESSIONS_PER_SUBJECT));
  const subjects: {
    id: string;
    study: (typeof studies)[number];
    species: Species;
    anchor: string;
    side: string;
  }[] = [];
  for (let i = 0; i < subjectCount; i++) {
    const study = studies[i % studies.length]!;
    const species = pick(rng, theme.species);
    const id = `${species.idPrefix}${pad(i + 1, 4)}`;
    const anchor = addDays(study.start, int(rng, 0, 365));
    const side = pick(rng, HEMISPHERES);
    const ageDays = int(rng, species.ageDays[0], species.ageDays[1]);
    const ageForm = rng();
    const subject: Rec = {
      kind: 'subject',
      id,
      study: study.id,
      species: species.name,
      strain: pick(rng, species.strains),
      sex: pick(rng, ['female', 'male']),
      age: ageText(ageDays, ageForm),
      dateOfBirth: addDays(anchor, -ageDays),
      interventions: theme.interventions.map((iv) => ({
        id: iv.id,
        procedure: iv.procedure,
        target: iv.target,
        hemisphere: side,
        date: addDays(anchor, iv.offset),
      })),
    };
    subject.description = `${subject.sex === 'female' ? 'Female' : 'Male'} ${species.name}, ${subject.strain}.${
      chance(rng, 0.1)
        ? ` ${pick(rng, ['Excluded from the behavioural analysis.', 'Window regrowth after week 3.', 'Lost 12 % body weight after surgery; recovered.'])}`
        : ''
    }`;
    records.push(subject);
    subjects.push({ id, study, species, anchor, side });
  }

  // Sessions: subject k % n, visit k / n; a visit is (modality, timepoint) in a fixed order, so the first
  // timepoint of each modality is a session that later ones can register to.
  const anchorId = theme.interventions.at(-1)!.id;
  const schedule = theme.schedule;
  for (let k = 0; k < sessions; k++) {
    const subject = subjects[k % subjectCount]!;
    const visit = Math.floor(k / subjectCount);
    const modality = theme.modalities[Math.floor(visit / schedule.length) % theme.modalities.length]!;
    const day = schedule[visit % schedule.length]!;
    const round = Math.floor(visit / (schedule.length * theme.modalities.length));
    const id = `${subject.id}-${modality.short}-${pad(visit + 1, 3)}`;
    const baseVisit = visit - (visit % schedule.length);
    const date = addDays(subject.anchor, day + round * 90);
    const region = pick(rng, theme.regions);
    const prefix = `s3://${lab}/${subject.study.id}/${subject.id}/${id}`;
    const files = pickSome(rng, modality.files, 1, 3).map(([name, ext, format, [lo, hi]]) => {
      const mb = int(rng, lo, hi);
      return {
        uri: `${prefix}/${id}_${name}.${ext}`,
        format,
        size: chance(rng, 0.5) ? mb * 1_000_000 : mb >= 1000 ? `${(mb / 1000).toFixed(1)} GB` : `${mb} MB`,
        checksum: `sha256:${hex(rng, 64)}`,
      };
    });
    const analyses = pickSome(rng, modality.analyses, 0, 2).map((a, i) => {
      const analysis: Rec = { id: `A${i + 1}`, method: a.method, software: a.software };
      if (a.output) {
        const [name, ext, format] = a.output;
        analysis.outputs = [
          {
            uri: `${prefix}/derived/${id}_${name}.${ext}`,
            format,
            size: int(rng, 10_000, 900_000_000),
            checksum: `sha256:${hex(rng, 64)}`,
          },
        ];
      }
      return analysis;
    });
    const published = subject.study.doi !== undefined && chance(rng, 0.6);
    const status = published
      ? 'published'
      : pick(rng, ['unpublished', 'unpublished', 'unpublished', 'submitted', 'in-preparation'] as const);
    const session: Rec = {
      schemaVersion: '1',
      kind: 'session',
      id,
      study: subject.study.id,
      component: modality.short.toLowerCase(),
      subject: subject.id,
      date,
      modality: pick(rng, modality.spellings),
      region,
      hemisphere: subject.side,
      timepoint: {
        relativeTo: anchorId,
        day: day + round * 90,
        label: day < 0 ? 'baseline' : `day ${day + round * 90}`,
      },
      instrument: { ...pick(rng, modality.instrument) },
      specimen: { preparation: pick(rng, modality.preparation) },
      settings: modality.settings(rng),
    };
    if (visit !== baseVisit) {
      session.registration = {
        to: `${subject.id}-${modality.short}-${pad(baseVisit + 1, 3)}`,
        method: pick(rng, [
          'rigid, vessel landmarks',
          'affine (elastix 5.1)',
          'cross-day ROI matching (CellReg)',
        ]),
      };
    }
    session.files = files;
    if (analyses.length > 0) session.analyses = analyses;
    session.publication = published ? { status, doi: subject.study.doi } : { status };
    if (chance(rng, 0.05))
      session.notes = pick(rng, [
        'motion artefacts in the last third',
        'short session: animal stopped running',
        'laser power raised half-way',
      ]);
    records.push(session);
  }
  return records;
}

/** Ages as labs write them: P60, plain days, weeks, {value, unit}; years for long-lived species. */
function ageText(days: number, form: number): unknown {
  if (days > 730) return `${(days / 365.25).toFixed(1)} years`;
  if (form < 0.4) return `P${days}`;
  if (form < 0.7) return days;
  if (form < 0.85) return `${Math.round(days / 7)} weeks`;
  return { value: days, unit: 'days' };
}

/** Between `min` and `max` distinct items, in their original order. */
function pickSome<T>(rng: Rng, items: readonly T[], min: number, max: number): T[] {
  const n = Math.min(items.length, int(rng, min, max));
  const chosen = new Set<number>();
  while (chosen.size < n) chosen.add(Math.floor(rng() * items.length));
  return [...chosen].sort((a, b) => a - b).map((i) => items[i]!);
}

// ---- writing -----------------------------------------------------------------------------------------

/**
 * Writes `labs` folders lab-001/ ... under `out`, each holding records-001.jsonl, records-002.jsonl, ... (one
 * record per line). The same seed gives byte-identical files; older records-*.jsonl chunks left in those
 * folders by a bigger run are removed so a folder never mixes two runs.
 */
export async function generateFederation(opts: GenerateOptions): Promise<GenerateResult> {
  const sessions = opts.sessionsPerLab ?? DEFAULT_SESSIONS_PER_LAB;
  const perFile = opts.recordsPerFile ?? DEFAULT_RECORDS_PER_FILE;
  checkCount('labs', opts.labs, 1);
  checkCount('sessionsPerLab', sessions, 1);
  checkCount('recordsPerFile', perFile, 1);
  if (!Number.isInteger(opts.seed)) throw new RangeError(`seed must be an integer, got ${opts.seed}`);
  const files: string[] = [];
  let total = 0;
  for (let lab = 1; lab <= opts.labs; lab++) {
    const dir = join(opts.out, `lab-${pad(lab, 3)}`);
    await mkdir(dir, { recursive: true });
    const records = generateLab(lab, opts.seed, sessions);
    const written = new Set<string>();
    for (let start = 0, chunk = 1; start < records.length; start += perFile, chunk++) {
      const name = `records-${pad(chunk, 3)}.jsonl`;
      const lines = records.slice(start, start + perFile).map((r) => `${JSON.stringify(r)}\n`);
      const file = join(dir, name);
      await writeFile(file, lines.join(''));
      written.add(name);
      files.push(file);
    }
    for (const name of await readdir(dir)) {
      if (/^records-\d+\.jsonl$/.test(name) && !written.has(name)) await rm(join(dir, name));
    }
    total += records.length;
  }
  return { files, records: total };
}

function checkCount(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min)
    throw new RangeError(`${name} must be an integer >= ${min}, got ${value}`);
}

// ---- command line ------------------------------------------------------------------------------------

const USAGE = 'usage: benchgraph generate --labs N --seed S [--sessions N] [--out DIR]';

/** `benchgraph generate --labs N --seed S [--sessions N] [--out DIR]`: argv is what follows the verb; returns the exit code. */
export async function runGenerateCommand(argv: string[]): Promise<number> {
  const values: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--(labs|seed|sessions|out)(?:=(.*))?$/.exec(arg);
    if (!m) return usage(`unknown argument '${arg}'`);
    const value = m[2] ?? argv[++i];
    if (value === undefined || value === '') return usage(`--${m[1]} needs a value`);
    values[m[1]!] = value;
  }
  if (values.labs === undefined) return usage('--labs is required');
  if (values.seed === undefined) return usage('--seed is required');
  const bad = (['labs', 'seed', 'sessions'] as const).find(
    (f) => values[f] !== undefined && !/^\d+$/.test(values[f]!),
  );
  if (bad) return usage(`--${bad} expects a whole number, got '${values[bad]}'`);
  const labs = Number(values.labs);
  const seed = Number(values.seed);
  const sessions = values.sessions === undefined ? DEFAULT_SESSIONS_PER_LAB : Number(values.sessions);
  if (labs < 1) return usage('--labs must be at least 1');
  if (sessions < 1) return usage('--sessions must be at least 1');
  if (seed > 0xffffffff) return usage(`--seed must be below 2^32 (4294967296), got '${values.seed}'`);
  const out = resolve(values.out ?? './generated');
  const result = await generateFederation({ labs, seed, sessionsPerLab: sessions, out });
  process.stdout.write(
    `wrote ${result.records} records (${labs} labs x ${sessions} sessions, plus studies and subjects) ` +
      `in ${result.files.length} files under ${out}\n` +
      `  ${result.files.map((f) => f.slice(out.length + 1)).join('\n  ')}\n` +
      `  about ${Math.round((labs * sessions * TRIPLES_PER_SESSION) / 1000) * 1000} triples after mapping ` +
      `(~${TRIPLES_PER_SESSION} per session)\n`,
  );
  return 0;
}

function usage(problem: string): number {
  process.stderr.write(`benchgraph generate: ${problem}\n${USAGE}\n`);
  return 2;
}
