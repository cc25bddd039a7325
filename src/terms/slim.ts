// Builds ontologies/slims/*.ttl: small Turtle extracts of public ontologies (labels, synonyms, is_a, part_of).
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import type { Quad } from '@rdfjs/types';
import { DataFactory, Parser, Writer } from 'n3';
import { parse as parseYaml } from 'yaml';
import { BENCHGRAPH, prefixes } from '../namespaces.ts';
import { type OboTerm, headerValue, oboTerms, parseObo } from './obo.ts';
import { ONTOLOGIES_DIR, type SlimSource, type SourcesConfig, readSources } from './sources.ts';

const { namedNode, literal, quad } = DataFactory;

export type SlimReport = {
  name: string;
  /** Output file, relative to the current directory. */
  file: string;
  terms: number;
  bytes: number;
  /** Seeds (from sources.yaml, seed lists, alignments or openMINDS) that are not in the source files. */
  missingSeeds: string[];
  /** Seeds that are obsolete in the source, with their replacement when the source names one. */
  obsoleteSeeds: string[];
  /** is_a / part_of links to classes that the source files do not define, left out of the slim. */
  droppedLinks: number;
};

export type SlimSummary = {
  out: string;
  slims: SlimReport[];
  /** IRIs that alignments.ttl or openMINDS link to but that no slim (nor alignments.ttl itself) defines. */
  unmatchedLinks: string[];
};

export type BuildSlimsOptions = {
  /** Folder holding the shared data (the one with ontologies/ and openminds-terminologies/). */
  from: string;
  /** Folder the slims are written to. */
  out: string;
  /** sources.yaml to read; defaults to the repository's ontologies/sources.yaml. */
  sources?: string;
  /** Alignment axioms whose link targets are kept; defaults to alignments.ttl next to sources.yaml. */
  alignments?: string;
  /** Command recorded in the slim headers; defaults to `benchgraph slims --from <from> --out <out>`. */
  command?: string;
};

/** One term as written to a slim. */
type SlimTerm = {
  iri: string;
  kind: 'class' | 'property';
  label: string | null;
  synonyms: Map<string, string>; // text -> scope, the strongest scope wins
  parents: Set<string>;
  partOf: Set<string>;
  seeAlso: Set<string>;
  exactMatch: Set<string>;
};

type Built = { terms: SlimTerm[]; report: Omit<SlimReport, 'file' | 'bytes' | 'terms'>; versions: string[] };

const OBO = prefixes.obo;
const PART_OF = `${OBO}BFO_0000050`;
const SCOPE_PREDICATE: Record<string, string> = {
  EXACT: `${prefixes.oboInOwl}hasExactSynonym`,
  NARROW: `${prefixes.oboInOwl}hasNarrowSynonym`,
  BROAD: `${prefixes.oboInOwl}hasBroadSynonym`,
  RELATED: `${prefixes.oboInOwl}hasRelatedSynonym`,
};
const SCOPE_RANK: Record<string, number> = { EXACT: 0, NARROW: 1, BROAD: 2, RELATED: 3 };

