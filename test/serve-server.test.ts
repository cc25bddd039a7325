// The server on a real port: a query that never ends, hundreds of concurrent connections, graceful shutdown, SIGTERM.
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { request as httpRequest, Agent } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../src/serve/server.ts';
import { BASE, buildServeData } from './fixtures/serve/archives.ts';

// 200 generated records of 10 triples: a three-way cross join of them is 8e9 rows, which no time limit reaches.
const ENDLESS = 'SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }';
const QUICK = 'SELECT (COUNT(*) AS ?n) WHERE { ?s a <https://w3id.org/benchgraph/vocab#Session> }';

let data: Awaited<ReturnType<typeof buildServeData>>;
let server: RunningServer;

beforeAll(async () => {
  data = await buildServeData({ synthetic: 200 });
  server = await startServer({
    dataDir: data.dataDir,
    port: 0,
    baseIri: BASE,
    ontologyFiles: [],
    workers: 2,
    queryTimeoutMs: 1500,
    maxQueue: 16,
    log: () => {},
  });
}, 30_000);

afterAll(async () => {
  await server?.close();
  await data?.cleanup();
});

const sparql = (archive: string, query: string) =>
  `${server.url}/archives/${archive}/sparql?query=${encodeURIComponent(query)}`;

async function get(url: string, headers: Record<string, string> = {}) {
  const r = await fetch(url, { headers });
  return { status: r.status, headers: r.headers, body: await r.text() };
}

describe('a live server', () => {
  it('answers over HTTP like the handler does', async () => {
    const r = await get(sparql('demo', QUICK), { accept: 'text/csv' });
    expect([r.status, r.headers.get('content-type'), r.body]).toEqual([200, 'text/csv; charset=utf-8', 'n\r\n3\r\n']);
    const ld = await get(`${server.url}/id/demo/subject/M2`, { accept: 'application/n-triples' });
    expect(ld.body.trim().split('\n')).toHaveLength(4);
  });

  it('stops a query that never ends at the time limit and keeps answering others', async () => {
    const endless = get(sparql('synthetic', ENDLESS));
    // While one worker is stuck, the other keeps serving.
    const during = await get(sparql('demo', QUICK), { accept: 'text/csv' });
    expect(during.body).toBe('n\r\n3\r\n');
    const stopped = await endless;
    expect([stopped.status, stopped.body]).toEqual([504, 'the query did not finish within 1500 ms and was stopped\n']);
    // The stuck worker was replaced: both workers serve again.
    const after = await Promise.all([1, 2, 3, 4].map(() => get(sparql('demo', QUICK), { accept: 'text/csv' })));
    expect(after.map((r) => r.body)).toEqual(Array(4).fill('n\r\n3\r\n'));
    const metrics = await get(`${server.url}/metrics`);
    expect(metrics.body).toContain('benchgraph_query_timeouts_total 1\n');
    expect(metrics.body).toContain('benchgraph_query_worker_restarts_total 1\n');
    expect(metrics.body).toContain(
      'benchgraph_http_requests_total{route="/archives/{name}/sparql",method="GET",status="504"} 1',
    );
  });

  it('answers each of 500 concurrent connections with a result or 503 and Retry-After', async () => {
    const agent = new Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });
    const url = new URL(sparql('synthetic', 'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o . ?s ?q ?r }'));
    const one = () =>
      new Promise<{ status: number; retryAfter: string | undefined }>((resolve, reject) => {
        const req = httpRequest(url, { agent, headers: { accept: 'text/csv' } }, (res) => {
          res.resume();
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string | undefined }),
          );
        });
        req.on('error', reject);
        req.end();
      });
    const results = await Promise.all(Array.from({ length: 500 }, one));
    agent.destroy();
    const statuses = new Set(results.map((r) => r.status));
    expect([...statuses].every((s) => s === 200 || s === 503)).toBe(true);
    expect(results.filter((r) => r.status === 200).length).toBeGreaterThan(0);
    expect(results.filter((r) => r.status === 503).every((r) => r.retryAfter === '1')).toBe(true);
    const health = await get(`${server.url}/health`);
    expect(JSON.parse(health.body).status).toBe('ok');
  });

  it('refuses an oversized chunked body with 413', async () => {
    const r = await fetch(`${server.url}/archives/demo/sparql`, {
      method: 'POST',
      headers: { 'content-type': 'application/sparql-query' },
      body: new ReadableStream({
        start(controller) {
          for (let i = 0; i < 40; i++) controller.enqueue(new TextEncoder().encode(`# ${'x'.repeat(65_536)}\n`));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(r.status).toBe(413);
  });
});

describe('shutdown', () => {
  it('lets a request in flight finish, then refuses new connections', async () => {
    const own = await startServer({
      dataDir: data.dataDir,
      archives: ['synthetic'],
      port: 0,
      baseIri: BASE,
      ontologyFiles: [],
      workers: 1,
      queryTimeoutMs: 600,
      log: () => {},
    });
    const slow = fetch(`${own.url}/archives/synthetic/sparql?query=${encodeURIComponent(ENDLESS)}`);
    await new Promise((r) => setTimeout(r, 100));
    const closed = own.close();
    const answer = await slow;
    // The request already running is answered (here by its time limit), not cut off.
    expect(answer.status).toBe(504);
    await closed;
    await expect(fetch(`${own.url}/health`)).rejects.toThrow();
  });

  it('benchgraph serve exits 0 on SIGTERM', async () => {
    // A tiny entry point in the temporary directory (workers inherit the process flags, so no --eval tricks).
    const entry = join(data.dataDir, 'serve-entry.mjs');
    await writeFile(
      entry,
      `import { runServeCommand } from ${JSON.stringify(fileURLToPath(new URL('../src/serve/command.ts', import.meta.url)))};\n` +
        'process.exitCode = await runServeCommand(process.argv.slice(2));\n',
    );
    const child = spawn(
      process.execPath,
      [entry, '--data', data.dataDir, '--port', '0', '--archive', 'demo', '--workers', '1'],
      { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, BENCHGRAPH_BASE: BASE } },
    );
    let stderr = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const m = /at (http:\/\/\S+)\/archives/.exec(stderr);
        if (m) resolve(m[1]);
      });
      child.on('exit', (code) => reject(new Error(`serve exited early with ${code}: ${stderr}`)));
    });
    const r = await get(`${url}/archives/demo/sparql?query=${encodeURIComponent(QUICK)}`, { accept: 'text/csv' });
    expect(r.body).toBe('n\r\n3\r\n');
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(stderr).toContain('benchgraph serve: SIGTERM, finishing requests in flight\nbenchgraph serve: stopped\n');
  }, 30_000);
});
