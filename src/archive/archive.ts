// Named archives on disk: each batch's records in one N-Quads segment file, a manifest as the single commit point.
import { createHash } from 'node:crypto';
import { type FileHandle, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { basename, join } from 'node:path';
import type { Quad } from '@rdfjs/types';
import { Parser, Writer } from 'n3';
import { prefixes } from '../namespaces.ts';
import {
  createDurableFile,
  type DurableFile,
  fsyncDir,
  TEMP_PREFIX,
  uniqueToken,
  withArchiveLock,
  writeFileDurably,
} from './files.ts';
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

/**
 * A record's entry in `manifest.json`. Its quads are the bytes `[offset, offset + length)` of `segment` (relative to
 * the archive directory): whole N-Quads lines, with blank node labels no other record uses.
 */
export type ManifestEntry = {
  segment: string;
  offset: number;
  length: number;
  graph: string;
  triples: number;
  sourceFile: string;
  sourceLine?: number;
  ingestedAt: string;
  /** Of the record's bytes in the segment. */
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
  /** Number of committed batches; names segments and pending files so a crashed batch's leftovers are recognised. */
  generation: number;
  /** Every segment file holding a live record, with its size as written (live and dead ranges together). */
  segments: Record<string, { bytes: number }>;
  records: Record<string, ManifestEntry>;
};

/** A stored record as listed by {@link Archive.records}. */
export type ArchiveRecord = ManifestEntry & { recordId: string };

/** The selected records of one segment file, as {@link Archive.readSegments} yields them. */
export type SegmentData = {
  /** Absolute path of the segment file (for messages). */
  path: string;
  /** The records' quads back to back: the file itself when all of it is selected, else the selected ranges. */
  bytes: Buffer;
  /** Where each record lies in `bytes`, in order. */
  records: { recordId: string; offset: number; length: number }[];
};

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
  /** The record's quads were appended to the batch's segment (not yet durable). */
  | { phase: 'record-written'; recordId: string; segment: string; index: number; total: number }
  /** The segment is complete, fsynced and under its final name (still unreferenced until the commit). */
  | { phase: 'segment-written'; segment: string; records: number; bytes: number }
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

// Format 2 (segments). Format 1 kept one file per record under records/; openArchive upgrades it (see recover).
const MANIFEST_FORMAT = 'benchgraph-archive-manifest/2';
const MANIFEST_FORMAT_1 = 'benchgraph-archive-manifest/1';
const META_FILE = 'archive.json';
const MANIFEST_FILE = 'manifest.json';
const PROVENANCE_FILE = 'provenance.nq';
const REPORT_FILE = 'report.ttl';
const SEGMENTS_DIR = 'segments';
const RECORDS_DIR = 'records';
// `segments/<generation>-<token>.nq`: the pattern also keeps a tampered manifest from pointing outside segments/.
const SEGMENT_NAME = /^segments\/\d+-[0-9a-f]{8}\.nq$/;
// Files replaced at commit time; their next version waits as `<file>.<generation>.next` until the manifest is in.
const PENDING = new RegExp(
  `^(${[META_FILE, PROVENANCE_FILE, REPORT_FILE].join('|').replaceAll('.', '\\.')})\\.(\\d+)\\.next$`,
);
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
 * (`opts.meta.baseIri` is then required). Opening finishes or discards what a crashed batch left behind, and
 * upgrades a format-1 archive (one file per record) to segments (unless another live process is writing the
 * archive right now).
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
  const recovered = await withArchiveLock(dir, () => recover(dir), { ifFree: true });
  const meta = await readMeta(dir);
  const manifest = recovered ?? (await readManifest(dir));
  return new Archive(dir, meta, manifest);
}

