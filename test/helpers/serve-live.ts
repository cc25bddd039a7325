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

const SETUP = '.ci/setup-debian.sh (Debian packages python3-rdflib, python3-sparqlwrapper, rasqal-utils)';

/** The Python interpreter that has Debian's python3-rdflib and python3-sparqlwrapper (not the first on PATH). */
export const DEBIAN_PYTHON = '/usr/bin/python3';

/** Why the Debian Python client libraries cannot be used here, or undefined when they can. */
export function pythonClientsMissing(): string | undefined {
  const probe = spawnSync(DEBIAN_PYTHON, ['-c', 'import rdflib, SPARQLWrapper'], { encoding: 'utf8' });
  if (probe.error) return `${DEBIAN_PYTHON} not found (${probe.error.message}); install: ${SETUP}`;
  if (probe.status !== 0) {
    const why = probe.stderr.trim().split('\n').at(-1);
    return `${DEBIAN_PYTHON} cannot import rdflib and SPARQLWrapper (${why}); install: ${SETUP}`;
  }
  return undefined;
}

/** Why `roqet` (Debian rasqal-utils) cannot be run here, or undefined when it can. */
export function roqetMissing(): string | undefined {
  const probe = spawnSync('roqet', ['-v'], { encoding: 'utf8' });
  if (probe.error) return `roqet not found on PATH (${probe.error.message}); install: ${SETUP}`;
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
 * `describe` for tests that need a client tool or package: when `missing` says it is absent (and how to get it)
 * they are skipped with that message on a developer machine, and fail on CI, which must prove they work.
 */
export function describeWithTool(title: string, missing: string | undefined, body: () => void): void {
  if (missing === undefined) {
    describe(title, body);
  } else if (onCi()) {
    describe(title, () => {
      it('has what it needs installed (required on CI)', () => {
        throw new Error(`${missing} (CI=${process.env.CI}: these tests must run on CI, not be skipped)`);
      });
    });
  } else {
    console.warn(`skipping "${title}": ${missing}`);
    describe.skip(title, body);
  }
}