/** OBO CURIE (`UBERON:0000955`) to its PURL; ids without a prefix (`part_of`) give null. */
export function oboIri(id: string): string | null {
  if (/^https?:\/\//.test(id)) return id;
  const i = id.indexOf(':');
  if (i <= 0 || i === id.length - 1) return null;
  return `${OBO}${id.slice(0, i)}_${id.slice(i + 1)}`;
}

/** OBO PURL back to a CURIE (`...obo/FBbi_00000246` -> `FBbi:00000246`), or null for other IRIs. */
export function oboCurie(iri: string): string | null {
  if (!iri.startsWith(OBO)) return null;
  const local = iri.slice(OBO.length);
  const i = local.lastIndexOf('_');
  return i <= 0 ? null : `${local.slice(0, i)}:${local.slice(i + 1)}`;
}

/** Builds every slim listed in sources.yaml and writes one Turtle file per ontology into `out`. */
export async function buildSlims(opts: BuildSlimsOptions): Promise<SlimSummary> {
  const config = readSources(opts.sources);
  const from = resolve(opts.from);
  const fromStat = await stat(from).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return null;
    throw e;
  });
  if (fromStat === null || !fromStat.isDirectory()) {
    throw new Error(
      `${opts.from}: no such folder; expected the shared data folder holding the source ontologies (--from DIR)`,
    );
  }
  const out = resolve(opts.out);
  const command =
    opts.command ??
    `benchgraph slims --from ${slash(relative('.', from))} --out ${slash(relative('.', out))}`;
  const alignmentsFile = opts.alignments ?? join(dirname(config.file), 'alignments.ttl');
  let alignments: Quad[];
  try {
    alignments = new Parser().parse(await readFile(alignmentsFile, 'utf8'));
  } catch (e) {
    throw new Error(`${alignmentsFile}: ${(e as Error).message}`, { cause: e });
  }

  // Classes that alignments.ttl and openMINDS point at are seeds too, so that the links land on kept terms.
  const built = new Map<string, Built>();
  const openmindsSources = config.slims.filter((s) => s.format === 'openminds');
  for (const s of openmindsSources) built.set(s.name, await buildOpenminds(s, from));
  const linkTargets = new Set<string>();
  for (const q of alignments) {
    if (q.object.termType === 'NamedNode' && q.predicate.value !== `${prefixes.rdf}type`)
      linkTargets.add(q.object.value);
  }
  for (const b of built.values()) for (const t of b.terms) for (const m of t.exactMatch) linkTargets.add(m);
  const extraSeeds = [...linkTargets].map(oboCurie).filter((c): c is string => c !== null);

  for (const s of config.slims) {
    if (s.format === 'obo') built.set(s.name, await buildObo(s, from, extraSeeds));
    if (s.format === 'terms-yaml') built.set(s.name, await buildTermsYaml(s, from, dirname(config.file)));
  }

  await mkdir(out, { recursive: true });
  const reports: SlimReport[] = [];
  const defined = new Set(
    alignments.filter((q) => q.predicate.value === `${prefixes.rdfs}label`).map((q) => q.subject.value),
  );
  for (const s of config.slims) {
    const b = built.get(s.name)!;
    for (const t of b.terms) defined.add(t.iri);
    const text = await toTurtle(s, b, command, config);
    const file = join(out, `${s.name}.ttl`);
    await writeFile(file, text);
    reports.push({
      ...b.report,
      file: slash(relative('.', file)),
      terms: b.terms.length,
      bytes: Buffer.byteLength(text),
    });
  }
  const unmatchedLinks = [...linkTargets].filter((iri) => !defined.has(iri)).sort();
  return { out: slash(relative('.', out)), slims: reports, unmatchedLinks };
}

