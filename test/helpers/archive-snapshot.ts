// Test helpers: a byte-exact snapshot of an archive directory, and temporary data directories.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Every file under `dir` (relative path, '/'-separated) with its content, sorted by path. */
export async function snapshotDir(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (sub: string) => {
    for (const entry of (await readdir(join(dir, sub), { withFileTypes: true })).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    )) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(rel);
      else out[rel] = await readFile(join(dir, rel), 'utf8');
    }
  };
  await walk('');
  return out;
}

/** A fresh data directory under the OS temp dir; `cleanup` removes it. */
export async function tempDataDir(): Promise<{ dataDir: string; cleanup: () => Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'benchgraph-archive-'));
  return { dataDir, cleanup: () => rm(dataDir, { recursive: true, force: true }) };
}
