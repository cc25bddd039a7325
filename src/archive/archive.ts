// Named archives on disk: one N-Quads file per record, a manifest as the single commit point, crash-safe batches.
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { basename, join } from 'node:path';
import type { Quad } from '@rdfjs/types';
import { Parser, Writer } from 'n3';
import { prefixes } from '../namespaces.ts';
import { fsyncDir, TEMP_PREFIX, uniqueToken, withArchiveLock, writeFileDurably } from './files.ts';
import { isAbsoluteIri, serializeRecordQuads } from './nquads.ts';
import { PROVENANCE_GRAPH, provenanceQuads } from './provenance.ts';

export { PROVENANCE_GRAPH } from './provenance.ts';

/** Allowed archive names: they are directory names and URL path segments. */
export const ARCHIVE_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Contents of `<archive>/archive.json`. */
export type ArchiveMeta = {
  name: string;
  title?: string;
  description?: string;
  license?: string;
  publisher?: string;
  private?: boolean;
  /** Base of the archive's record IRIs; a record's graph is normally `baseIri + recordId`. */
  baseIri: string;
  created: string;
  modified: string;
  /** Version of the mapping that wrote the latest batch. */
  mappingVersion?: string;
};

/** One record as the ingest pipeline hands it over: its graph, its quads and where it came from. */
export type StoredRecord = {
  recordId: string;
  graph: string;
  quads: Iterable<Quad>;
  sourceFile: string;
  sourceLine?: number;
};

/** A record's entry in `manifest.json`. `file` is relative to the archive directory. */
export type ManifestEntry = {
  file: string;
  graph: string;
  triples: number;
  sourceFile: string;
  sourceLine?: number;
  ingestedAt: string;
  sha256: string;
  /** Generation of the batch that wrote the record (names its ingest activity in the provenance). */
  batch: number;
  mapping: string;
  mappingVersion: string;
  agent: string;
};

/** `manifest.json`: the list of records that make up the archive. Renaming a new one in commits a batch. */
export type Manifest = {
  format: typeof MANIFEST_FORMAT;
  /** Number of committed batches; names pending files so a crashed batch's leftovers are recognised. */
  generation: number;
  records: Record<string, ManifestEntry>;
};

/** A stored record as listed by {@link Archive.records}. */
export type ArchiveRecord = ManifestEntry & { recordId: string };

/** One line of {@link listArchives}. */
export type ArchiveSummary = {
  name: string;
  title: string;
  records: number;
  triples: number;
  private: boolean;
};

/** Step reached by a batch; see {@link BatchInfo.onProgress}. */
export type BatchProgress =
  | { phase: 'record-written'; recordId: string; file: string; index: number; total: number }
  | { phase: 'prepared'; generation: number }
  | { phase: 'committed'; generation: number }
  | { phase: 'cleaned'; generation: number };

/** What a batch was produced by; becomes the PROV-O provenance of its record graphs. */
export type BatchInfo = {
  /** Mapping name or file, e.g. `mappings/stroke-lab.yaml`. */
  mapping: string;
  mappingVersion: string;
  /** Who ingested (default: the OS user name). */
  agent?: string;
  /** Latest validation report, as Turtle text or quads; kept as `report.ttl`. Omitted: the previous one stays. */
  report?: string | Quad[];
  /** Ingest time (default: now); fixed by tests and re-runs that must reproduce files exactly. */
  at?: Date;
  /**
   * Awaited after each step of the batch. Lets a CLI show progress and lets tests pause or kill a writer at a
   * known step. Throwing aborts the batch; before the `committed` step that leaves the archive unchanged.
   */
  onProgress?: (progress: BatchProgress) => void | Promise<void>;
};

/** Outcome of {@link Archive.writeBatch}; `graphs` lists every graph whose content changed (new and replaced). */
export type BatchResult = { stored: number; replaced: number; generation: number; graphs: string[] };