/** `benchgraph slims [--from DIR] [--out DIR]`: builds the slims and prints what was written. */
export async function runSlimCommand(argv: string[]): Promise<number> {
  let from = '../shared/data';
  let out = 'ontologies/slims';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(
        'usage: benchgraph slims [--from DIR] [--out DIR]\n' +
          '  --from DIR  shared data folder holding ontologies/ and openminds-terminologies/ (default ../shared/data)\n' +
          '  --out DIR   folder for the Turtle slims (default ontologies/slims)\n',
      );
      return 0;
    }
    const value = argv[i + 1];
    if ((arg === '--from' || arg === '--out') && (value === undefined || value.startsWith('--'))) {
      process.stderr.write(`benchgraph slims: ${arg} expects a folder\n`);
      return 2;
    }
    if (arg === '--from') from = argv[++i]!;
    else if (arg === '--out') out = argv[++i]!;
    else {
      process.stderr.write(`benchgraph slims: unknown option ${arg} (expected --from DIR or --out DIR)\n`);
      return 2;
    }
  }
  let summary: SlimSummary;
  try {
    summary = await buildSlims({ from, out });
  } catch (e) {
    process.stderr.write(`benchgraph slims: ${(e as Error).message}\n`);
    return 1;
  }
  for (const r of summary.slims) {
    process.stdout.write(`${r.file}: ${r.terms} terms, ${(r.bytes / 1024).toFixed(0)} KiB\n`);
    if (r.missingSeeds.length > 0) {
      process.stdout.write(
        `  ${r.missingSeeds.length} seeds not in the source: ${preview(r.missingSeeds)}\n`,
      );
    }
    if (r.obsoleteSeeds.length > 0)
      process.stdout.write(`  obsolete seeds left out: ${preview(r.obsoleteSeeds)}\n`);
  }
  if (summary.unmatchedLinks.length > 0) {
    process.stderr.write(
      `benchgraph slims: links to classes that no slim defines: ${summary.unmatchedLinks.join(', ')}\n`,
    );
  }
  return 0;
}

/** Reads, merges and selects the terms of one OBO source. */
async function buildObo(s: SlimSource, from: string, extraSeeds: string[]): Promise<Built> {
  const terms = new Map<string, OboTerm>();
  const versions: string[] = [];
  for (const f of s.files) {
    const doc = parseObo(await readFile(join(from, f.path), 'utf8'), f.path);
    const dataVersion = headerValue(doc, 'data-version');
    versions.push(
      `${f.path}: ${f.version}${dataVersion !== null && !f.version.includes(dataVersion) ? ` (data-version ${dataVersion})` : ''}`,
    );
    for (const [id, t] of oboTerms(doc)) {
      const seen = terms.get(id);
      if (seen === undefined) {
        terms.set(id, { ...t, synonyms: [...t.synonyms], isA: [...t.isA], partOf: [...t.partOf] });
        continue;
      }
      // Same term in several files (the Uberon subsets): the first label wins and a different later label
      // is kept as an exact synonym; links and synonyms are merged.
      if (seen.label !== null && t.label !== null && t.label !== seen.label) {
        seen.synonyms.push({ text: t.label, scope: 'EXACT', type: null });
      }
      seen.label ??= t.label;
      seen.obsolete ||= t.obsolete;
      seen.synonyms.push(...t.synonyms);
      seen.isA = [...new Set([...seen.isA, ...t.isA])];
      seen.partOf = [...new Set([...seen.partOf, ...t.partOf])];
    }
  }
  const live = (id: string) => {
    const t = terms.get(id);
    return t !== undefined && !t.obsolete;
  };
  const children = new Map<string, string[]>();
  for (const t of terms.values()) {
    for (const p of [...t.isA, ...t.partOf]) {
      const list = children.get(p);
      if (list === undefined) children.set(p, [t.id]);
      else list.push(t.id);
    }
  }

  const keep = new Set<string>();
  const missingSeeds: string[] = [];
  const obsoleteSeeds: string[] = [];
  if (s.keep.all) for (const t of terms.values()) if (t.kind === 'class' && !t.obsolete) keep.add(t.id);
  const seeds = [...s.keep.seeds];
  for (const list of s.keep.seedLists) {
    const text = await readFile(join(from, list), 'utf8');
    for (const line of text.split(/\r?\n/))
      if (line.trim() !== '' && !line.startsWith('#')) seeds.push(line.trim());
  }
  for (const id of seeds) {
    const t = terms.get(id);
    if (t === undefined) missingSeeds.push(id);
    else if (t.obsolete)
      obsoleteSeeds.push(t.replacedBy.length > 0 ? `${id} (replaced by ${t.replacedBy.join(', ')})` : id);
    else keep.add(id);
  }
  // Links from alignments/openMINDS name classes of every ontology; only those defined here are kept.
  for (const id of extraSeeds) if (live(id)) keep.add(id);
  for (const root of s.keep.descendantsOf) {
    if (!live(root)) {
      missingSeeds.push(root);
      continue;
    }
    const seen = new Set([root]);
    const stack = [root];
    while (stack.length > 0) {
      const id = stack.pop()!;
      keep.add(id);
      for (const c of children.get(id) ?? []) {
        if (live(c) && !seen.has(c)) {
          seen.add(c);
          stack.push(c);
        }
      }
    }
  }
  // Ancestor closure, so that every is_a / part_of link of a kept term points at a kept term.
  const stack = [...keep];
  while (stack.length > 0) {
    const t = terms.get(stack.pop()!)!;
    for (const p of [...t.isA, ...t.partOf]) {
      if (live(p) && !keep.has(p)) {
        keep.add(p);
        stack.push(p);
      }
    }
  }

  let droppedLinks = 0;
  const out: SlimTerm[] = [];
  for (const id of keep) {
    const t = terms.get(id)!;
    const iri = oboIri(id);
    if (iri === null) continue;
    const link = (targets: string[]) => {
      const set = new Set<string>();
      for (const p of targets) {
        const target = oboIri(p);
        if (target !== null && keep.has(p)) set.add(target);
        else if (!terms.get(p)?.obsolete) droppedLinks++;
      }
      return set;
    };
    const synonyms = new Map<string, string>();
    for (const syn of t.synonyms) {
      if (s.keep.synonymScopes.includes(syn.scope)) addSynonym(synonyms, syn.text, syn.scope, t.label);
    }
    out.push({
      iri,
      kind: t.kind,
      label: t.label,
      synonyms,
      parents: link(t.isA),
      partOf: link(t.partOf),
      seeAlso: new Set(),
      exactMatch: new Set(),
    });
  }
  return { terms: out, versions, report: { name: s.name, missingSeeds, obsoleteSeeds, droppedLinks } };
}

