// Checks an RO-Crate directory against the key rules of RO-Crate 1.2 (https://w3id.org/ro/crate/1.2): the metadata
// descriptor, the root data entity, a flattened @graph of identified and typed entities, terms defined by the
// context, local data entities present and linked, contextual entities described, dates in ISO 8601, and valid
// JSON-LD (expanded with jsonld.js from local contexts only).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import jsonld from 'jsonld';
import { documentLoader, ROCRATE_CONTEXT_FILE, ROCRATE_CONTEXT_URL, ROCRATE_SPEC } from './export.ts';

export type CrateReport = { errors: string[]; warnings: string[] };

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
const DATE_PROPERTIES = ['datePublished', 'dateCreated', 'dateModified', 'startTime', 'endTime', 'startDate', 'endDate'];
const ABSOLUTE = /^[a-z][a-z0-9+.-]*:/i;

type Entity = Record<string, unknown> & { '@id': string; '@type': string | string[] };

/** Checks `<dir>/ro-crate-metadata.json` and the payload it names; errors are MUST rules, warnings SHOULD rules. */
export async function checkRoCrate(dir: string): Promise<CrateReport> {
  const errors: string[] = [];
  const warnings: string[] = [];
  const file = join(dir, 'ro-crate-metadata.json');
  if (!existsSync(file)) return { errors: [`${file}: missing; an RO-Crate has ro-crate-metadata.json at its root`], warnings };
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    return { errors: [`${file}: not JSON: ${(error as Error).message}`], warnings };
  }
  const contexts = Array.isArray(doc['@context']) ? doc['@context'] : [doc['@context']];
  if (!contexts.includes(ROCRATE_CONTEXT_URL)) errors.push(`@context must reference ${ROCRATE_CONTEXT_URL}`);
  const graph = doc['@graph'];
  if (!Array.isArray(graph)) return { errors: [...errors, '@graph must be an array of entities (flattened JSON-LD)'], warnings };

  const terms = new Set(Object.keys((JSON.parse(readFileSync(ROCRATE_CONTEXT_FILE, 'utf8')) as { '@context': Record<string, unknown> })['@context']));
  const byId = new Map<string, Entity>();
  graph.forEach((e, i) => {
    const where = `@graph[${i}]`;
    if (e === null || typeof e !== 'object' || Array.isArray(e)) {
      errors.push(`${where}: an entity must be a JSON object`);
      return;
    }
    const entity = e as Record<string, unknown>;
    if (typeof entity['@id'] !== 'string') errors.push(`${where}: every entity needs an @id`);
    if (typeof entity['@type'] !== 'string' && !(Array.isArray(entity['@type']) && entity['@type'].length > 0)) errors.push(`${where}${typeof entity['@id'] === 'string' ? ` (${entity['@id']})` : ''}: every entity needs an @type`);
    if (typeof entity['@id'] !== 'string') return;
    if (byId.has(entity['@id'])) errors.push(`${where}: @id '${entity['@id']}' is used by two entities`);
    byId.set(entity['@id'], entity as Entity);
    for (const type of types(entity)) if (!terms.has(type) && !ABSOLUTE.test(type)) errors.push(`${entity['@id']}: type '${type}' is not defined by the RO-Crate context (use an absolute IRI)`);
    for (const [key, value] of Object.entries(entity)) {
      if (key.startsWith('@')) continue;
      if (!terms.has(key) && !ABSOLUTE.test(key)) errors.push(`${entity['@id']}: property '${key}' is not defined by the RO-Crate context`);
      for (const v of Array.isArray(value) ? value : [value]) {
        if (v !== null && typeof v === 'object' && !('@id' in v && Object.keys(v).length === 1) && !('@value' in v)) {
          errors.push(`${entity['@id']}: '${key}' holds a nested object; RO-Crate metadata is flattened (refer to entities by {"@id"})`);
        }
      }
      if (DATE_PROPERTIES.includes(key) && typeof value === 'string' && !ISO_DATE.test(value)) errors.push(`${entity['@id']}: ${key} '${value}' is not an ISO 8601 date`);
    }
  });

  const descriptor = byId.get('ro-crate-metadata.json');
  let rootId = './';
  if (descriptor === undefined) errors.push("the metadata descriptor (@id 'ro-crate-metadata.json') is missing");
  else {
    if (!types(descriptor).includes('CreativeWork')) errors.push('the metadata descriptor must be a CreativeWork');
    const about = ref(descriptor.about);
    if (about === null) errors.push('the metadata descriptor must say which entity it is about (the root data entity)');
    else rootId = about;
    const conforms = refs(descriptor.conformsTo);
    if (!conforms.some((c) => c.startsWith(ROCRATE_SPEC))) errors.push(`the metadata descriptor must conform to ${ROCRATE_SPEC}`);
  }
  const root = byId.get(rootId);
  if (root === undefined) errors.push(`the root data entity '${rootId}' is missing`);
  else {
    if (!types(root).includes('Dataset')) errors.push('the root data entity must be a Dataset');
    for (const p of ['name', 'description', 'datePublished', 'license']) if (root[p] === undefined) errors.push(`the root data entity must have ${p}`);
    const license = ref(root.license);
    if (license !== null && !byId.has(license)) warnings.push(`the root's licence ${license} should be described as a contextual entity`);
  }

  // Data entities: local ones exist in the crate and are reachable from the root through hasPart.
  const parts = new Set<string>();
  const walk = (id: string) => {
    for (const p of refs(byId.get(id)?.hasPart)) {
      if (parts.has(p)) continue;
      parts.add(p);
      walk(p);
    }
  };
  walk(rootId);
  for (const [id, e] of byId) {
    const isData = types(e).includes('File') || (types(e).includes('Dataset') && id !== rootId && !ABSOLUTE.test(id) && !id.startsWith('#'));
    if (!isData) continue;
    if (!ABSOLUTE.test(id) && !id.startsWith('#')) {
      if (!existsSync(join(dir, decodeURIComponent(id)))) errors.push(`data entity '${id}' is not in the crate directory`);
      if (!parts.has(id)) errors.push(`data entity '${id}' must be linked from the root data entity by hasPart`);
    } else if (!parts.has(id)) warnings.push(`web data entity '${id}' is not linked from the root by hasPart`);
  }
  // References to local entities (#fragments, relative paths) must resolve.
  for (const [id, e] of byId) {
    for (const [key, value] of Object.entries(e)) {
      if (key.startsWith('@')) continue;
      for (const r of refs(value)) if (!ABSOLUTE.test(r) && !byId.has(r)) errors.push(`${id}: ${key} refers to '${r}', which no entity describes`);
    }
  }
  // Actions: a CreateAction names what it used and what it made.
  for (const [id, e] of byId) {
    if (!types(e).includes('CreateAction')) continue;
    for (const p of ['instrument', 'object', 'result']) if (refs(e[p]).length === 0) warnings.push(`${id}: a CreateAction should name its ${p}`);
    if (e.endTime === undefined) warnings.push(`${id}: a CreateAction should say when it ended (endTime)`);
  }
  try {
    await jsonld.expand(doc as jsonld.JsonLdDocument, { documentLoader: documentLoader as never });
  } catch (error) {
    errors.push(`not valid JSON-LD: ${(error as Error).message}`);
  }
  return { errors, warnings };
}

function types(e: Record<string, unknown>): string[] {
  const t = e['@type'];
  return Array.isArray(t) ? t.map(String) : typeof t === 'string' ? [t] : [];
}

function ref(v: unknown): string | null {
  return refs(v)[0] ?? null;
}

function refs(v: unknown): string[] {
  const list = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return list.flatMap((x) => (x !== null && typeof x === 'object' && typeof (x as { '@id'?: unknown })['@id'] === 'string' ? [(x as { '@id': string })['@id']] : []));
}