const MANIFEST_FORMAT = 'benchgraph-archive-manifest/1';
const META_FILE = 'archive.json';
const MANIFEST_FILE = 'manifest.json';
const PROVENANCE_FILE = 'provenance.nq';
const REPORT_FILE = 'report.ttl';
const RECORDS_DIR = 'records';
// Files replaced at commit time; their next version waits as `<file>.<generation>.next` until the manifest is in.
const PENDING = new RegExp(
  `^(${[META_FILE, PROVENANCE_FILE, REPORT_FILE].join('|').replaceAll('.', '\\.')})\\.(\\d+)\\.next$`,
);
const WRITE_CONCURRENCY = 8;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what record ids must not hold
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/** Throws a clear error unless `name` is a valid archive name. */
export function checkArchiveName(name: string): void {
  if (!ARCHIVE_NAME.test(name)) {
    throw new Error(
      `invalid archive name ${JSON.stringify(name)}: expected 1 to 63 characters, lower-case letters, digits and ` +
        `'-', starting with a letter or digit (pattern ${ARCHIVE_NAME.source})`,
    );
  }
}

/**
 * Opens the archive `<dataDir>/<name>/`, creating it when `opts.create` is set and it does not exist yet
 * (`opts.meta.baseIri` is then required). Opening finishes or discards what a crashed batch left behind
 * (unless another live process is writing the archive right now).
 *
 * @throws Error on an invalid name, a missing archive (without `create`), or an invalid archive.json/manifest.json.
 */
export async function openArchive(
  dataDir: string,
  name: string,
  opts: { create?: boolean; meta?: Partial<ArchiveMeta> } = {},
): Promise<Archive> {
  checkArchiveName(name);
  const dir = join(dataDir, name);
  if (!(await exists(join(dir, META_FILE)))) {
    if (!opts.create) throw new Error(`archive "${name}" not found: ${join(dir, META_FILE)} does not exist`);
    const fresh = newMeta(name, opts.meta ?? {});
    await mkdir(dir, { recursive: true });
    // Under the lock, so two processes creating the same archive at once do not interleave their files.
    await withArchiveLock(dir, async () => {
      if (!(await exists(join(dir, META_FILE)))) await createArchive(dir, fresh);
    });
  }
  await withArchiveLock(dir, () => recover(dir), { ifFree: true });
  const meta = await readMeta(dir);
  const manifest = await readManifest(dir);
  return new Archive(dir, meta, manifest);
}

/**
 * Summaries of every archive under `dataDir` (directories holding an archive.json), sorted by name.
 * Reads only metadata and manifests; an absent `dataDir` has no archives.
 */
