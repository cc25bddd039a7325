// Child process for the crash tests: writes one big batch, printing each step, and hangs at a chosen step to be killed.
// Usage: node archive-crash-writer.ts <dataDir> <archive> <first record> <count> <variant>
// ARCHIVE_CRASH_HANG_AT=record-written|segment-written|prepared|committed makes it print that step and then wait forever.
import { openArchive } from '../../src/archive/archive.ts';
import { syntheticRecords } from './archive-synthetic.ts';

const [dataDir, name, first, count, variant] = process.argv.slice(2);
const hangAt = process.env.ARCHIVE_CRASH_HANG_AT;

const archive = await openArchive(dataDir, name);
const records = syntheticRecords(Number(count), 10, { start: Number(first), variant });
const result = await archive.writeBatch(records, {
  mapping: 'mappings/synthetic.yaml',
  mappingVersion: variant,
  agent: 'crash-writer',
  report: `@prefix sh: <http://www.w3.org/ns/shacl#> .\n[] a sh:ValidationReport ; sh:conforms true . # ${variant}\n`,
  onProgress: async (p) => {
    process.stdout.write(`${p.phase}${'recordId' in p ? ` ${p.recordId}` : ''}\n`);
    // Never resolves: the batch stays exactly at this step until the test kills the process.
    if (p.phase === hangAt) await new Promise(() => setInterval(() => undefined, 1 << 30));
  },
});
process.stdout.write(`done ${JSON.stringify({ stored: result.stored, replaced: result.replaced })}\n`);
