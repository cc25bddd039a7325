// The embedded demo federation: on first start, each lab folder under examples/ becomes an archive of its name.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { listArchives } from './archive/archive.ts';
import { type Config, projectRoot } from './config.ts';

export const EXAMPLES_DIR = join(projectRoot, 'examples');

/** The demo labs shipped in examples/: one folder per archive. */
export async function demoLabs(dir = EXAMPLES_DIR): Promise<{ name: string; dir: string }[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory() && /^[a-z0-9][a-z0-9-]*$/.test(e.name))
    .map((e) => ({ name: e.name, dir: join(dir, e.name) }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** True when the data directory holds no archive yet: the first start. */
export async function isFirstRun(config: Config): Promise<boolean> {
  return (await listArchives(config.dataDir)).length === 0;
}