/** Builds a slim from a hand-written term list (ontologies/uo-terms.yaml). */
async function buildTermsYaml(s: SlimSource, from: string, local: string): Promise<Built> {
  const out: SlimTerm[] = [];
  const versions: string[] = [];
  for (const f of s.files) {
    const path = f.local ? join(local, f.path) : join(from, f.path);
    versions.push(`${f.path}: ${f.version}`);
    const doc = parseYaml(await readFile(path, 'utf8')) as { terms?: unknown };
    if (!Array.isArray(doc?.terms)) throw new Error(`${f.path}: expected a "terms" list`);
    doc.terms.forEach((entry: unknown, i: number) => {
      const e = entry as Record<string, unknown>;
      const where = `${f.path}: terms[${i}]`;
      const iri = typeof e?.id === 'string' ? oboIri(e.id) : null;
      if (iri === null) throw new Error(`${where}.id: expected a CURIE like UO:0000017`);
      if (typeof e.label !== 'string') throw new Error(`${where}.label: expected a string`);
      const list = (key: string): string[] => {
        const v = e[key];
        if (v === undefined) return [];
        if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
          throw new Error(`${where}.${key}: expected a list of strings`);
        }
        return v as string[];
      };
      const synonyms = new Map<string, string>();
      for (const x of [...list('synonyms'), ...list('addedSynonyms')])
        addSynonym(synonyms, x, 'EXACT', e.label);
      for (const x of list('relatedSynonyms')) addSynonym(synonyms, x, 'RELATED', e.label);
      const parents = new Set<string>();
      for (const p of list('parents')) {
        const pi = oboIri(p);
        if (pi === null) throw new Error(`${where}.parents: expected CURIEs, got "${p}"`);
        parents.add(pi);
      }
      out.push({
        iri,
        kind: 'class',
        label: e.label,
        synonyms,
        parents,
        partOf: new Set(),
        seeAlso: new Set(),
        exactMatch: new Set(),
      });
    });
  }
  const iris = new Set(out.map((t) => t.iri));
  const missing = out.flatMap((t) => [...t.parents].filter((p) => !iris.has(p)));
  if (missing.length > 0)
    throw new Error(`${s.files[0]!.path}: parents not defined in the list: ${missing.join(', ')}`);
  return {
    terms: out,
    versions,
    report: { name: s.name, missingSeeds: [], obsoleteSeeds: [], droppedLinks: 0 },
  };
}

