// Faults: a source killed in the middle of its answer, one that hangs, one that answers garbage, one that is down,
// and one that keeps failing (circuit breaker). The other sources' answers come back with a warning naming the bad one.
import { rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseFederation } from '../src/federate/config.ts';
import { createFederation, type Federation } from '../src/federate/federation.ts';
import { defaultOntologyFiles } from '../src/serve/context.ts';
import { federatedSparqlRoute } from '../src/serve/federation-route.ts';
import { createHandler, type Handler } from '../src/serve/handler.ts';
import { demoDataDir, namedQueries } from './fixtures/federate/harness.ts';

type Mode = 'ok' | 'hang' | 'kill' | 'garbage' | 'error';

/**
 * Stands in front of stroke-lab's endpoint: passes every request to the real archive, except the federated
 * subqueries (they carry the plan's token), which get the fault of `mode`. Summaries are built through it as well.
 */
class FaultyProxy {
  mode: Mode = 'ok';
  subqueries = 0;
  readonly #server: Server;
  readonly #hanging = new Set<ServerResponse>();

  constructor(handler: Handler) {
    this.#server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = Buffer.concat(chunks).toString();
      const url = new URL(req.url ?? '/', 'http://local.test');
      const isSubquery = /bgfq\d+/.test(decodeURIComponent(url.search + body));
      const forward = async () =>
        handler(
          new Request(`http://local.test${req.url}`, {
            method: req.method,
            headers: req.headers as Record<string, string>,
            ...(req.method === 'POST' ? { body } : {}),
          }),
        );
      if (!isSubquery || this.mode === 'ok') {
        if (isSubquery) this.subqueries++;
        const response = await forward();
        res.writeHead(response.status, Object.fromEntries(response.headers));
        res.end(Buffer.from(await response.arrayBuffer()));
        return;
      }
      this.subqueries++;
      switch (this.mode) {
        case 'hang':
          this.#hanging.add(res);
          return;
        case 'kill': {
          const text = await (await forward()).text();
          res.writeHead(200, { 'content-type': 'application/sparql-results+json', 'content-length': String(Buffer.byteLength(text)) });
          res.write(text.slice(0, Math.floor(text.length / 2)));
          setTimeout(() => res.destroy(), 20);
          return;
        }
        case 'garbage':
          res.writeHead(200, { 'content-type': 'application/sparql-results+json' });
          res.end('<html><body>502 Bad Gateway (nginx)</body></html>');
          return;
        case 'error':
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end('the triple store crashed\n');
          return;
      }
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((ok) => this.#server.listen(0, '127.0.0.1', ok));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const res of this.#hanging) res.destroy();
    this.#server.closeAllConnections();
    await new Promise((ok) => this.#server.close(ok));
  }
}

const unpublished = (await namedQueries()).find((q) => q.name === 'unpublished-sessions')!.text;
let dataDir: string;
let handler: Handler;
let proxy: FaultyProxy;
let federation: Federation;
let federationFile: string;

// A loopback port nothing listens on: taken from the OS, then released.
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  await new Promise((ok) => server.close(ok));
  return port;
}

function archiveOf(row: Record<string, { value: string }>): string {
  return /\/id\/([^/]+)\//.exec(row.session!.value)![1]!;
}

beforeAll(async () => {
  dataDir = await demoDataDir('faults');
  handler = await createHandler({ dataDir, workers: 1, log: () => {} });
  proxy = new FaultyProxy(handler);
  const proxyUrl = await proxy.listen();
  const yaml = [
    'breaker: { failures: 4, cooldown: 60s }',
    'sources:',
    `  - { name: stroke-lab, type: benchgraph, url: "${proxyUrl}/archives/stroke-lab", timeout: 1s }`,
    '  - { name: visual-lab, archive: visual-lab }',
    '  - { name: memory-lab, archive: memory-lab }',
    `  - { name: offline, type: sparql, url: "http://127.0.0.1:${await closedPort()}/sparql", timeout: 1s }`,
  ].join('\n');
  federationFile = join(dataDir, 'federation.yaml');
  await writeFile(federationFile, yaml);
  federation = await createFederation({
    config: parseFederation(yaml, 'faults.yaml'),
    ontologyFiles: defaultOntologyFiles(),
    local: { origin: 'http://benchgraph.local', transport: handler },
    log: () => {},
  });
  await federation.refresh();
});

afterAll(async () => {
  await proxy?.close();
  await handler?.close(0);
  await rm(dataDir, { recursive: true, force: true });
});

beforeEach(() => {
  proxy.mode = 'ok';
});

describe('a federation with a faulty source', () => {
  it('answers from every reachable archive and names the one that is down since start-up', async () => {
    const result = await federation.query(unpublished);
    expect(new Set(result.bindings.map(archiveOf))).toEqual(new Set(['memory-lab', 'stroke-lab', 'visual-lab']));
    expect(result.bindings).toHaveLength(178);
    expect(result.warnings).toEqual([
      { source: 'offline', kind: 'unreachable', message: "could not read the source's summary: the connection failed (ECONNREFUSED)" },
    ]);
    expect(result.sources.find((s) => s.name === 'stroke-lab')!.status).toBe('answered');
  });

  it('keeps the others when a source is killed in the middle of its answer', async () => {
    proxy.mode = 'kill';
    const result = await federation.query(unpublished);
    expect(new Set(result.bindings.map(archiveOf))).toEqual(new Set(['memory-lab', 'visual-lab']));
    expect(result.warnings.find((w) => w.source === 'stroke-lab')).toMatchObject({ source: 'stroke-lab', kind: 'unreachable' });
    expect(result.sources.find((s) => s.name === 'stroke-lab')!.status).toBe('failed');
  });

  it('gives up on a source that hangs when its time limit passes', async () => {
    proxy.mode = 'hang';
    const result = await federation.query(unpublished);
    expect(new Set(result.bindings.map(archiveOf))).toEqual(new Set(['memory-lab', 'visual-lab']));
    expect(result.warnings.find((w) => w.source === 'stroke-lab')).toEqual({ source: 'stroke-lab', kind: 'timeout', message: 'no complete answer within 1000 ms' });
  });

  it('drops an answer that is not SPARQL results', async () => {
    proxy.mode = 'garbage';
    const result = await federation.query(unpublished);
    expect(new Set(result.bindings.map(archiveOf))).toEqual(new Set(['memory-lab', 'visual-lab']));
    const warning = result.warnings.find((w) => w.source === 'stroke-lab')!;
    expect(warning.kind).toBe('malformed');
    expect(warning.message).toMatch(/^expected SPARQL JSON results, found unparsable content \(.*; starts with "<html><body>502 Bad Gateway \(nginx\)<\/bod"\)$/);
  });

  it('skips a source that keeps failing for the cool-down, without contacting it', async () => {
    proxy.mode = 'error';
    // Kill, hang, garbage and this 500 are four failures in a row: the circuit opens.
    const first = await federation.query(unpublished);
    expect(first.warnings.find((w) => w.source === 'stroke-lab')).toEqual({ source: 'stroke-lab', kind: 'http-error', message: 'HTTP 500: the triple store crashed' });
    const before = proxy.subqueries;
    proxy.mode = 'ok';
    const skipped = await federation.query(unpublished);
    expect(proxy.subqueries).toBe(before);
    expect(new Set(skipped.bindings.map(archiveOf))).toEqual(new Set(['memory-lab', 'visual-lab']));
    expect(skipped.warnings.find((w) => w.source === 'stroke-lab')).toEqual({
      source: 'stroke-lab',
      kind: 'circuit-open',
      message: 'skipped: the source failed repeatedly; it is tried again in 60 s',
    });
    expect(skipped.sources.find((s) => s.name === 'stroke-lab')!.status).toBe('skipped');
  });

  it('puts the warnings in a header and in the JSON results of /sparql', async () => {
    const url = new URL(`http://test.local/sparql?${new URLSearchParams({ query: unpublished })}`);
    const response = await federatedSparqlRoute(handler.context, new Request(url), url, federationFile);
    expect(response.status).toBe(200);
    expect(response.headers.get('benchgraph-warning')).toBe(
      'offline; kind=unreachable; message="could not read the source\'s summary: the connection failed (ECONNREFUSED)"',
    );
    const body = await response.json();
    expect(body.federation.complete).toBe(false);
    expect(body.federation.warnings.map((w: { source: string }) => w.source)).toEqual(['offline']);
    expect(body.results.bindings).toHaveLength(178);
  });
});
