// Builds the demo federation for the ask tests and the evaluation: every lab folder of examples/ ingested as an
// archive of its name into a fresh temporary data directory.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Config, loadConfig } from '../../src/config.ts';
import { demoLabs } from '../../src/demo.ts';
import { expandInputs, ingest, loadPipeline } from '../../src/main.ts';

/** Ingests examples/* into a new temporary directory and returns the configuration pointing at it. */
export async function demoDataDir(prefix = 'benchgraph-ask-'): Promise<Config> {
  const dataDir = await mkdtemp(join(tmpdir(), prefix));
  const config = loadConfig({ data: dataDir }, {});
  const pipeline = await loadPipeline(config);
  for (const lab of await demoLabs()) {
    await ingest(config, pipeline, lab.name, await expandInputs([lab.dir]), { strict: false, agent: 'benchgraph ask tests' });
  }
  return config;
}
