// `benchgraph export`: one archive's record graphs and provenance as N-Quads, for loading into another SPARQL store
// (the distributed deployment loads one into Virtuoso this way) or for a backup.
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { openArchive } from './archive.ts';

/** What {@link exportArchive} wrote. */
export type ExportSummary = { archive: string; records: number; bytes: number };

/**
 * Writes every record graph of the archive, then its provenance graph, to `out` (a path, or a stream such as
 * stdout) as N-Quads. The bytes are the archive's own, checked against nothing else; records never share blank
 * node labels, so the output loads as is.
 *
 * @throws Error for an unknown archive or a segment that does not match the manifest
 */
export async function exportArchive(dataDir: string, name: string, out: string | Writable): Promise<ExportSummary> {
  const archive = await openArchive(dataDir, name);
  const stream = typeof out === 'string' ? createWriteStream(out) : out;
  let bytes = 0;
  let records = 0;
  const write = async (chunk: Buffer) => {
    bytes += chunk.length;
    if (!stream.write(chunk)) await once(stream, 'drain');
  };
  for await (const segment of archive.readSegments()) {
    records += segment.records.length;
    await write(segment.bytes);
  }
  await write(await readFile(archive.provenancePath));
  if (typeof out === 'string') {
    stream.end();
    await once(stream, 'finish');
  }
  return { archive: name, records, bytes };
}
