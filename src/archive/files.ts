// Durable file operations for archives: write-fsync-rename, directory fsync, and the single-writer lock.
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';

/** Prefix of every temporary file the archive creates; anything carrying it is garbage once no writer holds the lock. */
export const TEMP_PREFIX = '.tmp-';

/** A short random token for file names that must never collide with an existing or a crashed writer's file. */
export function uniqueToken(): string {
  return randomBytes(4).toString('hex');
}

/**
 * Writes `data` to `path` so that `path` either does not exist or holds all of `data`, even across a crash:
 * temp file in the same directory, fsync, rename. The directory itself is not fsynced here (callers fsync each
 * directory once per batch instead of once per file).
 */
export async function writeFileDurably(path: string, data: string | Uint8Array): Promise<void> {
  const temp = join(dirname(path), `${TEMP_PREFIX}${uniqueToken()}`);
  try {
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    // Remove the partial temp file now; if even that fails, say so (the next open deletes it anyway).
    const cleanup = await rm(temp, { force: true }).then(
      () => undefined,
      (e: Error) => e,
    );
    if (cleanup === undefined) throw error;
    throw new Error(`${(error as Error).message} (and removing ${temp} failed: ${cleanup.message})`, {
      cause: error,
    });
  }
}

/** A file written in pieces that appears under its name only once complete and durable; see {@link createDurableFile}. */
export type DurableFile = {
  /** Bytes appended so far. */
  readonly size: number;
  /** Appends `data` (callers await each append before the next); resolves to the offset at which it starts. */
  append(data: Uint8Array): Promise<number>;
  /** Writes what is buffered, fsyncs, closes and renames the temp file to its path (the directory is not fsynced). */
  commit(): Promise<void>;
  /** Closes and deletes the temp file, e.g. after a failed append or commit. */
  abort(): Promise<void>;
};

// Appends are gathered up to this size before a write call: one call per record would mean thousands per batch.
const FLUSH_BYTES = 1 << 20;

/**
 * Starts writing `path` the way {@link writeFileDurably} writes a whole file (temp file in the same directory, fsync,
 * rename), for content produced piece by piece: until `commit` only a temp file exists, so a crash leaves `path`
 * untouched.
 */
export async function createDurableFile(path: string): Promise<DurableFile> {
  const temp = join(dirname(path), `${TEMP_PREFIX}${uniqueToken()}`);
  const handle = await open(temp, 'wx');
  let isOpen = true;
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let size = 0;
  const flush = async () => {
    if (pendingBytes === 0) return;
    const chunk = pending.length === 1 ? pending[0] : Buffer.concat(pending);
    pending = [];
    pendingBytes = 0;
    let written = 0;
    while (written < chunk.length) {
      const { bytesWritten } = await handle.write(chunk, written, chunk.length - written);
      written += bytesWritten;
    }
  };
  const close = async () => {
    if (!isOpen) return;
    isOpen = false;
    await handle.close();
  };
  return {
    get size() {
      return size;
    },
    async append(data) {
      const offset = size;
      size += data.length;
      pending.push(data);
      pendingBytes += data.length;
      if (pendingBytes >= FLUSH_BYTES) await flush();
      return offset;
    },
    async commit() {
      await flush();
      await handle.sync();
      await close();
      await rename(temp, path);
    },
    async abort() {
      // Delete the temp file even if closing fails, then report the first failure.
      const closing = await close().then(
        () => undefined,
        (e: Error) => e,
      );
      await rm(temp, { force: true });
      if (closing) throw closing;
    },
  };
}

/** Makes renames and deletions inside `dir` durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

const LOCK_FILE = '.lock';

type LockOwner = { pid: number; host: string; since: string };

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else, so it is alive.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// Reads the lock's owner; null while the owner is still writing it (or crashed doing so), 'gone' if it vanished.
async function readOwner(lockPath: string): Promise<LockOwner | null | 'gone'> {
  let text: string;
  try {
    text = await readFile(lockPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw error;
  }
  try {
    return JSON.parse(text) as LockOwner;
  } catch (error) {
    if (error instanceof SyntaxError) return null;
    throw error;
  }
}

async function ageMs(path: string): Promise<number> {
  try {
    return Date.now() - (await stat(path)).mtimeMs;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}

/**
 * Takes the archive's cross-process write lock (`.lock`, created exclusively, holding pid and host), or returns the
 * live owner holding it. A lock left by a dead process on this host (a crashed writer) is taken over. Two writers
 * taking over the same stale lock at the same instant could both succeed: Node has no flock, and that case needs
 * a crash followed by two simultaneous writers.
 */
async function tryLock(dir: string): Promise<{ release: () => Promise<void> } | { owner: LockOwner }> {
  const lockPath = join(dir, LOCK_FILE);
  const me: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 200; attempt++) {
    try {
      const handle = await open(lockPath, 'wx');
      try {
        await handle.writeFile(JSON.stringify(me));
        await handle.sync();
      } finally {
        await handle.close();
      }
      return { release: () => unlink(lockPath) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = await readOwner(lockPath);
    if (owner === 'gone') continue;
    if (owner === null) {
      // Being written right now, or its writer died between creating and writing it (then it stays empty).
      if ((await ageMs(lockPath)) > STALE_EMPTY_LOCK_MS) await rm(lockPath, { force: true });
      else await sleep(10);
      continue;
    }
    if (owner.host !== me.host || isAlive(owner.pid)) return { owner };
    await rm(lockPath, { force: true });
  }
  throw new Error(`could not take the lock ${lockPath}: it keeps changing hands`);
}

const STALE_EMPTY_LOCK_MS = 2000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Writers in this process queue here, so two Archive objects on one directory never race for the file lock.
const queues = new Map<string, Promise<void>>();

/**
 * Runs `fn` holding the archive's write lock (in-process queue + cross-process lock file).
 * With `ifFree`, returns undefined instead of throwing when another live process holds the lock.
 *
 * @throws Error naming the process that holds the lock.
 */
export async function withArchiveLock<T>(
  dir: string,
  fn: () => Promise<T>,
  opts: { ifFree?: boolean } = {},
): Promise<T | undefined> {
  const previous = queues.get(dir) ?? Promise.resolve();
  let done!: () => void;
  const gate = new Promise<void>((resolve) => {
    done = resolve;
  });
  const mine = previous.then(() => gate);
  queues.set(dir, mine);
  await previous;
  try {
    const lock = await tryLock(dir);
    if ('owner' in lock) {
      if (opts.ifFree) return undefined;
      throw new Error(
        `archive ${dir} is being written by process ${lock.owner.pid} on ${lock.owner.host} ` +
          `(since ${lock.owner.since}); retry when it has finished`,
      );
    }
    try {
      return await fn();
    } finally {
      await lock.release();
    }
  } finally {
    done();
    if (queues.get(dir) === mine) queues.delete(dir);
  }
}
