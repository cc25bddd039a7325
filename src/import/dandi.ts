// Reads DANDI metadata (a dandiset.yaml or Dandiset JSON, with the asset records next to it) into one JSON-LD
// document per dandiset, checking every record's dandischema version against the versions the mapping knows.
import { access } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { isPlainObject, UnreadableInputError } from '../ingest/records.ts';
import type { ImportFormat } from './formats.ts';
import type { JsonObject } from './jsonld.ts';
import type { Notice } from './normalize.ts';
import { decodeText, lineAndColumn, parseJson, readBytes, type SourceDocument } from './readers.ts';

/** The DANDI part of mappings/dandi.yaml. */
type DandiOptions = {
  /** dandischema versions the mapping was written for -> the context URL a document of that version uses. */
  versions: Map<string, string>;
  /** File names of the asset list that sits next to a dandiset file. */
  assetFiles: string[];
  dandisetFiles: string[];
};

function optionsOf(format: ImportFormat): DandiOptions {
  const o = format.options as { schemaVersions?: unknown; contextTemplate?: unknown; assetFiles?: unknown; dandisetFiles?: unknown };
  if (!Array.isArray(o.schemaVersions) || typeof o.contextTemplate !== 'string' || !Array.isArray(o.assetFiles) || !Array.isArray(o.dandisetFiles)) {
    throw new Error(`${format.file}: expected schemaVersions (a list), contextTemplate, assetFiles and dandisetFiles`);
  }
  const template = o.contextTemplate;
  return {
    versions: new Map(o.schemaVersions.map((v) => [String(v), template.replace('{version}', String(v))])),
    assetFiles: o.assetFiles.map(String),
    dandisetFiles: o.dandisetFiles.map(String),
  };
}

/** One metadata record read from a file, with where it is. */
type Item = { data: JsonObject; place: string; line?: number; column?: number };

/**
 * A dandiset file gives one document: the dandiset and the assets of the asset list next to it. An asset list
 * next to a dandiset file gives nothing (the dandiset takes it); anywhere else, and asset records on their own,
 * are rejected: an asset only makes sense in its dandiset.
 */
export async function readDandi(file: string, format: ImportFormat): Promise<SourceDocument[]> {
  const options = optionsOf(format);
  const name = basename(file);
  if (options.assetFiles.includes(name) && (await dandisetBeside(file, options)) !== undefined) return [];
  const bytes = await readBytes(file);
  const { text, notices } = decodeText(bytes, file);
  const items = /\.ya?ml$/i.test(file) ? fromYaml(text, file) : fromJson(text, file);
  const dandisets = items.filter((i) => kindOf(i.data) === 'Dandiset');
  if (dandisets.length === 0) {
    const assets = items.filter((i) => kindOf(i.data) === 'Asset').length;
    throw new UnreadableInputError(
      file,
      assets > 0
        ? `${assets === 1 ? 'an asset record' : `${assets} asset records`} without their dandiset: put them next to the dandiset's metadata (${options.dandisetFiles.join(' or ')}) as ${options.assetFiles[0]}`
        : 'not DANDI metadata: expected a Dandiset record (with "identifier" DANDI:NNNNNN and "schemaVersion") or a list of asset records',
      items[0]?.line,
    );
  }
  if (dandisets.length > 1) throw new UnreadableInputError(file, `${dandisets.length} Dandiset records in one file: expected one`, dandisets[1]!.line);
  const dandiset = dandisets[0]!;
  const problem = versionProblem(dandiset, options);
  if (problem !== undefined) throw new UnreadableInputError(file, `${dandiset.place}: ${problem}`, dandiset.line, dandiset.column);
  const version = dandiset.data.schemaVersion as string;
  const skipped: SourceDocument['skipped'] = [];
  const assets: JsonObject[] = [];
  const allBytes = [bytes];
  const assetFile = await assetsBeside(file, options);
  if (assetFile !== undefined) {
    const assetBytes = await readBytes(assetFile);
    allBytes.push(assetBytes);
    const decoded = decodeText(assetBytes, assetFile);
    notices.push(...decoded.notices);
    for (const item of fromJson(decoded.text, assetFile)) {
      if (kindOf(item.data) !== 'Asset') {
        skipped.push({ place: `${basename(assetFile)} ${item.place}`, reason: 'not an asset record: expected "path" and "contentSize" or schemaKey Asset' });
        continue;
      }
      const assetProblem = versionProblem(item, options);
      if (assetProblem !== undefined) {
        skipped.push({ place: `${basename(assetFile)}${item.line ? `:${item.line}` : ''} ${item.place}`, reason: assetProblem });
        continue;
      }
      assets.push(strip(item.data, 'Asset', notices));
    }
  }
  const document: JsonObject = {
    '@context': options.versions.get(version)!,
    '@graph': [strip(dandiset.data, 'Dandiset', notices), ...assets],
  };
  return [{ file, line: dandiset.line, document, bytes: allBytes, notices, skipped }];
}

