// Writes one archive's record graphs and provenance as a single N-Quads file, for loading into another SPARQL store.
// usage: node scripts/federation/export-archive.ts DATA_DIR ARCHIVE OUT.nq
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { once } from 'node:events';
import { openArchive } from '../../src/archive/archive.ts';

const [dataDir, name, out] = process.argv.slice(2);
if (!dataDir || !name || !out) {
  process.stderr.write('usage: node scripts/federation/export-archive.ts DATA_DIR ARCHIVE OUT.nq\n');
  process.exit(2);
}
const archive = await openArchive(dataDir, name);
const stream = createWriteStream(out);
let bytes = 0;
for await (const segment of archive.readSegments()) {
  bytes += segment.bytes.length;
  if (!stream.write(segment.bytes)) await once(stream, 'drain');
}
const provenance = await readFile(archive.provenancePath);
stream.write(provenance);
stream.end();
await once(stream, 'finish');
process.stdout.write(`${name}: ${bytes + provenance.length} bytes of N-Quads in ${out}\n`);
