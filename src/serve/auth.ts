// Bearer tokens for private archives: kept only as SHA-256 hashes, compared in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { unauthorized } from './errors.ts';

/** Name of the per-archive token file, `<dataDir>/<archive>/tokens.json`. */
export const TOKEN_FILE = 'tokens.json';

/**
 * Contents of `tokens.json`: the SHA-256 (hex) of each token that may read the archive. The tokens themselves are
 * never stored; hand one to a client and keep only `hashToken(token)` here.
 */
export type TokenFile = { tokens: { sha256: string; label?: string }[] };

/** The hex SHA-256 of a token, as stored in {@link TokenFile}. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * The token hashes of an archive from its `tokens.json` (none when the file is absent).
 * @throws Error naming the file and entry when the file is not a valid {@link TokenFile}.
 */
export async function readTokenHashes(archiveDir: string): Promise<string[]> {
  const path = join(archiveDir, TOKEN_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  let data: TokenFile;
  try {
    data = JSON.parse(text) as TokenFile;
  } catch (error) {
    throw new Error(`${path}: not valid JSON (${(error as Error).message})`, { cause: error });
  }
  if (typeof data !== 'object' || data === null || !Array.isArray(data.tokens)) {
    throw new Error(`${path}: expected {"tokens": [{"sha256": "<64 hex digits>", "label": "..."}]}`);
  }
  return data.tokens.map((entry, i) => checkHash(entry?.sha256, `${path}: tokens[${i}].sha256`));
}

/** Checks a configured hash; returns it in lower case. */
export function checkHash(hash: unknown, where: string): string {
  if (typeof hash !== 'string' || !/^[0-9a-fA-F]{64}$/.test(hash)) {
    throw new Error(
      `${where}: expected the SHA-256 of a token as 64 hex digits, found ${JSON.stringify(hash)}`,
    );
  }
  return hash.toLowerCase();
}

/**
 * Lets the request through if it carries `Authorization: Bearer <token>` whose hash is one of `hashes`.
 * The refusal is the same whether the token is missing or wrong and says nothing about the archive's content.
 *
 * @throws HttpError 401 otherwise.
 */
export function requireToken(request: Request, archive: string, hashes: readonly string[]): void {
  const header = request.headers.get('authorization') ?? '';
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (m) {
    const presented = createHash('sha256').update(m[1], 'utf8').digest();
    // Every hash is compared (no early exit), so timing does not tell which or how many tokens exist.
    let ok = false;
    for (const hash of hashes) ok = timingSafeEqual(presented, Buffer.from(hash, 'hex')) || ok;
    if (ok) return;
  }
  throw unauthorized(
    `archive "${archive}" is private: send "Authorization: Bearer <token>" with a token issued for it`,
  );
}
