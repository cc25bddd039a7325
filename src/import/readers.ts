// Readers: each turns a source file of one format into JSON-LD documents that remember where they came from.
import { isUtf8 } from 'node:buffer';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { UnreadableInputError } from '../ingest/records.ts';
import { readDandi } from './dandi.ts';
import type { ImportFormat } from './formats.ts';
import { readIdrStudy } from './idr-study.ts';
import type { JsonObject } from './jsonld.ts';
import type { Notice } from './normalize.ts';
import { readOmeXml } from './ome-xml.ts';

/** One JSON-LD document to import, with what it came from. */
export type SourceDocument = {
  /** The file named in messages and in the record's provenance. */
  file: string;
  /** Where in the file the document starts, when the file holds several. */
  line?: number;
  /** Which part of the file, for messages (e.g. `asset 3`). */
  place?: string;
  document: JsonObject;
  /** Every file read for this document, in order: the record's import checksum covers them all. */
  bytes: Buffer[];
  notices: Notice[];
  /** Parts of the source that were left out, each with the reason (e.g. an asset of an unknown schema version). */
  skipped: { place: string; reason: string }[];
};

/** Reads one file (or, for DANDI, a dandiset file with its assets) into documents. */
export async function readSource(file: string, format: ImportFormat): Promise<SourceDocument[]> {
  switch (format.reader) {
    case 'json-ld':
      return [await readJsonLd(file)];
    case 'idr-study':
      return [await readIdrStudy(file, format)];
    case 'dandi':
      return readDandi(file, format);
    case 'ome-xml':
      return [await readOmeXml(file, format)];
  }
}

/** The bytes of a file, or an UnreadableInputError naming it. */
export async function readBytes(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new UnreadableInputError(file, `cannot read file (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
}

/** Text of UTF-8 bytes; text that is not UTF-8 is read as Windows-1252 (a superset of Latin-1), with a notice. */
export function decodeText(bytes: Buffer, file: string): { text: string; notices: Notice[] } {
  if (isUtf8(bytes)) return { text: bytes.toString('utf8').replace(/^\uFEFF/, ''), notices: [] };
  return {
    text: new TextDecoder('windows-1252').decode(bytes),
    notices: [{ kind: 'encoding', message: `${basename(file)} is not UTF-8; read as Windows-1252 (Latin-1)` }],
  };
}

/** Parses JSON, reporting a syntax error with line and column. */
export function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    const lc = /line (\d+) column (\d+)/.exec(message);
    const pos = /position (\d+)/.exec(message);
    let line: number | undefined;
    let column: number | undefined;
    if (lc) [line, column] = [Number(lc[1]), Number(lc[2])];
    else if (pos) ({ line, column } = lineAndColumn(text, Number(pos[1])));
    throw new UnreadableInputError(file, `malformed JSON: ${message.replace(/ \(line \d+ column \d+\)/, '')}`, line, column);
  }
}

export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    last = i;
  }
  return { line, column: offset - last };
}

/** A JSON-LD file (an RO-Crate metadata file): an object with @context. */
async function readJsonLd(file: string): Promise<SourceDocument> {
  const bytes = await readBytes(file);
  const { text, notices } = decodeText(bytes, file);
  const value = parseJson(text, file);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UnreadableInputError(file, 'not JSON-LD: expected a JSON object with "@context" and "@graph"', 1, 1);
  }
  const doc = value as JsonObject;
  if (doc['@context'] === undefined) {
    throw new UnreadableInputError(file, 'not JSON-LD: the object has no "@context" (an RO-Crate names the RO-Crate context there)', 1, 1);
  }
  if (doc['@graph'] !== undefined && !Array.isArray(doc['@graph'])) {
    throw new UnreadableInputError(file, 'not an RO-Crate: "@graph" must be a list of entities', 1, 1);
  }
  return { file, document: doc, bytes: [bytes], notices, skipped: [] };
}
