// The HTTP server: a small node:http adapter around the fetch-style handler, with graceful shutdown.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { createHandler, type Handler, type ServeOptions } from './handler.ts';

/** Options of {@link startServer}: the handler's options plus where to listen. */
export type StartOptions = ServeOptions & {
  /** Port to listen on; 0 picks a free one (default 8080). */
  port?: number;
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** How long {@link RunningServer.close} waits for requests in flight before cutting connections (default 10 s). */
  shutdownGraceMs?: number;
};

/** A listening server. */
export type RunningServer = {
  /** Where it listens, e.g. `http://127.0.0.1:41234` (no trailing slash). */
  url: string;
  /** Stops accepting connections, lets requests in flight finish (up to the grace period), stops the workers. */
  close(): Promise<void>;
  readonly handler: Handler;
};

/** Loads the archives, starts the query workers and listens; resolves once requests can be answered. */
export async function startServer(options: StartOptions): Promise<RunningServer> {
  const handler = await createHandler(options);
  const log = handler.context.log;
  let inFlight = 0;
  const server = createServer((req, res) => {
    inFlight++;
    res.once('close', () => inFlight--);
    serve(handler, req, res).catch((error: Error) => {
      log(`could not answer ${req.method} ${req.url}: ${error.stack ?? error.message}`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end();
    });
  });
  const host = options.host ?? '127.0.0.1';
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      // A deep accept backlog lets bursts of connections wait for the event loop instead of being refused.
      server.listen({ port: options.port ?? 8080, host, backlog: 4096 }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await handler.close(0);
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const grace = options.shutdownGraceMs ?? 10_000;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const deadline = Date.now() + grace;
      while (inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      server.closeAllConnections();
      await stopped;
      await handler.close(Math.max(0, deadline - Date.now()));
    })();
    return closing;
  };
  return { url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`, close, handler };
}

// Node request -> fetch Request -> handler -> node response. The handler's bodies are small strings, so the
// response is sent in one piece with a Content-Length.
async function serve(handler: Handler, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const controller = new AbortController();
  // A client that disconnects before its answer gives up its place in the query queue.
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  let request: Request;
  try {
    const headers = new Headers();
    for (const [key, value] of Object.entries(req.headers)) {
      if (Array.isArray(value)) for (const v of value) headers.append(key, v);
      else if (value !== undefined) headers.set(key, value);
    }
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    request = new Request(`http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`, {
      method: req.method,
      headers,
      signal: controller.signal,
      ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: 'half' } : {}),
    } as RequestInit);
  } catch (error) {
    res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(`malformed request: ${(error as Error).message}\n`);
    return;
  }
  const response = await handler(request);
  const body = response.body === null ? undefined : Buffer.from(await response.arrayBuffer());
  res.statusCode = response.status;
  for (const [key, value] of response.headers) res.setHeader(key, value);
  if (body !== undefined) res.setHeader('content-length', body.length);
  res.end(body);
}