/** Reads the openMINDS instance files named in sources.yaml. */
async function buildOpenminds(s: SlimSource, from: string): Promise<Built> {
  const base = join(from, s.files[0]!.path);
  const names = [...s.openminds.instances];
  for (const dir of s.openminds.allOf) {
    const files = (await readdir(join(base, dir))).filter((f) => f.endsWith('.jsonld')).sort();
    names.push(...files.map((f) => `${dir}/${f.slice(0, -'.jsonld'.length)}`));
  }
  const out: SlimTerm[] = [];
  const missingSeeds: string[] = [];
  for (const name of names) {
    const rel = `${s.files[0]!.path}/${name}.jsonld`;
    let text: string;
    try {
      text = await readFile(join(base, `${name}.jsonld`), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      missingSeeds.push(name);
      continue;
    }
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(text) as Record<string, unknown>;
    } catch (e) {
      throw new Error(`${rel}: not valid JSON: ${(e as Error).message}`, { cause: e });
    }
    const id = doc['@id'];
    const label = doc.name;
    if (typeof id !== 'string' || typeof label !== 'string')
      throw new Error(`${rel}: expected "@id" and "name" strings`);
    const scope = s.openminds.exactSynonyms.includes(name.split('/')[0]!) ? 'EXACT' : 'RELATED';
    const synonyms = new Map<string, string>();
    for (const x of stringList(doc.synonym)) addSynonym(synonyms, x, scope, label);
    const seeAlso = new Set<string>();
    const exactMatch = new Set<string>();
    for (const ref of [
      ...stringList(doc.preferredOntologyIdentifier),
      ...stringList(doc.otherOntologyIdentifier),
    ]) {
      // An OBO PURL names the same class in an OBO ontology; other identifiers (InterLex, MeSH) are pointers.
      if (ref.startsWith(OBO)) exactMatch.add(ref);
      else seeAlso.add(ref);
    }
    out.push({
      iri: id,
      kind: 'class',
      label,
      synonyms,
      parents: new Set(),
      partOf: new Set(),
      seeAlso,
      exactMatch,
    });
  }
  return {
    terms: out,
    versions: [`${s.files[0]!.path}: ${s.files[0]!.version}`],
    report: { name: s.name, missingSeeds, obsoleteSeeds: [], droppedLinks: 0 },
  };
}