export async function listArchives(dataDir: string): Promise<ArchiveSummary[]> {
  let entries: string[];
  try {
    entries = await readdir(dataDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const out: ArchiveSummary[] = [];
  for (const name of entries.sort()) {
    const dir = join(dataDir, name);
    if (!ARCHIVE_NAME.test(name) || !(await exists(join(dir, META_FILE)))) continue;
    const meta = await readMeta(dir);
    const manifest = await readManifest(dir);
    const entriesOf = Object.values(manifest.records);
    out.push({
      name,
      title: meta.title ?? name,
      records: entriesOf.length,
      triples: entriesOf.reduce((n, e) => n + e.triples, 0),
      private: meta.private ?? false,
    });
  }
  return out;
}

/**
 * An open archive. Holds the metadata and manifest as last read or written by this object; all writes go through
 * the archive lock, re-read the manifest from disk first and are atomic (see {@link Archive.writeBatch}).
 */
export class Archive {
  readonly dir: string;
  #meta: ArchiveMeta;
  #manifest: Manifest;

  constructor(dir: string, meta: ArchiveMeta, manifest: Manifest) {
    this.dir = dir;
    this.#meta = meta;
    this.#manifest = manifest;
  }

  get name(): string {
    return this.#meta.name;
  }

  /** The archive's metadata (a copy). */
  get meta(): ArchiveMeta {
    return { ...this.#meta };
  }

  /** Committed batches so far. */
  get generation(): number {
    return this.#manifest.generation;
  }

  /** Every stored record with its manifest entry, sorted by record id. */
  records(): ArchiveRecord[] {
    return Object.entries(this.#manifest.records)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([recordId, entry]) => ({ recordId, ...entry }));
  }

  /** The manifest entry of one record, or undefined. */
  record(recordId: string): ArchiveRecord | undefined {
    const entry = this.#manifest.records[recordId];
    return entry && { recordId, ...entry };
  }

  /** Record and triple counts. */
  stats(): { records: number; triples: number } {
    const entries = Object.values(this.#manifest.records);
    return { records: entries.length, triples: entries.reduce((n, e) => n + e.triples, 0) };
  }

  /**
   * The quads of one record, read back from its file (blank nodes carry the archive's labels).
   * @throws Error if the record is unknown or its file no longer matches the manifest's sha256.
   */
  async readRecordQuads(recordId: string): Promise<Quad[]> {
    const entry = this.#manifest.records[recordId];
    if (!entry) throw new Error(`record "${recordId}" is not in archive "${this.name}"`);
    const path = join(this.dir, entry.file);
    const bytes = await readFile(path);
    const sha256 = sha256Hex(bytes);
    if (sha256 !== entry.sha256) {
      throw new Error(
        `record "${recordId}": ${path} has sha256 ${sha256}, manifest.json expects ${entry.sha256}`,
      );
    }
    return new Parser({ format: 'N-Quads', blankNodePrefix: '' }).parse(bytes.toString('utf8'));
  }

  /**
   * Absolute paths of every N-Quads file making up the archive's dataset: record files (in record id order), then
   * provenance.nq. A store loads exactly these; record files never share blank node labels, so they may be
   * concatenated.
   */
  nquadsFiles(): string[] {
    return [...this.records().map((r) => join(this.dir, r.file)), join(this.dir, PROVENANCE_FILE)];
  }

  /** Path of the provenance file (graph {@link PROVENANCE_GRAPH}). */
  get provenancePath(): string {
    return join(this.dir, PROVENANCE_FILE);
  }

  /** The latest validation report (Turtle), or undefined if no batch carried one. */
  async readReport(): Promise<string | undefined> {
    try {
      return await readFile(join(this.dir, REPORT_FILE), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /**
   * Checks every record file against the manifest (present, same sha256).
   * @returns one message per problem; empty when the archive is intact.
   */
  async verify(): Promise<string[]> {
    const problems: string[] = [];
    for (const r of this.records()) {
      const path = join(this.dir, r.file);
      try {
        const sha256 = sha256Hex(await readFile(path));
        if (sha256 !== r.sha256)
          problems.push(`record "${r.recordId}": ${path} has sha256 ${sha256}, expected ${r.sha256}`);
      } catch (error) {
        problems.push(`record "${r.recordId}": cannot read ${path}: ${(error as Error).message}`);
      }
    }
    return problems;
  }

  /**
   * Stores a batch of records atomically: after a crash at any point the archive holds either none or all of the
   * batch. Re-ingesting a record id replaces its graph. Record files get new unique names (temp, fsync, rename),
   * then manifest.json is replaced the same way and the directory fsynced (the commit); only then are replaced
   * files deleted and the new provenance.nq / report.ttl / archive.json moved into place.
   *
   * @throws Error on invalid records (naming record id and quad) or any I/O failure; the archive is then unchanged,
   * except for a failure after the commit, which says so and is completed at the next open.
   */
  async writeBatch(records: StoredRecord[], info: BatchInfo): Promise<BatchResult> {
    checkBatch(records, info);
    const report = info.report === undefined ? undefined : await reportText(info.report);
    const at = (info.at ?? new Date()).toISOString();
    const agent = info.agent ?? osUser();
    const result = await withArchiveLock(this.dir, async () => {
      await recover(this.dir);
      const current = await readManifest(this.dir);
      const generation = current.generation + 1;
      checkGraphs(records, current);
      const next: Manifest = { ...current, generation, records: { ...current.records } };
      const created: string[] = [];
      const obsolete: string[] = [];
      const graphs = new Set<string>();
      let replaced = 0;
      try {
        await mkdir(join(this.dir, RECORDS_DIR), { recursive: true });
        let written = 0;
        await forEachLimit(records, WRITE_CONCURRENCY, async (record) => {
          const { text, triples } = serializeRecordQuads(
            record.recordId,
            record.graph,
            record.quads,
            blankPrefix(record.recordId),
          );
          const file = `${RECORDS_DIR}/${fileStem(record.recordId)}.${generation}-${uniqueToken()}.nq`;
          const bytes = Buffer.from(text, 'utf8');
          created.push(join(this.dir, file));
          await writeFileDurably(join(this.dir, file), bytes);
          next.records[record.recordId] = {
            file,
            graph: record.graph,
            triples,
            sourceFile: record.sourceFile,
            ...(record.sourceLine === undefined ? {} : { sourceLine: record.sourceLine }),
            ingestedAt: at,
            sha256: sha256Hex(bytes),
            batch: generation,
            mapping: info.mapping,
            mappingVersion: info.mappingVersion,
            agent,
          };
          await info.onProgress?.({
            phase: 'record-written',
            recordId: record.recordId,
            file,
            index: written++,
            total: records.length,
          });
        });
      } catch (error) {
        throw await discard(created, error);
      }
      for (const record of records) {
        const old = current.records[record.recordId];
        graphs.add(record.graph);
        if (old) {
          replaced++;
          graphs.add(old.graph);
          obsolete.push(join(this.dir, old.file));
        }
      }
      const meta = { ...(await readMeta(this.dir)), modified: at, mappingVersion: info.mappingVersion };
      await this.#publish(next, meta, report, created, obsolete, info.onProgress);
      return { stored: records.length, replaced, generation, graphs: [...graphs] };
    });
    return result!;
  }

  /**
   * Removes records (and their graphs) atomically, like a batch.
   * @throws Error if any id is not in the archive (then nothing is removed).
   */
  async removeRecords(
    recordIds: string[],
  ): Promise<{ removed: number; generation: number; graphs: string[] }> {
    const result = await withArchiveLock(this.dir, async () => {
      await recover(this.dir);
      const current = await readManifest(this.dir);
      const missing = recordIds.filter((id) => !current.records[id]);
      if (missing.length > 0) {
        throw new Error(
          `cannot remove from archive "${this.name}": no record ${missing.map((id) => `"${id}"`).join(', ')}`,
        );
      }
      const next: Manifest = {
        ...current,
        generation: current.generation + 1,
        records: { ...current.records },
      };
      const unique = [...new Set(recordIds)];
      const graphs = unique.map((id) => current.records[id].graph);
      const obsolete = unique.map((id) => join(this.dir, current.records[id].file));
      for (const id of unique) delete next.records[id];
      const meta = { ...(await readMeta(this.dir)), modified: new Date().toISOString() };
      await this.#publish(next, meta, undefined, [], obsolete, undefined);
      return { removed: unique.length, generation: next.generation, graphs };
    });
    return result!;
  }

  /**
   * Changes descriptive metadata (title, description, license, publisher, private, baseIri) atomically.
   * @throws Error on an invalid value or an attempt to change name/created.
   */
  async updateMeta(patch: Partial<ArchiveMeta>): Promise<ArchiveMeta> {
    if (patch.name !== undefined && patch.name !== this.name) throw new Error('an archive cannot be renamed');
    if (patch.created !== undefined) throw new Error(`archive "${this.name}": "created" cannot be changed`);
    await withArchiveLock(this.dir, async () => {
      await recover(this.dir);
      const current = await readManifest(this.dir);
      const meta = { ...(await readMeta(this.dir)), ...patch, modified: new Date().toISOString() };
      checkMeta(meta, `archive "${this.name}" metadata`);
      await this.#publish(
        { ...current, generation: current.generation + 1 },
        meta,
        undefined,
        [],
        [],
        undefined,
      );
    });
    return this.meta;
  }

  // Writes the pending files, commits the manifest, moves pending files into place, deletes obsolete files.
  async #publish(
    next: Manifest,
    meta: ArchiveMeta,
    report: string | undefined,
    created: string[],
    obsolete: string[],
    onProgress: BatchInfo['onProgress'],
  ): Promise<void> {
    const { dir } = this;
    const g = next.generation;
    const pending = new Map<string, string>([
      [META_FILE, `${JSON.stringify(meta, null, 2)}\n`],
      [PROVENANCE_FILE, provenanceText(meta.baseIri, next)],
    ]);
    if (report !== undefined) pending.set(REPORT_FILE, report);
    const sortedNext = { ...next, records: sortKeys(next.records) };
    try {
      for (const [file, text] of pending) {
        created.push(join(dir, `${file}.${g}.next`));
        await writeFileDurably(join(dir, `${file}.${g}.next`), text);
      }
      if (created.some((f) => f.startsWith(join(dir, RECORDS_DIR)))) await fsyncDir(join(dir, RECORDS_DIR));
      await fsyncDir(dir);
      await onProgress?.({ phase: 'prepared', generation: g });
      await writeFileDurably(join(dir, MANIFEST_FILE), `${JSON.stringify(sortedNext, null, 2)}\n`);
      await fsyncDir(dir);
    } catch (error) {
      throw await discard(created, error);
    }
    // Committed: from here on the batch is in, whatever happens.
    this.#manifest = next;
    this.#meta = meta;
    try {
      await onProgress?.({ phase: 'committed', generation: g });
      await finishCommit(dir, g);
      for (const file of obsolete) await rm(file, { force: true });
      if (obsolete.length > 0) await fsyncDir(join(dir, RECORDS_DIR));
      await onProgress?.({ phase: 'cleaned', generation: g });
    } catch (error) {
      throw new Error(
        `archive "${meta.name}": batch ${g} is committed, but finishing it failed (${(error as Error).message}); ` +
          'it will be completed the next time the archive is opened',
        { cause: error },
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Creation, recovery and reading

// `name` first so archive.json reads naturally; the caller's fields cannot override name or modified.
function newMeta(name: string, partial: Partial<ArchiveMeta>): ArchiveMeta {
  const now = new Date().toISOString();
  const meta = { name, ...partial, created: partial.created ?? now, modified: now } as ArchiveMeta;
  meta.name = name;
  checkMeta(meta, `new archive "${name}"`);
  return meta;
}

async function createArchive(dir: string, meta: ArchiveMeta): Promise<void> {
  await mkdir(join(dir, RECORDS_DIR), { recursive: true });
  if (await exists(join(dir, MANIFEST_FILE))) {
    const leftover = await readManifest(dir);
    if (Object.keys(leftover.records).length > 0) {
      throw new Error(
        `${join(dir, MANIFEST_FILE)} lists records but ${META_FILE} is missing; restore it by hand`,
      );
    }
  }
  const empty: Manifest = { format: MANIFEST_FORMAT, generation: 0, records: {} };
  await writeFileDurably(join(dir, PROVENANCE_FILE), '');
  await writeFileDurably(join(dir, MANIFEST_FILE), `${JSON.stringify(empty, null, 2)}\n`);
  // archive.json last: its presence is what makes the directory an archive.
  await writeFileDurably(join(dir, META_FILE), `${JSON.stringify(meta, null, 2)}\n`);
  await fsyncDir(dir);
}

// Completes a committed generation (pending files into place) and deletes whatever an unfinished batch left:
// temp files, pending files of other generations, record files the manifest does not reference.
async function recover(dir: string): Promise<void> {
  const manifest = await readManifest(dir);
  await finishCommit(dir, manifest.generation);
  const referenced = new Set(Object.values(manifest.records).map((e) => e.file));
  let removed = false;
  for (const name of await readdir(dir)) {
    const pending = PENDING.exec(name);
    if (name.startsWith(TEMP_PREFIX) || (pending && Number(pending[2]) !== manifest.generation)) {
      await rm(join(dir, name), { force: true });
      removed = true;
    }
  }
  if (removed) await fsyncDir(dir);
  removed = false;
  const recordsDir = join(dir, RECORDS_DIR);
  await mkdir(recordsDir, { recursive: true });
  for (const name of await readdir(recordsDir)) {
    if (!referenced.has(`${RECORDS_DIR}/${name}`)) {
      await rm(join(recordsDir, name), { force: true });
      removed = true;
    }
  }
  if (removed) await fsyncDir(recordsDir);
  if (!(await exists(join(dir, PROVENANCE_FILE)))) {
    const meta = await readMeta(dir);
    await writeFileDurably(join(dir, PROVENANCE_FILE), provenanceText(meta.baseIri, manifest));
    await fsyncDir(dir);
  }
}

// Moves `<file>.<generation>.next` over `<file>` for the committed generation.
async function finishCommit(dir: string, generation: number): Promise<void> {
  let moved = false;
  for (const file of [META_FILE, PROVENANCE_FILE, REPORT_FILE]) {
    const pending = join(dir, `${file}.${generation}.next`);
    if (await exists(pending)) {
      await rename(pending, join(dir, file));
      moved = true;
    }
  }
  if (moved) await fsyncDir(dir);
}

async function readManifest(dir: string): Promise<Manifest> {
  const path = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      return { format: MANIFEST_FORMAT, generation: 0, records: {} };
    throw error;
  }
  let data: Manifest;
  try {
    data = JSON.parse(text) as Manifest;
  } catch (error) {
    throw new Error(`${path}: not valid JSON (${(error as Error).message})`);
  }
  if (data?.format !== MANIFEST_FORMAT) throw new Error(`${path}: expected "format": "${MANIFEST_FORMAT}"`);
  if (!Number.isInteger(data.generation) || data.generation < 0) {
    throw new Error(`${path}: "generation" must be a non-negative integer`);
  }
  if (typeof data.records !== 'object' || data.records === null)
    throw new Error(`${path}: "records" must be an object`);
  for (const [id, e] of Object.entries(data.records)) {
    const bad = (field: string, expected: string) =>
      new Error(`${path}: record "${id}": "${field}" must be ${expected}`);
    // The file name must stay inside records/: a tampered manifest must not make the store read other files.
    if (typeof e.file !== 'string' || !/^records\/[^/\\]+\.nq$/.test(e.file) || e.file.includes('..')) {
      throw bad('file', 'a file name under records/');
    }
    if (typeof e.graph !== 'string' || !isAbsoluteIri(e.graph)) throw bad('graph', 'an absolute IRI');
    if (!Number.isInteger(e.triples) || e.triples < 0) throw bad('triples', 'a non-negative integer');
    if (typeof e.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(e.sha256))
      throw bad('sha256', '64 hex digits');
    for (const field of ['sourceFile', 'ingestedAt', 'mapping', 'mappingVersion', 'agent'] as const) {
      if (typeof e[field] !== 'string') throw bad(field, 'a string');
    }
    if (!Number.isInteger(e.batch)) throw bad('batch', 'an integer');
  }
  return data;
}

// archive.json of the archive in `dir`, checked; its name must match the directory's.
async function readMeta(dir: string): Promise<ArchiveMeta> {
  const path = join(dir, META_FILE);
  return parseMeta(await readFile(path, 'utf8'), path, basename(dir));
}

function parseMeta(text: string, path: string, expectedName: string): ArchiveMeta {
  let meta: ArchiveMeta;
  try {
    meta = JSON.parse(text) as ArchiveMeta;
  } catch (error) {
    throw new Error(`${path}: not valid JSON (${(error as Error).message})`);
  }
  checkMeta(meta, path);
  if (expectedName && meta.name !== expectedName) {
    throw new Error(`${path}: "name" is "${meta.name}" but the archive directory is "${expectedName}"`);
  }
  return meta;
}

function checkMeta(meta: ArchiveMeta, where: string): void {
  if (typeof meta !== 'object' || meta === null) throw new Error(`${where}: expected a JSON object`);
  checkArchiveName(meta.name);
  if (typeof meta.baseIri !== 'string' || !isAbsoluteIri(meta.baseIri)) {
    throw new Error(`${where}: "baseIri" must be an absolute IRI, got ${JSON.stringify(meta.baseIri)}`);
  }
  for (const field of ['created', 'modified'] as const) {
    if (typeof meta[field] !== 'string' || Number.isNaN(Date.parse(meta[field]))) {
      throw new Error(`${where}: "${field}" must be an ISO date-time, got ${JSON.stringify(meta[field])}`);
    }
  }
  for (const field of ['title', 'description', 'license', 'publisher', 'mappingVersion'] as const) {
    if (meta[field] !== undefined && typeof meta[field] !== 'string') {
      throw new Error(`${where}: "${field}" must be a string, got ${JSON.stringify(meta[field])}`);
    }
  }
  if (meta.private !== undefined && typeof meta.private !== 'boolean') {
    throw new Error(`${where}: "private" must be true or false, got ${JSON.stringify(meta.private)}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Batch helpers

function checkBatch(records: StoredRecord[], info: BatchInfo): void {
  for (const field of ['mapping', 'mappingVersion'] as const) {
    if (typeof info[field] !== 'string' || info[field] === '')
      throw new Error(`batch: "${field}" must be a non-empty string`);
  }
  if (info.agent !== undefined && (typeof info.agent !== 'string' || info.agent === '')) {
    throw new Error('batch: "agent" must be a non-empty string');
  }
  const seen = new Set<string>();
  records.forEach((r, i) => {
    const where = `batch record ${i + 1}${typeof r.recordId === 'string' ? ` ("${r.recordId}")` : ''}`;
    if (
      typeof r.recordId !== 'string' ||
      r.recordId === '' ||
      r.recordId.length > 1000 ||
      CONTROL_CHARACTER.test(r.recordId)
    ) {
      throw new Error(
        `${where}: "recordId" must be a non-empty string of at most 1000 characters without control characters`,
      );
    }
    if (seen.has(r.recordId))
      throw new Error(`${where}: record id "${r.recordId}" appears twice in the batch`);
    seen.add(r.recordId);
    if (typeof r.graph !== 'string' || !isAbsoluteIri(r.graph))
      throw new Error(`${where}: "graph" must be an absolute IRI`);
    if (typeof r.sourceFile !== 'string' || r.sourceFile === '')
      throw new Error(`${where}: "sourceFile" must be a non-empty string`);
    if (r.sourceLine !== undefined && (!Number.isInteger(r.sourceLine) || r.sourceLine < 1)) {
      throw new Error(
        `${where}: "sourceLine" must be a positive integer, got ${JSON.stringify(r.sourceLine)}`,
      );
    }
  });
}

// Two records must not share a graph: replacing or removing one would silently drop the other's triples.
function checkGraphs(records: StoredRecord[], current: Manifest): void {
  const batchIds = new Set(records.map((r) => r.recordId));
  const owner = new Map<string, string>();
  for (const [id, e] of Object.entries(current.records)) if (!batchIds.has(id)) owner.set(e.graph, id);
  for (const r of records) {
    const other = owner.get(r.graph);
    if (other !== undefined)
      throw new Error(`record "${r.recordId}": graph <${r.graph}> already belongs to record "${other}"`);
    owner.set(r.graph, r.recordId);
  }
}

async function reportText(report: string | Quad[]): Promise<string> {
  if (typeof report !== 'string') {
    const writer = new Writer({ prefixes: { sh: prefixes.sh, xsd: prefixes.xsd, rdf: prefixes.rdf } });
    writer.addQuads(report);
    return new Promise((resolve, reject) =>
      writer.end((error, text) => (error ? reject(error) : resolve(text))),
    );
  }
  try {
    new Parser({ format: 'Turtle' }).parse(report);
  } catch (error) {
    throw new Error(`batch: the validation report is not valid Turtle: ${(error as Error).message}`);
  }
  return report;
}

function provenanceText(baseIri: string, manifest: Manifest): string {
  const entries = Object.entries(sortKeys(manifest.records)).map(([recordId, e]) => ({ recordId, ...e }));
  return serializeRecordQuads('(provenance)', PROVENANCE_GRAPH, provenanceQuads(baseIri, entries), 'prov')
    .text;
}

// Deletes what a failed batch created, then returns the error to throw. A failed deletion is reported alongside
// the original error rather than hidden; the leftovers are removed at the next open anyway.
async function discard(created: string[], error: unknown): Promise<Error> {
  const failures: string[] = [];
  for (const file of created) {
    await rm(file, { force: true }).catch((e: Error) => failures.push(`${file}: ${e.message}`));
  }
  const original = error instanceof Error ? error : new Error(String(error));
  if (failures.length === 0) return original;
  return new Error(`${original.message} (and cleaning up failed: ${failures.join('; ')})`, {
    cause: original,
  });
}

// Record files are named after the record id, percent-encoded to [A-Za-z0-9_-%] and cut to stay far below
// file name limits; uniqueness comes from the generation and token that follow.
function fileStem(recordId: string): string {
  const encoded = [...Buffer.from(recordId, 'utf8')]
    .map((b) => {
      const c = String.fromCharCode(b);
      return /[A-Za-z0-9_-]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');
  return encoded.length <= 120 ? encoded : encoded.slice(0, 120).replace(/%[0-9A-F]?$/, '');
}

// Stable per record id, so the same record content always gives the same file bytes (and sha256).
function blankPrefix(recordId: string): string {
  return `b${sha256Hex(Buffer.from(recordId, 'utf8')).slice(0, 16)}`;
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function osUser(): string {
  try {
    return userInfo().username;
  } catch (error) {
    // userInfo() throws when the uid has no passwd entry (some containers); the environment is the next best name.
    return (
      process.env.USER ?? process.env.LOGNAME ?? `uid-${(error as NodeJS.ErrnoException).code ?? 'unknown'}`
    );
  }
}

function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

// Runs fn over items, `limit` at a time. On failure it stops starting new items but waits for the running ones,
// so the caller's cleanup sees every file that was created.
async function forEachLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  const outcomes = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, worker));
  const rejected = outcomes.find((o) => o.status === 'rejected');
  if (rejected) throw rejected.reason;
}
