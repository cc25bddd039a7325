// The one place that maps expected failures to HTTP statuses; anything unexpected is logged and answered 500.
import { JobAbortedError, JobFailedError, JobTimeoutError, PoolSaturatedError } from './pool.ts';

/** A failure whose HTTP status and client-facing message are known. */
export class HttpError extends Error {
  override name = 'HttpError';
  readonly status: number;
  readonly headers: Record<string, string>;

  constructor(status: number, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.headers = headers;
  }
}

export const badRequest = (message: string) => new HttpError(400, message);

/** 401 with the challenge a bearer-token client expects (RFC 6750). */
export const unauthorized = (message: string) =>
  new HttpError(401, message, { 'www-authenticate': 'Bearer realm="benchgraph"' });

export const forbidden = (message: string) => new HttpError(403, message);
export const notFound = (message: string) => new HttpError(404, message);

export const methodNotAllowed = (method: string, allowed: string[]) =>
  new HttpError(405, `method ${method} is not allowed here; use ${allowed.join(' or ')}`, {
    allow: allowed.join(', '),
  });

export const notAcceptable = (message: string) => new HttpError(406, message);
export const payloadTooLarge = (message: string) => new HttpError(413, message);
export const unsupportedMediaType = (message: string) => new HttpError(415, message);

/** The query ran but its result is larger than the server hands out in one response. */
export const resultTooLarge = (message: string) => new HttpError(422, message);

/** The server is at capacity: the client should come back later (Retry-After in seconds). */
export const saturated = (message: string, retryAfterSeconds: number) =>
  new HttpError(503, message, { 'retry-after': String(retryAfterSeconds) });

/** The query did not finish within the server's time limit (its evaluation was stopped). */
export const queryTimeout = (message: string) => new HttpError(504, message);

export type Logger = (message: string) => void;

/**
 * The response for a failed request: an {@link HttpError} keeps its status, headers and message (plain text);
 * anything else is logged with its stack and answered 500 with a generic message, so no internals leak.
 */
export function errorResponse(error: unknown, log: Logger, where: string): Response {
  const known = httpErrorOf(error);
  if (known) {
    return new Response(`${known.message}\n`, {
      status: known.status,
      headers: { 'content-type': 'text/plain; charset=utf-8', ...known.headers },
    });
  }
  const detail =
    error instanceof JobFailedError
      ? `${error.workerErrorName}: ${error.message}\n${error.workerStack ?? ''}`
      : error instanceof Error
        ? (error.stack ?? error.message)
        : String(error);
  log(`internal error while serving ${where}: ${detail}`);
  return new Response('internal server error; the details are in the server log\n', {
    status: 500,
    headers: { 'content-type': 'text/plain; charset=utf-8' },
  });
}

// Domain errors of the query pool and the store, as HTTP errors; undefined for the unexpected.
function httpErrorOf(error: unknown): HttpError | undefined {
  if (error instanceof HttpError) return error;
  if (error instanceof PoolSaturatedError) return saturated(error.message, 1);
  if (error instanceof JobTimeoutError) return queryTimeout(error.message);
  // The client is gone; the status is only seen by the metrics.
  if (error instanceof JobAbortedError) return new HttpError(499, error.message);
  if (error instanceof JobFailedError) {
    // The store's QueryError: the engine refused the query (syntax, unsupported feature) -- the client's to fix.
    if (error.workerErrorName === 'QueryError') return badRequest(error.message);
    if (error.workerErrorName === 'ResultTooLargeError') return resultTooLarge(error.message);
  }
  return undefined;
}
