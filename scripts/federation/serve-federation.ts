// A federating server: `benchgraph serve` over DATA_DIR plus the federated endpoint /sparql configured by a
// federation file. Used by .ci/federation-up.sh while `benchgraph serve` has no --federation option.
// usage: node scripts/federation/serve-federation.ts --data DIR --federation FILE --port N [--host 127.0.0.1]
import { createServer } from 'node:http';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { federationFor, federatedSparqlRoute } from '../../src/serve/federation-route.ts';
import { errorResponse } from '../../src/serve/errors.ts';
import { createHandler } from '../../src/serve/handler.ts';

const { values } = parseArgs({ options: { data: { type: 'string' }, federation: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' } } });
if (!values.data || !values.federation || !values.port) {
  process.stderr.write('usage: node scripts/federation/serve-federation.ts --data DIR --federation FILE --port N [--host 127.0.0.1]\n');
  process.exit(2);
}
const handler = await createHandler({ dataDir: values.data, workers: 1 });
const ctx = handler.context;
// Fails here, at start, on a bad federation file.
await federationFor(ctx, values.federation);
const host = values.host ?? '127.0.0.1';
const server = createServer(async (req, res) => {
  const controller = new AbortController();
  res.once('close', () => controller.abort());
  const url = new URL(`http://${req.headers.host ?? host}${req.url ?? '/'}`);
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  const request = new Request(url, { method: req.method, headers, signal: controller.signal, ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream, duplex: 'half' } : {}) } as RequestInit);
  let response: Response;
  try {
    response = url.pathname === '/sparql' ? await federatedSparqlRoute(ctx, request, url, values.federation) : await handler(request);
  } catch (error) {
    response = errorResponse(error, ctx.log, `${req.method} ${url.pathname}`);
  }
  res.statusCode = response.status;
  for (const [k, v] of response.headers) res.appendHeader(k, v);
  res.end(Buffer.from(await response.arrayBuffer()));
});
server.listen(Number(values.port), host, () => process.stderr.write(`serve-federation: /sparql at http://${host}:${values.port}/sparql\n`));
const stop = () => server.close(() => void handler.close(0).then(() => process.exit(0)));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