/** Serialises a slim: header comment, an owl:Ontology node with provenance, then the terms sorted by IRI. */
async function toTurtle(s: SlimSource, b: Built, command: string, config: SourcesConfig): Promise<string> {
  const rdf = prefixes.rdf;
  const rdfs = prefixes.rdfs;
  const owl = prefixes.owl;
  const dcterms = prefixes.dcterms;
  const skos = prefixes.skos;
  const quads: Quad[] = [];
  const add = (s: string, p: string, o: ReturnType<typeof namedNode> | ReturnType<typeof literal>) =>
    quads.push(quad(namedNode(s), namedNode(p), o));
  const ontology = `${BENCHGRAPH}slim/${s.name}`;
  add(ontology, `${rdf}type`, namedNode(`${owl}Ontology`));
  add(ontology, `${dcterms}title`, literal(`benchgraph slim of ${s.title}`));
  add(ontology, `${prefixes.prov}wasDerivedFrom`, namedNode(s.ontology));
  for (const f of s.files)
    add(
      ontology,
      `${dcterms}source`,
      literal(f.local ? repoPath(join(dirname(config.file), f.path)) : f.path),
    );
  for (const v of b.versions) add(ontology, `${owl}versionInfo`, literal(v));
  add(ontology, `${dcterms}license`, namedNode(s.licenceIri));
  add(ontology, `${rdfs}comment`, literal(`Licence of the source: ${s.licence}.`));
  add(ontology, `${rdfs}comment`, literal(`Generated by: ${command}`));

  const sorted = [...b.terms].sort((x, y) => compareIri(x.iri, y.iri));
  for (const t of sorted) {
    add(t.iri, `${rdf}type`, namedNode(t.kind === 'class' ? `${owl}Class` : `${owl}ObjectProperty`));
    if (t.label !== null) add(t.iri, `${rdfs}label`, literal(t.label));
    const syns = [...t.synonyms].sort((x, y) => SCOPE_RANK[x[1]]! - SCOPE_RANK[y[1]]! || cmp(x[0], y[0]));
    for (const [text, scope] of syns) add(t.iri, SCOPE_PREDICATE[scope]!, literal(text));
    const sub = t.kind === 'class' ? `${rdfs}subClassOf` : `${rdfs}subPropertyOf`;
    for (const p of [...t.parents].sort(compareIri)) add(t.iri, sub, namedNode(p));
    for (const p of [...t.partOf].sort(compareIri)) add(t.iri, PART_OF, namedNode(p));
    for (const p of [...t.exactMatch].sort(compareIri)) add(t.iri, `${skos}exactMatch`, namedNode(p));
    for (const p of [...t.seeAlso].sort(compareIri)) add(t.iri, `${rdfs}seeAlso`, namedNode(p));
  }
  const used = { rdf, rdfs, owl, obo: OBO, oboInOwl: prefixes.oboInOwl, skos, dcterms, prov: prefixes.prov };
  const writer = new Writer({ prefixes: used });
  writer.addQuads(quads);
  const body = await new Promise<string>((res, rej) =>
    writer.end((err, result) => (err ? rej(err) : res(result))),
  );
  const header = [
    `# benchgraph slim of ${s.title}`,
    `# Source: ${s.ontology}`,
    ...b.versions.map((v) => `#   ${v}`),
    `# Licence: ${s.licence} <${s.licenceIri}>`,
    `# Terms: ${b.terms.length}`,
    `# Generated by: ${command}`,
    `# Do not edit by hand: change ${repoPath(config.file)} and regenerate.`,
    '',
  ].join('\n');
  // A blank line between subjects; n3 escapes newlines inside literals, so `.\n` only ends statements.
  return `${header}\n${body.replace(/\.\n(?=[^\s@])/g, '.\n\n')}`;
}

function addSynonym(map: Map<string, string>, text: string, scope: string, label: string | null): void {
  const t = text.trim();
  if (t === '' || t === label) return;
  const seen = map.get(t);
  if (seen === undefined || SCOPE_RANK[scope]! < SCOPE_RANK[seen]!) map.set(t, scope);
}

function stringList(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return [];
}

/** Orders IRIs with numeric ids by number (`NCBITaxon_9606` before `NCBITaxon_10090`), then as text. */
function compareIri(a: string, b: string): number {
  const ma = /^(.*?)(\d+)$/.exec(a);
  const mb = /^(.*?)(\d+)$/.exec(b);
  if (ma && mb && ma[1] === mb[1]) return Number(ma[2]) - Number(mb[2]) || cmp(ma[2]!, mb[2]!);
  return cmp(a, b);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A path relative to the repository root, for provenance that does not depend on where the build ran. */
function repoPath(p: string): string {
  return slash(relative(resolve(ONTOLOGIES_DIR, '..'), p));
}

function slash(p: string): string {
  return p.split('\\').join('/');
}

function preview(list: string[]): string {
  return list.length > 8 ? `${list.slice(0, 8).join(', ')}, ... (${list.length - 8} more)` : list.join(', ');
}
