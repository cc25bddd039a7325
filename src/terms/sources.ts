// Reads ontologies/sources.yaml: which ontologies are slimmed and how, CURIE prefixes, IRI rewrites, branches.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** The repository's ontologies/ folder, found from this file so that it works from any working directory. */
export const ONTOLOGIES_DIR = fileURLToPath(new URL('../../ontologies/', import.meta.url));

/** A source file: under --from, or (local) next to sources.yaml. */
export type SlimFile = { path: string; version: string; local: boolean };

export type OboKeep = {
  all: boolean;
  seeds: string[];
  seedLists: string[];
  descendantsOf: string[];
  synonymScopes: string[];
};

export type OpenmindsKeep = { instances: string[]; allOf: string[]; exactSynonyms: string[] };

export type SlimSource = {
  name: string;
  title: string;
  ontology: string;
  licence: string;
  licenceIri: string;
  format: 'obo' | 'terms-yaml' | 'openminds';
  files: SlimFile[];
  keep: OboKeep;
  openminds: OpenmindsKeep;
};

export type BranchRule = { prefixes: string[]; under: string[] };
export type BranchConfig = { rules: BranchRule[]; outside: string[] };

export type SourcesConfig = {
  file: string;
  slims: SlimSource[];
  oboPrefixes: Map<string, number>;
  iriRewrites: { pattern: RegExp; to: string }[];
  branches: Map<string, BranchConfig>;
  /** Per branch: names shared by several terms -> the CURIE or IRI benchgraph takes them to mean. */
  preferred: Map<string, Map<string, string>>;
};

const SCOPES = ['EXACT', 'RELATED', 'NARROW', 'BROAD'];

/** Parses and checks sources.yaml; errors name the file and the field path (`slims[2].files[0].path`). */
export function readSources(file = `${ONTOLOGIES_DIR}sources.yaml`): SourcesConfig {
  const doc: unknown = parse(readFileSync(file, 'utf8'));
  const at = (path: string, msg: string) => new Error(`${file}: ${path}: ${msg}`);
  const obj = (v: unknown, path: string): Record<string, unknown> => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw at(path, 'expected a mapping');
    return v as Record<string, unknown>;
  };
  const str = (v: unknown, path: string): string => {
    if (typeof v !== 'string' || v === '') throw at(path, 'expected a non-empty string');
    return v;
  };
  const strs = (v: unknown, path: string): string[] => {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw at(path, 'expected a list of strings');
    return v.map((x, i) => str(x, `${path}[${i}]`));
  };
  const root = obj(doc, '(top)');
  if (!Array.isArray(root.slims)) throw at('slims', 'expected a list');
  const slims = root.slims.map((s, i): SlimSource => {
    const p = `slims[${i}]`;
    const m = obj(s, p);
    const format = str(m.format, `${p}.format`);
    if (format !== 'obo' && format !== 'terms-yaml' && format !== 'openminds') {
      throw at(`${p}.format`, `expected obo, terms-yaml or openminds, got "${format}"`);
    }
    if (!Array.isArray(m.files) || m.files.length === 0) throw at(`${p}.files`, 'expected a non-empty list');
    const files = m.files.map((f, j) => {
      const fm = obj(f, `${p}.files[${j}]`);
      return {
        path: str(fm.path, `${p}.files[${j}].path`),
        version: str(fm.version, `${p}.files[${j}].version`),
        local: fm.local === true,
      };
    });
    const k = m.keep === undefined ? {} : obj(m.keep, `${p}.keep`);
    const synonymScopes =
      k.synonymScopes === undefined ? SCOPES : strs(k.synonymScopes, `${p}.keep.synonymScopes`);
    for (const sc of synonymScopes) {
      if (!SCOPES.includes(sc))
        throw at(`${p}.keep.synonymScopes`, `expected one of ${SCOPES.join(', ')}, got "${sc}"`);
    }
    const om = m.openminds === undefined ? {} : obj(m.openminds, `${p}.openminds`);
    return {
      name: str(m.name, `${p}.name`),
      title: str(m.title, `${p}.title`),
      ontology: str(m.ontology, `${p}.ontology`),
      licence: str(m.licence, `${p}.licence`),
      licenceIri: str(m.licenceIri, `${p}.licenceIri`),
      format,
      files,
      keep: {
        all: k.all === true,
        seeds: strs(k.seeds, `${p}.keep.seeds`),
        seedLists: strs(k.seedLists, `${p}.keep.seedLists`),
        descendantsOf: strs(k.descendantsOf, `${p}.keep.descendantsOf`),
        synonymScopes,
      },
      openminds: {
        instances: strs(om.instances, `${p}.openminds.instances`),
        allOf: strs(om.allOf, `${p}.openminds.allOf`),
        exactSynonyms: strs(om.exactSynonyms, `${p}.openminds.exactSynonyms`),
      },
    };
  });
  const prefixMap = obj(root.oboPrefixes, 'oboPrefixes');
  const oboPrefixes = new Map<string, number>();
  for (const [prefix, width] of Object.entries(prefixMap)) {
    if (typeof width !== 'number' || !Number.isInteger(width) || width < 0) {
      throw at(`oboPrefixes.${prefix}`, 'expected a whole number of digits (0 for unpadded ids)');
    }
    oboPrefixes.set(prefix, width);
  }
  const rewrites = root.iriRewrites === undefined ? [] : root.iriRewrites;
  if (!Array.isArray(rewrites)) throw at('iriRewrites', 'expected a list');
  const iriRewrites = rewrites.map((r, i) => {
    const m = obj(r, `iriRewrites[${i}]`);
    const source = str(m.pattern, `iriRewrites[${i}].pattern`);
    let pattern: RegExp;
    try {
      pattern = new RegExp(source, 'i');
    } catch (e) {
      throw at(`iriRewrites[${i}].pattern`, `not a valid regular expression: ${(e as Error).message}`);
    }
    return { pattern, to: str(m.to, `iriRewrites[${i}].to`) };
  });
  const branchMap = obj(root.branches, 'branches');
  const branches = new Map<string, BranchConfig>();
  for (const [name, b] of Object.entries(branchMap)) {
    const m = obj(b, `branches.${name}`);
    if (!Array.isArray(m.rules)) throw at(`branches.${name}.rules`, 'expected a list');
    branches.set(name, {
      rules: m.rules.map((r, i) => {
        const rm = obj(r, `branches.${name}.rules[${i}]`);
        const rule = {
          prefixes: strs(rm.prefixes, `branches.${name}.rules[${i}].prefixes`),
          under: strs(rm.under, `branches.${name}.rules[${i}].under`),
        };
        if (rule.prefixes.length === 0 && rule.under.length === 0) {
          throw at(`branches.${name}.rules[${i}]`, 'expected prefixes or under');
        }
        return rule;
      }),
      outside: strs(m.outside, `branches.${name}.outside`),
    });
  }
  const preferred = new Map<string, Map<string, string>>();
  const prefMap = root.preferred === undefined ? {} : obj(root.preferred, 'preferred');
  for (const [branch, names] of Object.entries(prefMap)) {
    if (!branches.has(branch))
      throw at(`preferred.${branch}`, `expected one of the branches (${[...branches.keys()].join(', ')})`);
    const m = new Map<string, string>();
    for (const [name, target] of Object.entries(obj(names, `preferred.${branch}`))) {
      m.set(name, str(target, `preferred.${branch}.${name}`));
    }
    preferred.set(branch, m);
  }
  return { file, slims, oboPrefixes, iriRewrites, branches, preferred };
}
