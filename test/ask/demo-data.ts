// Builds the demo federation for the ask tests and the evaluation: every lab folder of examples/ ingested as an
// archive of its name into a fresh temporary data directory, and, on request, the public archives imported from
// ../shared/data when it is present (as `npm start` does on first run).
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Config, loadConfig } from '../../src/config.ts';
import { demoLabs } from '../../src/demo.ts';
import { importDemoArchives } from '../../src/import/command.ts';
import { expandInputs, ingest, loadPipeline } from '../../src/main.ts';

/** Ingests examples/* (and with `publicArchives`, the shared public archives) into a new temporary directory. */
export async function demoDataDir(prefix = 'benchgraph-ask-', opts: { publicArchives?: boolean } = {}): Promise<Config> {
  const dataDir = await mkdtemp(join(tmpdir(), prefix));
  const config = loadConfig({ data: dataDir }, {});
  const pipeline = await loadPipeline(config);
  for (const lab of await demoLabs()) {
    await ingest(config, pipeline, lab.name, await expandInputs([lab.dir]), { strict: false, agent: 'benchgraph ask tests' });
  }
  if (opts.publicArchives) await importDemoArchives(config, config.dataDir, config.sharedDataDir);
  return config;
}