/**
 * Summaries of every archive under `dataDir` (directories holding an archive.json), sorted by name.
 * Reads only metadata and manifests (of either format); an absent `dataDir` has no archives.
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
    const manifest = await readAnyManifest(dir);
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

  /** The segment files of the archive (relative paths, sorted) with their sizes as written. */
  segments(): { segment: string; bytes: number }[] {
    return Object.entries(this.#manifest.segments)
      .map(([segment, { bytes }]) => ({ segment, bytes }))
      .sort((a, b) => (a.segment < b.segment ? -1 : 1));
  }

  /**
   * The quads of one record, read back from its byte range (blank nodes carry the archive's labels).
   * @throws Error if the record is unknown or its bytes no longer match the manifest's sha256.
   */
  async readRecordQuads(recordId: string): Promise<Quad[]> {
    const entry = this.#manifest.records[recordId];
    if (!entry) throw new Error(`record "${recordId}" is not in archive "${this.name}"`);
    const path = join(this.dir, entry.segment);
    const [bytes] = await readRanges(path, [{ recordId, ...entry }]);
    const sha256 = sha256Hex(bytes);
    if (sha256 !== entry.sha256) {
      throw new Error(
        `record "${recordId}": ${rangeText(path, entry)} has sha256 ${sha256}, manifest.json expects ${entry.sha256}`,
      );
    }
    return new Parser({ format: 'N-Quads', blankNodePrefix: '' }).parse(bytes.toString('utf8'));
  }

  /**
   * The quads of the selected records (default: all), one segment at a time, for loading into a store together with
   * {@link provenancePath}. Records never share blank node labels, so any run of them may be loaded in one go; a
   * segment is read whole when at least half of it is selected, else range by range.
   *
   * @throws Error if a segment file is missing or its size differs from the manifest's.
   */
  async *readSegments(select?: (record: ArchiveRecord) => boolean): AsyncGenerator<SegmentData> {
    const bySegment = new Map<string, ArchiveRecord[]>();
    for (const [recordId, entry] of Object.entries(this.#manifest.records)) {
      const record = { recordId, ...entry };
      if (select && !select(record)) continue;
      const list = bySegment.get(entry.segment);
      if (list) list.push(record);
      else bySegment.set(entry.segment, [record]);
    }
    for (const { segment, bytes: size } of this.segments()) {
      const records = bySegment.get(segment)?.sort((a, b) => a.offset - b.offset);
      if (!records) continue;
      const path = join(this.dir, segment);
      const selected = records.reduce((n, r) => n + r.length, 0);
      if (selected * 2 < size) {
        yield packRanges(path, records, await readRanges(path, records));
        continue;
      }
      const whole = await readFile(path);
      if (whole.length !== size)
        throw new Error(`${path}: ${whole.length} bytes, manifest.json expects ${size}`);
      // Ranges never overlap (readManifest checks), so ranges adding up to the size cover the whole file.
      if (selected === size) {
        yield {
          path,
          bytes: whole,
          records: records.map(({ recordId, offset, length }) => ({ recordId, offset, length })),
        };
      } else {
        yield packRanges(
          path,
          records,
          records.map((r) => whole.subarray(r.offset, r.offset + r.length)),
        );
      }
    }
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
   * Checks every segment and record against the manifest (segment present with the size written, each record's
   * bytes with the same sha256).
   * @returns one message per problem; empty when the archive is intact.
   */
  async verify(): Promise<string[]> {
    const problems: string[] = [];
    const bySegment = Map.groupBy(this.records(), (r) => r.segment);
    for (const { segment, bytes: size } of this.segments()) {
      const path = join(this.dir, segment);
      let whole: Buffer;
      try {
        whole = await readFile(path);
      } catch (error) {
        for (const r of bySegment.get(segment) ?? [])
          problems.push(`record "${r.recordId}": cannot read ${path}: ${(error as Error).message}`);
        continue;
      }
      if (whole.length !== size)
        problems.push(`${path}: ${whole.length} bytes, manifest.json expects ${size}`);
      for (const r of bySegment.get(segment) ?? []) {
        const sha256 = sha256Hex(whole.subarray(r.offset, r.offset + r.length));
        if (sha256 !== r.sha256)
          problems.push(
            `record "${r.recordId}": ${rangeText(path, r)} has sha256 ${sha256}, expected ${r.sha256}`,
          );
      }
    }
    return problems;
  }

  /**
   * Stores a batch of records atomically: after a crash at any point the archive holds either none or all of the
   * batch. Re-ingesting a record id replaces its graph. The records' quads go into one new segment file (temp file,
   * one fsync, rename), together with the live records of segments that would otherwise be mostly dead; then
   * manifest.json is replaced the same way and the directory fsynced (the commit); only then are segments without
   * live records deleted and the new provenance.nq / report.ttl / archive.json moved into place.
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
      const current = await recover(this.dir);
      const generation = current.generation + 1;
      checkGraphs(records, current);
      const next: Manifest = { ...current, generation, records: { ...current.records } };
      const graphs = new Set<string>();
      let replaced = 0;
      for (const record of records) {
        const old = current.records[record.recordId];
        graphs.add(record.graph);
        if (old) {
          replaced++;
          graphs.add(old.graph);
        }
      }
      const created = await this.#writeSegment(
        current,
        next,
        new Set(records.map((r) => r.recordId)),
        async (append) => {
          for (const [index, record] of records.entries()) {
            const { text, triples } = serializeRecordQuads(
              record.recordId,
              record.graph,
              record.quads,
              blankPrefix(record.recordId),
            );
            const bytes = Buffer.from(text, 'utf8');
            const { segment, offset } = await append(bytes);
            next.records[record.recordId] = {
              segment,
              offset,
              length: bytes.length,
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
              segment,
              index,
              total: records.length,
            });
          }
        },
        info.onProgress,
      );
      const meta = { ...(await readMeta(this.dir)), modified: at, mappingVersion: info.mappingVersion };
      await this.#publish(current, next, meta, report, created, info.onProgress);
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
      const current = await recover(this.dir);
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
      for (const id of unique) delete next.records[id];
      const created = await this.#writeSegment(
        current,
        next,
        new Set(unique),
        async () => undefined,
        undefined,
      );
      const meta = { ...(await readMeta(this.dir)), modified: new Date().toISOString() };
      await this.#publish(current, next, meta, undefined, created, undefined);
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
      const current = await recover(this.dir);
      const meta = { ...(await readMeta(this.dir)), ...patch, modified: new Date().toISOString() };
      checkMeta(meta, `archive "${this.name}" metadata`);
      await this.#publish(
        current,
        { ...current, generation: current.generation + 1 },
        meta,
        undefined,
        [],
        undefined,
      );
    });
    return this.meta;
  }

  // Writes the generation's segment: `fill` appends the new records, then the live records of old segments that
  // would end up mostly dead (`replaced` ids no longer count) are copied after them, byte for byte. Sets
  // next.segments. No segment is created when there is nothing to write. Returns the files created (for cleanup).
  async #writeSegment(
    current: Manifest,
    next: Manifest,
    replaced: Set<string>,
    fill: (append: (bytes: Uint8Array) => Promise<{ segment: string; offset: number }>) => Promise<void>,
    onProgress: BatchInfo['onProgress'],
  ): Promise<string[]> {
    const segment = `${SEGMENTS_DIR}/${next.generation}-${uniqueToken()}.nq`;
    const path = join(this.dir, segment);
    const created: string[] = [];
    let file: DurableFile | undefined;
    const append = async (bytes: Uint8Array) => {
      file ??= await createDurableFile(path);
      return { segment, offset: await file.append(bytes) };
    };
    try {
      await fill(append);
      for (const [old, moved] of Map.groupBy(mostlyDead(current, replaced), (r) => r.segment)) {
        const copies = await readRanges(join(this.dir, old), moved);
        for (const [i, r] of moved.entries()) {
          const { recordId, ...entry } = r;
          const { offset } = await append(copies[i]);
          next.records[recordId] = { ...entry, segment, offset };
        }
      }
      if (file) {
        await file.commit();
        created.push(path);
        await fsyncDir(join(this.dir, SEGMENTS_DIR));
      }
      next.segments = liveSegments(next.records, {
        ...current.segments,
        ...(file ? { [segment]: { bytes: file.size } } : {}),
      });
      if (file) {
        const records = Object.values(next.records).filter((e) => e.segment === segment).length;
        await onProgress?.({ phase: 'segment-written', segment, records, bytes: file.size });
      }
      return created;
    } catch (error) {
      throw await discard(created, error, file);
    }
  }

  // Writes the pending files, commits the manifest, moves pending files into place, deletes segments `next` no
  // longer references.
  async #publish(
    current: Manifest,
    next: Manifest,
    meta: ArchiveMeta,
    report: string | undefined,
    created: string[],
    onProgress: BatchInfo['onProgress'],
  ): Promise<void> {
    const { dir } = this;
    const g = next.generation;
    const pending = new Map<string, string>([
      [META_FILE, `${JSON.stringify(meta, null, 2)}\n`],
      [PROVENANCE_FILE, provenanceText(meta.baseIri, next)],
    ]);
    if (report !== undefined) pending.set(REPORT_FILE, report);
    const obsolete = Object.keys(current.segments).filter((s) => !(s in next.segments));
    try {
      for (const [file, text] of pending) {
        created.push(join(dir, `${file}.${g}.next`));
        await writeFileDurably(join(dir, `${file}.${g}.next`), text);
      }
      await fsyncDir(dir);
      await onProgress?.({ phase: 'prepared', generation: g });
      await writeFileDurably(join(dir, MANIFEST_FILE), manifestText(next));
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
      for (const segment of obsolete) await rm(join(dir, segment), { force: true });
      if (obsolete.length > 0) await fsyncDir(join(dir, SEGMENTS_DIR));
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
// Segments

// The live records (other than `replaced`) of every segment whose live records would hold less than half of its
// bytes: they get copied into the new segment so the old one can go. Keeps dead bytes at most half of each segment.
function mostlyDead(current: Manifest, replaced: Set<string>): ArchiveRecord[] {
  const live = new Map<string, number>();
  for (const [id, e] of Object.entries(current.records)) {
    if (!replaced.has(id)) live.set(e.segment, (live.get(e.segment) ?? 0) + e.length);
  }
  return Object.entries(current.records)
    .filter(([id, e]) => !replaced.has(id) && live.get(e.segment)! * 2 < current.segments[e.segment].bytes)
    .map(([recordId, e]) => ({ recordId, ...e }))
    .sort((a, b) => (a.segment < b.segment ? -1 : a.segment > b.segment ? 1 : a.offset - b.offset));
}

// The `segments` of a manifest holding `records`: exactly the segments they reference, with sizes from `sizes`.
function liveSegments(
  records: Record<string, ManifestEntry>,
  sizes: Record<string, { bytes: number }>,
): Record<string, { bytes: number }> {
  const out: Record<string, { bytes: number }> = {};
  for (const e of Object.values(records)) out[e.segment] ??= sizes[e.segment];
  return sortKeys(out);
}

// Reads the given byte ranges of one file through one handle.
async function readRanges(
  path: string,
  ranges: { recordId: string; offset: number; length: number }[],
): Promise<Buffer[]> {
  const handle: FileHandle = await open(path, 'r');
  try {
    const out: Buffer[] = [];
    for (const r of ranges) {
      const bytes = Buffer.alloc(r.length);
      let read = 0;
      while (read < r.length) {
        const { bytesRead } = await handle.read(bytes, read, r.length - read, r.offset + read);
        if (bytesRead === 0) {
          throw new Error(
            `record "${r.recordId}": ${path} ends before the end of the record (offset ${r.offset}, length ${r.length})`,
          );
        }
        read += bytesRead;
      }
      out.push(bytes);
    }
    return out;
  } finally {
    await handle.close();
  }
}

// Segment data made of separately read ranges, back to back.
function packRanges(
  path: string,
  records: { recordId: string; length: number }[],
  parts: Buffer[],
): SegmentData {
  let offset = 0;
  const placed = records.map(({ recordId, length }) => {
    const at = { recordId, offset, length };
    offset += length;
    return at;
  });
  return { path, bytes: Buffer.concat(parts), records: placed };
}

function rangeText(path: string, range: { offset: number; length: number }): string {
  return `${path} at offset ${range.offset}, length ${range.length}`;
}

function manifestText(manifest: Manifest): string {
  return `${JSON.stringify({ ...manifest, records: sortKeys(manifest.records) }, null, 2)}\n`;
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
  await mkdir(join(dir, SEGMENTS_DIR), { recursive: true });
  if (await exists(join(dir, MANIFEST_FILE))) {
    const leftover = await readAnyManifest(dir);
    if (Object.keys(leftover.records).length > 0) {
      throw new Error(
        `${join(dir, MANIFEST_FILE)} lists records but ${META_FILE} is missing; restore it by hand`,
      );
    }
  }
  const empty: Manifest = { format: MANIFEST_FORMAT, generation: 0, segments: {}, records: {} };
  await writeFileDurably(join(dir, PROVENANCE_FILE), '');
  await writeFileDurably(join(dir, MANIFEST_FILE), manifestText(empty));
  // archive.json last: its presence is what makes the directory an archive.
  await writeFileDurably(join(dir, META_FILE), `${JSON.stringify(meta, null, 2)}\n`);
  await fsyncDir(dir);
}

// Completes a committed generation (pending files into place) and deletes whatever an unfinished batch left:
// temp files, pending files of other generations, segment files the manifest does not reference. Upgrades a
// format-1 archive. Returns the manifest.
async function recover(dir: string): Promise<Manifest> {
  const read = await readAnyManifest(dir);
  await finishCommit(dir, read.generation);
  let removed = false;
  for (const name of await readdir(dir)) {
    const pending = PENDING.exec(name);
    if (name.startsWith(TEMP_PREFIX) || (pending && Number(pending[2]) !== read.generation)) {
      await rm(join(dir, name), { force: true });
      removed = true;
    }
  }
  if (removed) await fsyncDir(dir);
  const segmentsDir = join(dir, SEGMENTS_DIR);
  await mkdir(segmentsDir, { recursive: true });
  // A format-1 manifest references no segment, so everything in segments/ is a failed upgrade's leftover.
  const referenced = new Set(read.format === MANIFEST_FORMAT ? Object.keys(read.segments) : []);
  removed = false;
  for (const name of await readdir(segmentsDir)) {
    if (!referenced.has(`${SEGMENTS_DIR}/${name}`)) {
      await rm(join(segmentsDir, name), { force: true });
      removed = true;
    }
  }
  if (removed) await fsyncDir(segmentsDir);
  const manifest = read.format === MANIFEST_FORMAT ? read : await upgradeFormat1(dir, read);
  // records/ of format 1 outlives the upgrade's commit only if the upgrade was interrupted right after it.
  if (await exists(join(dir, RECORDS_DIR))) {
    await rm(join(dir, RECORDS_DIR), { recursive: true, force: true });
    await fsyncDir(dir);
  }
  if (!(await exists(join(dir, PROVENANCE_FILE)))) {
    const meta = await readMeta(dir);
    await writeFileDurably(join(dir, PROVENANCE_FILE), provenanceText(meta.baseIri, manifest));
    await fsyncDir(dir);
  }
  return manifest;
}

// Rewrites a format-1 archive (one file per record under records/) as format 2: the record files, in record id
// order, become one segment; the new manifest is the commit (same generation: no batch happened); records/ is
// deleted after it. Entries keep their sha256, so a damaged record file stays detectable by verify().
async function upgradeFormat1(dir: string, old: ManifestFormat1): Promise<Manifest> {
  const next: Manifest = { format: MANIFEST_FORMAT, generation: old.generation, segments: {}, records: {} };
  const ids = Object.keys(old.records).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (ids.length > 0) {
    const segment = `${SEGMENTS_DIR}/${old.generation}-${uniqueToken()}.nq`;
    const file = await createDurableFile(join(dir, segment));
    try {
      for (const recordId of ids) {
        const { file: recordFile, ...entry } = old.records[recordId];
        let bytes: Buffer;
        try {
          bytes = await readFile(join(dir, recordFile));
        } catch (error) {
          throw new Error(
            `cannot upgrade archive ${dir} to ${MANIFEST_FORMAT}: record "${recordId}": ${(error as Error).message}`,
            { cause: error },
          );
        }
        const offset = await file.append(bytes);
        next.records[recordId] = { segment, offset, length: bytes.length, ...entry };
      }
      await file.commit();
    } catch (error) {
      throw await discard([], error, file);
    }
    next.segments[segment] = { bytes: file.size };
    await fsyncDir(join(dir, SEGMENTS_DIR));
  }
  await writeFileDurably(join(dir, MANIFEST_FILE), manifestText(next));
  await fsyncDir(dir);
  return next;
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

/** A format-1 manifest: one file per record (`records/<name>.nq`) instead of segment ranges. Read to upgrade it. */
type ManifestFormat1 = {
  format: typeof MANIFEST_FORMAT_1;
  generation: number;
  records: Record<string, Omit<ManifestEntry, 'segment' | 'offset' | 'length'> & { file: string }>;
};

// The archive's manifest, which must be of the current format.
async function readManifest(dir: string): Promise<Manifest> {
  const manifest = await readAnyManifest(dir);
  if (manifest.format !== MANIFEST_FORMAT) {
    throw new Error(
      `${join(dir, MANIFEST_FILE)}: format "${MANIFEST_FORMAT_1}" (one file per record) is upgraded to ` +
        `"${MANIFEST_FORMAT}" when the archive is opened while no other process writes it; open it again then`,
    );
  }
  return manifest;
}

// Reads and checks manifest.json of either format; a missing one is an empty archive.
async function readAnyManifest(dir: string): Promise<Manifest | ManifestFormat1> {
  const path = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      return { format: MANIFEST_FORMAT, generation: 0, segments: {}, records: {} };
    throw error;
  }
  let data: Manifest | ManifestFormat1;
  try {
    data = JSON.parse(text) as Manifest | ManifestFormat1;
  } catch (error) {
    throw new Error(`${path}: not valid JSON (${(error as Error).message})`, { cause: error });
  }
  if (data?.format !== MANIFEST_FORMAT && data?.format !== MANIFEST_FORMAT_1)
    throw new Error(
      `${path}: expected "format": "${MANIFEST_FORMAT}" (or "${MANIFEST_FORMAT_1}", to upgrade)`,
    );
  if (!Number.isInteger(data.generation) || data.generation < 0) {
    throw new Error(`${path}: "generation" must be a non-negative integer`);
  }
  if (typeof data.records !== 'object' || data.records === null)
    throw new Error(`${path}: "records" must be an object`);
  if (data.format === MANIFEST_FORMAT_1) {
    for (const [id, e] of Object.entries(data.records)) {
      // The file name must stay inside records/: a tampered manifest must not make the upgrade read other files.
      if (typeof e.file !== 'string' || !/^records\/[^/\\]+\.nq$/.test(e.file) || e.file.includes('..')) {
        throw new Error(`${path}: record "${id}": "file" must be a file name under records/`);
      }
      checkEntryFields(path, id, e);
    }
    return data;
  }
  if (typeof data.segments !== 'object' || data.segments === null)
    throw new Error(`${path}: "segments" must be an object`);
  for (const [segment, s] of Object.entries(data.segments)) {
    if (!SEGMENT_NAME.test(segment))
      throw new Error(
        `${path}: segment "${segment}" must be named like segments/<generation>-<8 hex digits>.nq`,
      );
    if (!Number.isInteger(s?.bytes) || s.bytes < 0)
      throw new Error(`${path}: segment "${segment}": "bytes" must be a non-negative integer`);
  }
  const ranges = new Map<string, [string, ManifestEntry][]>();
  for (const [id, e] of Object.entries(data.records)) {
    const bad = (field: string, expected: string) =>
      new Error(`${path}: record "${id}": "${field}" must be ${expected}`);
    // Only listed segments, whose names stay inside segments/: a tampered manifest must not make the store read
    // other files.
    if (typeof e.segment !== 'string' || !Object.hasOwn(data.segments, e.segment))
      throw bad('segment', 'a segment listed in "segments"');
    for (const field of ['offset', 'length'] as const) {
      if (!Number.isInteger(e[field]) || e[field] < 0) throw bad(field, 'a non-negative integer');
    }
    if (e.offset + e.length > data.segments[e.segment].bytes)
      throw bad('length', `within the ${data.segments[e.segment].bytes} bytes of ${e.segment}`);
    checkEntryFields(path, id, e);
    const list = ranges.get(e.segment);
    if (list) list.push([id, e]);
    else ranges.set(e.segment, [[id, e]]);
  }
  for (const [segment, list] of ranges) {
    list.sort(([, a], [, b]) => a.offset - b.offset);
    for (let i = 1; i < list.length; i++) {
      const [prevId, prev] = list[i - 1];
      if (list[i][1].offset < prev.offset + prev.length)
        throw new Error(`${path}: records "${prevId}" and "${list[i][0]}" overlap in ${segment}`);
    }
  }
  return data;
}

// The fields both manifest formats share.
function checkEntryFields(
  path: string,
  id: string,
  e: Omit<ManifestEntry, 'segment' | 'offset' | 'length'>,
): void {
  const bad = (field: string, expected: string) =>
    new Error(`${path}: record "${id}": "${field}" must be ${expected}`);
  if (typeof e.graph !== 'string' || !isAbsoluteIri(e.graph)) throw bad('graph', 'an absolute IRI');
  if (!Number.isInteger(e.triples) || e.triples < 0) throw bad('triples', 'a non-negative integer');
  if (typeof e.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(e.sha256)) throw bad('sha256', '64 hex digits');
  for (const field of ['sourceFile', 'ingestedAt', 'mapping', 'mappingVersion', 'agent'] as const) {
    if (typeof e[field] !== 'string') throw bad(field, 'a string');
  }
  if (!Number.isInteger(e.batch)) throw bad('batch', 'an integer');
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
    throw new Error(`${path}: not valid JSON (${(error as Error).message})`, { cause: error });
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
    throw new Error(`batch: the validation report is not valid Turtle: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return report;
}

function provenanceText(baseIri: string, manifest: Manifest): string {
  const entries = Object.entries(sortKeys(manifest.records)).map(([recordId, e]) => ({ recordId, ...e }));
  return serializeRecordQuads('(provenance)', PROVENANCE_GRAPH, provenanceQuads(baseIri, entries), 'prov')
    .text;
}

// Deletes what a failed batch created (the unfinished `file` and the `created` files), then returns the error to
// throw. A failed deletion is reported alongside the original error rather than hidden; the leftovers are removed
// at the next open anyway.
async function discard(created: string[], error: unknown, file?: DurableFile): Promise<Error> {
  const failures: string[] = [];
  await file?.abort().catch((e: Error) => failures.push(`unfinished segment: ${e.message}`));
  for (const path of created) {
    await rm(path, { force: true }).catch((e: Error) => failures.push(`${path}: ${e.message}`));
  }
  const original = error instanceof Error ? error : new Error(String(error));
  if (failures.length === 0) return original;
  return new Error(`${original.message} (and cleaning up failed: ${failures.join('; ')})`, {
    cause: original,
  });
}

// Stable per record id, so the same record content always gives the same bytes (and sha256).
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
