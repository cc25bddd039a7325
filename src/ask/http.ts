// POST /ask: JSON in ({"question": "...", "limit"?: n, "export"?: "csv"|"jsonld"|"rocrate"}), the answer out as
// JSON, CSV, JSON-LD or a zipped RO-Crate; `Accept: application/x-ndjson` streams the stages, then the answer.
import { badRequest, errorResponse, HttpError, type Logger, methodNotAllowed, notAcceptable, unsupportedMediaType } from '../serve/errors.ts';
import { mediaTypeOf, readBody } from '../serve/body.ts';
import type { Asker, AskProgress } from './ask.ts';
import { answerToCsv, answerToJsonLd, dataFilesOf, type ExportFormat, EXPORT_FORMATS, roCrateFiles, zip } from './export.ts';
import { knownLabel } from './link.ts';
import type { Answer } from './types.ts';

export type AskHandlerOptions = {
  /** The ask pipeline, or a function that opens it on first use. */
  asker: Asker | (() => Promise<Asker>);
  /** Longest question accepted, in characters (default 2000). */
  maxQuestion?: number;
  log?: Logger;
};

const MAX_BODY = 64 * 1024;
const MEDIA: Record<ExportFormat | 'json' | 'ndjson', string> = {
  json: 'application/json',
  csv: 'text/csv',
  jsonld: 'application/ld+json',
  rocrate: 'application/zip',
  ndjson: 'application/x-ndjson',
};

/** A `(Request) => Promise<Response>` handler for POST /ask. */
export function createAskHandler(opts: AskHandlerOptions): (request: Request) => Promise<Response> {
  const log = opts.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const maxQuestion = opts.maxQuestion ?? 2000;
  let opened: Promise<Asker> | null = null;
  const asker = () => {
    if (typeof opts.asker !== 'function') return Promise.resolve(opts.asker);
    if (opened === null) {
      const o = opts.asker();
      // An opening that failed is tried again by the next question.
      o.catch(() => {
        if (opened === o) opened = null;
      });
      opened = o;
    }
    return opened;
  };

  return async (request) => {
    try {
      if (request.method !== 'POST') throw methodNotAllowed(request.method, ['POST']);
      const { type } = mediaTypeOf(request);
      if (type !== 'application/json') throw unsupportedMediaType(`send the question as application/json, e.g. {"question": "Which sessions recorded CA1?"}; found '${type || 'no Content-Type'}'`);
      const body = parseBody(await readBody(request, MAX_BODY), maxQuestion);
      const format = body.export ?? formatFromAccept(request.headers.get('accept'));
      const a = await asker();
      if (format === 'ndjson') return stream(a, body, log);
      const answer = await a.ask(body.question, body.limit !== undefined ? { limit: body.limit } : {});
      return await render(a, answer, format);
    } catch (error) {
      return errorResponse(error, log, 'POST /ask');
    }
  };
}

type AskBody = { question: string; limit?: number; export?: ExportFormat };

function parseBody(text: string, maxQuestion: number): AskBody {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw badRequest(`the body is not JSON: ${(error as Error).message}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw badRequest('expected a JSON object with a "question" string');
  const o = raw as Record<string, unknown>;
  if (typeof o.question !== 'string' || o.question.trim() === '') throw badRequest('"question" must be a non-empty string');
  if (o.question.length > maxQuestion) throw new HttpError(413, `"question" is longer than ${maxQuestion} characters`);
  const body: AskBody = { question: o.question };
  if (o.limit !== undefined) {
    if (typeof o.limit !== 'number' || !Number.isInteger(o.limit) || o.limit < 1) throw badRequest('"limit" must be a positive integer');
    body.limit = o.limit;
  }
  if (o.export !== undefined) {
    if (!EXPORT_FORMATS.includes(o.export as ExportFormat)) throw badRequest(`"export" must be one of ${EXPORT_FORMATS.join(', ')}`);
    body.export = o.export as ExportFormat;
  }
  for (const key of Object.keys(o)) if (!['question', 'limit', 'export'].includes(key)) throw badRequest(`unknown field "${key}"; expected question, limit, export`);
  return body;
}

/** The response format from Accept: JSON unless the client prefers CSV, JSON-LD, a zipped crate or NDJSON progress. */
function formatFromAccept(accept: string | null): ExportFormat | 'json' | 'ndjson' {
  if (accept === null || accept.trim() === '') return 'json';
  const ranges = accept.split(',').map((r) => {
    const [type, ...params] = r.trim().split(';');
    const q = Number(/q=([\d.]+)/.exec(params.join(';'))?.[1] ?? '1');
    return { type: type!.trim().toLowerCase(), q };
  });
  let best: { format: ExportFormat | 'json' | 'ndjson'; q: number } | null = null;
  for (const [format, media] of Object.entries(MEDIA) as [ExportFormat | 'json' | 'ndjson', string][]) {
    for (const r of ranges) {
      const fits = r.type === media || r.type === '*/*' || r.type === `${media.split('/')[0]}/*`;
      if (fits && r.q > 0 && (best === null || r.q > best.q || (r.q === best.q && format === 'json'))) best = { format, q: r.q };
    }
  }
  if (best === null) throw notAcceptable(`/ask answers ${Object.values(MEDIA).join(', ')}; none is acceptable for '${accept}'`);
  return best.format;
}

async function render(asker: Asker, answer: Answer, format: ExportFormat | 'json'): Promise<Response> {
  const filename = 'benchgraph-answer';
  switch (format) {
    case 'csv':
      return new Response(answerToCsv(answer), { headers: { 'content-type': 'text/csv; charset=utf-8; header=present', 'content-disposition': `attachment; filename="${filename}.csv"` } });
    case 'jsonld':
      return new Response(`${JSON.stringify(answerToJsonLd(answer), null, 2)}\n`, { headers: { 'content-type': 'application/ld+json' } });
    case 'rocrate': {
      const files = await dataFilesOf(answer, asker.deps.execute, { timeoutMs: asker.deps.timeoutMs });
      const crate = zip(roCrateFiles(answer, { files, label: (iri) => knownLabel(asker.deps, iri) }));
      return new Response(new Uint8Array(crate), { headers: { 'content-type': 'application/zip', 'content-disposition': `attachment; filename="${filename}.crate.zip"` } });
    }
    default:
      return Response.json(answer);
  }
}

/** NDJSON: one line per stage ({"stage": ...}), then {"stage": "answer", "answer": ...}. */
function stream(asker: Asker, body: AskBody, log: Logger): Response {
  const encoder = new TextEncoder();
  const readable = new ReadableStream<Uint8Array>({
    async start(controller) {
      const send = (event: AskProgress | { stage: 'answer'; answer: Answer } | { stage: 'error'; message: string }) => controller.enqueue(encoder.encode(`${JSON.stringify(event)}\n`));
      try {
        const answer = await asker.ask(body.question, { ...(body.limit !== undefined ? { limit: body.limit } : {}), progress: send });
        send({ stage: 'answer', answer });
      } catch (error) {
        log(`internal error while answering POST /ask: ${(error as Error).stack ?? String(error)}`);
        send({ stage: 'error', message: 'internal error; the details are in the server log' });
      }
      controller.close();
    },
  });
  return new Response(readable, { headers: { 'content-type': 'application/x-ndjson' } });
}
