// `benchgraph query --federated`: one federated query from the command line, over the archives of a data directory
// (answered in-process, as `benchgraph serve` would) or the sources of a federation file.
import type { Config } from '../config.ts';
import { FORMATS } from '../serve/conneg.ts';
import { HttpError } from '../serve/errors.ts';
import { federatedSparqlRoute } from '../serve/federation-route.ts';
import { createHandler, type Handler } from '../serve/handler.ts';
import type { SourceWarning } from './client.ts';
import { PlanError, parseQuery } from './plan.ts';

/** Options of {@link runFederatedQuery}. */
export type FederatedQueryOptions = {
  /** A federation file (default: every public archive in `config.dataDir`). */
  federationFile?: string;
  /** Result format: a media type or a short name (json, xml, csv, tsv; turtle, ntriples, ... for CONSTRUCT). */
  format?: string;
  /** Add the plan to JSON results (`federation.plan`). */
  explain?: boolean;
};

/** The answer as the endpoint would send it, with the warnings also as data. */
export type FederatedQueryOutput = { status: number; body: string; mediaType: string; warnings: SourceWarning[] };

/**
 * Runs one federated query. A status other than 200 means the query was refused (400: malformed or unsupported;
 * 422: too many rows; 504: too slow) and `body` says why; source failures are 200 with `warnings`.
 */
export async function runFederatedQuery(config: Config, sparql: string, opts: FederatedQueryOptions = {}): Promise<FederatedQueryOutput> {
  // A malformed query is refused before any archive is loaded.
  try {
    parseQuery(sparql);
  } catch (error) {
    if (!(error instanceof PlanError)) throw error;
    return { status: 400, body: `${error.message}\n`, mediaType: 'text/plain', warnings: [] };
  }
  const handler = await federatingHandler(config, opts.federationFile, (m) => process.stderr.write(`benchgraph query: ${m}\n`));
  try {
    const params = new URLSearchParams({ query: sparql });
    if (opts.format) params.set('format', opts.format);
    if (opts.explain) params.set('explain', 'true');
    const url = new URL(`http://benchgraph.cli/sparql?${params}`);
    let response: Response;
    try {
      response = await federatedSparqlRoute(handler.context, new Request(url), url);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      return { status: error.status, body: `${error.message}\n`, mediaType: 'text/plain', warnings: [] };
    }
    const body = await response.text();
    const mediaType = (response.headers.get('content-type') ?? '').split(';')[0]!;
    const warnings = mediaType === FORMATS.sparqlJson.mediaType ? ((JSON.parse(body) as { federation?: { warnings?: SourceWarning[] } }).federation?.warnings ?? []) : [];
    return { status: response.status, body, mediaType, warnings };
  } finally {
    await handler.close(0);
  }
}

/**
 * The federation as `benchgraph serve [--federation FILE]` runs it, for one command: the archives of
 * `config.dataDir` answered in-process (one query worker), the other sources of the file over HTTP. Close it after.
 *
 * @throws FederationConfigError for a federation file that cannot be read or names an archive not in the directory
 */
export function federatingHandler(config: Config, federationFile: string | undefined, log: (message: string) => void): Promise<Handler> {
  return createHandler({
    dataDir: config.dataDir,
    baseIri: config.baseIri,
    queryTimeoutMs: config.queryTimeoutMs,
    maxResultRows: config.maxResultRows,
    workers: 1,
    ...(federationFile !== undefined ? { federation: federationFile } : {}),
    log,
  });
}
