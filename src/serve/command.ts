// `benchgraph serve`: serves the archives of a data directory until SIGTERM or SIGINT.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.ts';
import { prepareAsk } from './ask-route.ts';
import { startServer } from './server.ts';

const USAGE = `usage: benchgraph serve [--data DIR] [--port 8080] [--host 127.0.0.1] [--archive NAME]... [--base IRI]
                       [--timeout MS] [--max-rows N] [--workers N] [--federation FILE]

  --federation FILE   sources of the federated endpoint /sparql (YAML, see examples/federation.yaml);
                      without it /sparql federates every public archive served here`;

/**
 * Runs the server; resolves with the exit code once a signal has shut it down (0), or at once on bad arguments
 * (2) or a failed start (1).
 */
export async function runServeCommand(argv: string[]): Promise<number> {
  let values: Record<string, string | string[] | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        data: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        archive: { type: 'string', multiple: true },
        base: { type: 'string' },
        timeout: { type: 'string' },
        'max-rows': { type: 'string' },
        workers: { type: 'string' },
        federation: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    process.stderr.write(`benchgraph serve: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let config: ReturnType<typeof loadConfig>;
  let workers: number | undefined;
  try {
    const { archive: _archives, workers: workerFlag, federation: _federation, ...flags } = values;
    config = loadConfig(flags as Record<string, string | boolean | undefined>);
    if (workerFlag !== undefined) {
      workers = Number(workerFlag);
      if (!Number.isInteger(workers) || workers < 1)
        throw new ConfigError(`--workers must be a positive integer, found '${workerFlag}'`);
    }
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`benchgraph serve: ${error.message}\n`);
    return 2;
  }
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer({
      dataDir: config.dataDir,
      port: config.port,
      host: config.host,
      baseIri: config.baseIri,
      queryTimeoutMs: config.queryTimeoutMs,
      maxResultRows: config.maxResultRows,
      ...(values.archive ? { archives: values.archive as string[] } : {}),
      ...(workers ? { workers } : {}),
      ...(typeof values.federation === 'string' ? { federation: values.federation } : {}),
    });
  } catch (error) {
    process.stderr.write(`benchgraph serve: could not start: ${(error as Error).message}\n`);
    return 1;
  }
  // The ask pipeline reads the schema and catalogue through the federation in the background, so the first
  // question is answered at once; a failure here is logged and retried by that question.
  void prepareAsk(server.handler.context).catch((error: Error) =>
    process.stderr.write(`benchgraph serve: could not prepare POST /ask yet: ${error.message}\n`),
  );
  const names = [...server.handler.context.archives.keys()];
  process.stderr.write(
    `benchgraph serve: ${names.length} archive(s) (${names.join(', ') || 'none'}) at ${server.url}/archives ` +
      `with ${server.handler.context.pool.stats().workers} query workers; record IRIs under ${config.baseIri}id/\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      process.stderr.write(`benchgraph serve: ${signal}, finishing requests in flight\n`);
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      resolve();
    };
    const onTerm = () => stop('SIGTERM');
    const onInt = () => stop('SIGINT');
    process.once('SIGTERM', onTerm);
    process.once('SIGINT', onInt);
  });
  await server.close();
  process.stderr.write('benchgraph serve: stopped\n');
  return 0;
}
