// Starts a real benchgraph server on a random port for client and protocol tests, and says when a tool is missing.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StoredRecord } from '../../src/archive/archive.ts';
import { type StartOptions, startServer } from '../../src/serve/server.ts';
import { describe, it } from 'vitest';
import { buildFixtureArchive, FIXTURE_ARCHIVE, FIXTURE_BASE } from './serve-fixture.ts';

/** A live server over a temporary data directory; `close` stops it and removes the directory. */
export type LiveServer = { url: string; dataDir: string; close: () => Promise<void> };

/**
 * Starts a server on 127.0.0.1 with a random port over `dataDir` (removed on close). Ontology slims are left out
 * (`ontologyFiles: []`) so an archive's store holds exactly its records, and two workers keep start-up quick.
 */
export async function startLiveServer(
  dataDir: string,
  options: Partial<StartOptions> = {},
): Promise<LiveServer> {
  const server = await startServer({
    dataDir,
    port: 0,
    host: '127.0.0.1',
    ontologyFiles: [],
    workers: 2,
    log: () => {},
    ...options,
  });
  return {
    url: server.url,
    dataDir,
    close: async () => {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A fresh temporary data directory. */
export function tempDataDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `benchgraph-${prefix}-`));
}

/** A live server serving the client fixture archive (see serve-fixture.ts), with record IRIs under FIXTURE_BASE. */
export async function startFixtureServer(): Promise<
  LiveServer & { archive: string; records: StoredRecord[] }
> {
  const dataDir = await tempDataDir('clients');
  const records = await buildFixtureArchive(dataDir);
  const server = await startLiveServer(dataDir, { baseIri: FIXTURE_BASE });
  return { ...server, archive: FIXTURE_ARCHIVE, records };
}

/** The Python interpreter that has Debian's python3-rdflib and python3-sparqlwrapper (not the first on PATH). */
export const DEBIAN_PYTHON = '/usr/bin/python3';

/** Why the Debian Python client libraries cannot be used here, or undefined when they can. */
export function pythonClientsMissing(): string | undefined {
  const probe = spawnSync(DEBIAN_PYTHON, ['-c', 'import rdflib, SPARQLWrapper'], { encoding: 'utf8' });
  if (probe.error) return `${DEBIAN_PYTHON} not found (${probe.error.message})`;
  if (probe.status !== 0) {
    return `${DEBIAN_PYTHON} cannot import rdflib and SPARQLWrapper (${probe.stderr.trim().split('\n').at(-1)})`;
  }
  return undefined;
}

/** Why `roqet` (Debian rasqal-utils) cannot be run here, or undefined when it can. */
export function roqetMissing(): string | undefined {
  const probe = spawnSync('roqet', ['-v'], { encoding: 'utf8' });
  if (probe.error) return `roqet not found on PATH (${probe.error.message})`;
  if (probe.status !== 0) return `roqet -v exited with ${probe.status}: ${probe.stderr.trim()}`;
  return undefined;
}

/** True on CI (CI=true or any value but "false"/"0"), where a missing client tool is a failure, not a skip. */
export function onCi(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0';
}

/**
 * Runs a command to completion and resolves with its stdout; rejects with its stderr when it fails or outlives
 * `timeoutMs`. Asynchronous on purpose: the server under test runs on this process's event loop, so a blocking
 * spawnSync would keep it from answering the very client it waits for.
 */
export function run(command: string, args: string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${command} ${args.join(' ')} failed (${error.message}):\n${stderr}`));
        else resolve(stdout);
      },
    );
  });
}

/**
 * `describe` for tests that need an external client tool: when `missing` says the tool is absent they are skipped
 * with that message on a developer machine, and fail on CI, where `.ci/setup-debian.sh` must have installed it.
 */
export function describeWithTool(title: string, missing: string | undefined, body: () => void): void {
  if (missing === undefined) {
    describe(title, body);
  } else if (onCi()) {
    describe(title, () => {
      it('has its client tool installed (CI runs .ci/setup-debian.sh)', () => {
        throw new Error(`${missing}; on CI .ci/setup-debian.sh must install it before npm test`);
      });
    });
  } else {
    console.warn(`skipping "${title}": ${missing} (install with .ci/setup-debian.sh)`);
    describe.skip(title, body);
  }
}