/** The record's own @context goes (the document's context is the local one for its version); a missing schemaKey is inferred. */
function strip(data: JsonObject, kind: string, notices: Notice[]): JsonObject {
  const { '@context': _context, ...rest } = data;
  if (rest.schemaKey === undefined) {
    rest.schemaKey = kind;
    notices.push({ kind: 'type-inferred', message: `a record without schemaKey (${String(rest.identifier ?? rest.path ?? rest.id ?? '?')}) is read as a ${kind}` });
  }
  return rest;
}

function kindOf(data: JsonObject): 'Dandiset' | 'Asset' | undefined {
  const key = data.schemaKey;
  if (key === 'Dandiset' || key === 'PublishedDandiset') return 'Dandiset';
  if (key === 'Asset' || key === 'PublishedAsset' || key === 'BareAsset') return 'Asset';
  if (key !== undefined) return undefined;
  if (typeof data.identifier === 'string' && /^[A-Z-]*DANDI[A-Z-]*:\d+/.test(data.identifier)) return 'Dandiset';
  if (typeof data.path === 'string' && data.contentSize !== undefined) return 'Asset';
  return undefined;
}

/** What is wrong with a record's dandischema version, or undefined when the mapping knows it. */
function versionProblem(item: Item, options: DandiOptions): string | undefined {
  const version = item.data.schemaVersion;
  if (typeof version === 'string' && options.versions.has(version)) return undefined;
  return (
    `${version === undefined ? 'no schemaVersion' : `unknown DANDI schema version ${JSON.stringify(version)}`}; ` +
    `the mapping knows ${[...options.versions.keys()].join(', ')} (add a version to mappings/dandi.yaml once the mapping is checked against it)`
  );
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

async function dandisetBeside(file: string, options: DandiOptions): Promise<string | undefined> {
  for (const dir of [dirname(file), dirname(dirname(file))]) {
    for (const name of options.dandisetFiles) if (await exists(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

async function assetsBeside(file: string, options: DandiOptions): Promise<string | undefined> {
  if (!options.dandisetFiles.includes(basename(file))) return undefined;
  for (const name of options.assetFiles) if (await exists(join(dirname(file), name))) return join(dirname(file), name);
  return undefined;
}

function fromYaml(text: string, file: string): Item[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = lineCounter.linePos(e.pos[0]);
    throw new UnreadableInputError(file, `malformed YAML: ${e.message.split('\n')[0]}`, pos.line, pos.col);
  }
  const data = doc.toJS() as unknown;
  if (!isPlainObject(data)) throw new UnreadableInputError(file, 'not DANDI metadata: expected a YAML mapping', 1, 1);
  const node = doc.getIn(['schemaVersion'], true) as { range?: [number, number, number] } | undefined;
  const at = node?.range ? lineCounter.linePos(node.range[0]) : undefined;
  return [{ data, place: `dandiset ${String(data.identifier ?? '')}`.trim(), line: at?.line, column: at?.col }];
}

/** A Dandiset or asset object, a list of asset objects, or the API's list of {asset_id, path, metadata}. */
function fromJson(text: string, file: string): Item[] {
  const value = parseJson(text, file);
  const list = Array.isArray(value) ? value : [value];
  // JSON.parse keeps no positions: each record's "schemaVersion" key is found in the text, in order.
  const positions: number[] = [];
  for (let i = text.indexOf('"schemaVersion"'); i !== -1; i = text.indexOf('"schemaVersion"', i + 1)) positions.push(i);
  return list.map((entry, i) => {
    if (!isPlainObject(entry)) throw new UnreadableInputError(file, `item ${i + 1}: expected a JSON object`);
    const data = isPlainObject(entry.metadata) ? entry.metadata : entry;
    const at = positions[i] === undefined ? undefined : lineAndColumn(text, positions[i]!);
    const label = data.path ?? data.identifier ?? entry.path;
    const place = Array.isArray(value) ? `asset ${i + 1}${label ? ` (${String(label)})` : ''}` : `record ${String(label ?? '')}`.trim();
    return { data, place, line: at?.line, column: at?.column };
  });
}
