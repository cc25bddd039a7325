// Reads a request body as UTF-8 text, refusing more than a set number of bytes before reading them all.
import { badRequest, payloadTooLarge, unsupportedMediaType } from './errors.ts';

/** A Content-Type split into its media type (lower case) and charset parameter. */
export function mediaTypeOf(request: Request): { type: string; charset: string | undefined } {
  const header = request.headers.get('content-type') ?? '';
  const [type, ...params] = header.split(';').map((s) => s.trim());
  const charset = params
    .map((p) => /^charset\s*=\s*"?([^";]+)"?$/i.exec(p)?.[1])
    .find((c) => c !== undefined);
  return { type: type.toLowerCase(), charset: charset?.toLowerCase() };
}

/**
 * The body as text. Declared sizes over `maxBytes` are refused at once; undeclared ones (chunked) are counted as
 * they arrive.
 *
 * @throws HttpError 413 when the body is too large, 415 for a charset other than UTF-8, 400 for invalid UTF-8.
 */
export async function readBody(request: Request, maxBytes: number): Promise<string> {
  const { charset } = mediaTypeOf(request);
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw unsupportedMediaType(`the request body must be UTF-8; charset=${charset} is not supported`);
  }
  const tooLarge = () =>
    payloadTooLarge(`the request body is larger than ${maxBytes} bytes, the most this server accepts`);
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge();
  if (request.body === null) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch (error) {
    throw badRequest(`the request body is not valid UTF-8 (${(error as Error).message})`);
  }
}
