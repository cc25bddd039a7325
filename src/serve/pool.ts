// A pool of query worker threads with a bounded queue and per-job time limits that really stop the work.
import { Worker } from 'node:worker_threads';
import type { Job, JobValue } from './jobs.ts';
import type { WorkerInit, WorkerMessage } from './worker.ts';

/** The queue is full (or the pool is shutting down): the caller should answer 503 and have the client retry. */
export class PoolSaturatedError extends Error {
  override name = 'PoolSaturatedError';
}

/** The job ran longer than its time limit; its worker was terminated. */
export class JobTimeoutError extends Error {
  override name = 'JobTimeoutError';
}

/** The client went away while its job was waiting; nobody is left to answer. */
export class JobAbortedError extends Error {
  override name = 'JobAbortedError';
}

/** The job failed inside the worker; `workerErrorName` is the original error's name (e.g. QueryError). */
export class JobFailedError extends Error {
  override name = 'JobFailedError';
  readonly workerErrorName: string;
  readonly workerStack: string | undefined;

  constructor(workerErrorName: string, message: string, workerStack?: string) {
    super(message);
    this.workerErrorName = workerErrorName;
    this.workerStack = workerStack;
  }
}

export type PoolOptions = {
  /** Number of worker threads (each holds its own copy of the stores). */
  size: number;
  /** Most jobs waiting for a worker; beyond that {@link WorkerPool.run} rejects at once. */
  maxQueue: number;
  /** Time limit of a job once a worker runs it; also the longest a job may wait in the queue. */
  timeoutMs: number;
  init: WorkerInit;
  log: (message: string) => void;
};

export type PoolStats = {
  workers: number;
  ready: number;
  busy: number;
  queued: number;
  timeouts: number;
  restarts: number;
  rejected: number;
};

type Pending = {
  id: number;
  job: Job;
  timeoutMs: number;
  resolve: (value: JobValue) => void;
  reject: (error: Error) => void;
  timer?: NodeJS.Timeout;
  signal?: AbortSignal;
  onAbort?: () => void;
};

type Slot = { worker: Worker; ready: boolean; current?: Pending; retired: boolean };

const WORKER_URL = new URL('./worker.ts', import.meta.url);
const RESPAWN_DELAY_MS = 1000;

/** Worker threads that evaluate jobs off the main thread; see {@link PoolOptions}. */
export class WorkerPool {
  #options: PoolOptions;
  #slots: Slot[] = [];
  #queue: Pending[] = [];
  #nextId = 1;
  #closed = false;
  #counters = { timeouts: 0, restarts: 0, rejected: 0 };
  #ready: Promise<void>;

  constructor(options: PoolOptions) {
    if (!Number.isInteger(options.size) || options.size < 1) {
      throw new Error(`query pool: size must be a positive integer, got ${options.size}`);
    }
    this.#options = options;
    const started: Promise<void>[] = [];
    for (let i = 0; i < options.size; i++) started.push(this.#spawn(i, true));
    this.#ready = Promise.all(started).then(() => undefined);
    // Callers await ready(); this keeps an early failure from being reported as unhandled before they do.
    this.#ready.catch(() => undefined);
  }

  /** Resolves once every initial worker has loaded its stores; rejects with the first load error. */
  ready(): Promise<void> {
    return this.#ready;
  }

  /**
   * Runs a job on the next free worker.
   * @throws PoolSaturatedError when the queue is full, the pool is closed, or the job waited longer than its limit.
   * @throws JobTimeoutError when the job ran longer than its limit (the worker is replaced).
   * @throws JobFailedError when the job failed in the worker.
   */
  run(job: Job, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<JobValue> {
    if (this.#closed) return Promise.reject(new PoolSaturatedError('the server is shutting down'));
    if (this.#queue.length >= this.#options.maxQueue) {
      this.#counters.rejected++;
      return Promise.reject(
        new PoolSaturatedError(
          `the server is busy (${this.#queue.length} queries waiting for ${this.#slots.length} workers); retry shortly`,
        ),
      );
    }
    return new Promise<JobValue>((resolve, reject) => {
      const pending: Pending = {
        id: this.#nextId++,
        job,
        timeoutMs: opts.timeoutMs ?? this.#options.timeoutMs,
        resolve,
        reject,
        signal: opts.signal,
      };
      if (opts.signal) {
        if (opts.signal.aborted) return reject(new JobAbortedError('the request was aborted'));
        // A client that went away while queued gives its place up; a running job finishes (or times out).
        pending.onAbort = () => {
          const i = this.#queue.indexOf(pending);
          if (i === -1) return;
          this.#queue.splice(i, 1);
          clearTimeout(pending.timer);
          reject(new JobAbortedError('the request was aborted'));
        };
        opts.signal.addEventListener('abort', pending.onAbort, { once: true });
      }
      this.#queue.push(pending);
      this.#dispatch();
      if (!this.#queue.includes(pending)) return;
      // Still waiting: a job may not wait longer than it may run.
      pending.timer = setTimeout(() => {
        const i = this.#queue.indexOf(pending);
        if (i === -1) return;
        this.#queue.splice(i, 1);
        this.#counters.rejected++;
        this.#settle(pending);
        reject(new PoolSaturatedError(`no worker was free within ${pending.timeoutMs} ms; retry shortly`));
      }, pending.timeoutMs);
    });
  }

  stats(): PoolStats {
    const live = this.#slots.filter((s) => !s.retired);
    return {
      workers: live.length,
      ready: live.filter((s) => s.ready).length,
      busy: live.filter((s) => s.current).length,
      queued: this.#queue.length,
      ...this.#counters,
    };
  }

  /** Stops taking jobs, lets running jobs finish (up to `graceMs`), then terminates the workers. */
  async close(graceMs = 5000): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const pending of this.#queue.splice(0)) {
      this.#settle(pending);
      pending.reject(new PoolSaturatedError('the server is shutting down'));
    }
    const deadline = Date.now() + graceMs;
    while (this.#slots.some((s) => s.current) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    await Promise.all(
      this.#slots.map((slot) => {
        slot.retired = true;
        if (slot.current) {
          this.#settle(slot.current);
          slot.current.reject(new PoolSaturatedError('the server is shutting down'));
          slot.current = undefined;
        }
        return slot.worker.terminate();
      }),
    );
  }

  // Starts the worker of slot `index`; the promise settles when it has loaded its stores (or failed to).
  #spawn(index: number, initial: boolean): Promise<void> {
    const worker = new Worker(WORKER_URL, { workerData: this.#options.init });
    const slot: Slot = { worker, ready: false, retired: false };
    this.#slots[index] = slot;
    return new Promise<void>((resolve, reject) => {
      worker.on('message', (message: WorkerMessage) => {
        if (message.type === 'ready') {
          slot.ready = true;
          resolve();
          this.#dispatch();
        } else if (message.type === 'failed') {
          const error = new Error(`query worker could not load the archives: ${message.message}`);
          reject(error);
          this.#retire(slot, index, initial ? undefined : error);
        } else {
          this.#finish(slot, message);
        }
      });
      worker.on('error', (error) => {
        // An uncaught error inside the worker: fail its job and replace it.
        reject(error);
        this.#options.log(`query worker ${index} crashed: ${error.stack ?? error.message}`);
        if (slot.current) {
          const pending = slot.current;
          slot.current = undefined;
          this.#settle(pending);
          pending.reject(new JobFailedError('WorkerCrash', 'the query worker crashed', error.stack));
        }
      });
      worker.on('exit', (code) => {
        if (slot.retired || this.#closed) return;
        reject(new Error(`query worker ${index} exited with code ${code} before it was ready`));
        this.#retire(slot, index, new Error(`query worker ${index} exited with code ${code}`));
      });
    });
  }

  // Takes a slot out of service and, unless the pool is closing or starting up, puts a new worker in its place.
  #retire(slot: Slot, index: number, reason: Error | undefined): void {
    if (slot.retired) return;
    slot.retired = true;
    slot.ready = false;
    void slot.worker.terminate();
    if (this.#closed || reason === undefined) return;
    this.#counters.restarts++;
    const delay = /could not load|exited/.test(reason.message) ? RESPAWN_DELAY_MS : 0;
    setTimeout(() => {
      if (this.#closed || this.#slots[index] !== slot) return;
      this.#spawn(index, false).catch((error: Error) => this.#options.log(error.message));
    }, delay).unref();
  }

  #dispatch(): void {
    for (const slot of this.#slots) {
      if (this.#queue.length === 0) return;
      if (!slot.ready || slot.retired || slot.current) continue;
      const pending = this.#queue.shift()!;
      clearTimeout(pending.timer);
      slot.current = pending;
      pending.timer = setTimeout(() => this.#timeout(slot), pending.timeoutMs);
      slot.worker.postMessage({ id: pending.id, job: pending.job });
    }
  }

  #timeout(slot: Slot): void {
    const pending = slot.current;
    if (!pending) return;
    slot.current = undefined;
    this.#counters.timeouts++;
    this.#settle(pending);
    pending.reject(
      new JobTimeoutError(`the query did not finish within ${pending.timeoutMs} ms and was stopped`),
    );
    // oxigraph cannot be interrupted: the only way to stop the evaluation is to end the thread running it.
    this.#retire(slot, this.#slots.indexOf(slot), new Error('timeout'));
  }

  #finish(slot: Slot, message: Extract<WorkerMessage, { type: 'result' }>): void {
    const pending = slot.current;
    if (!pending || pending.id !== message.id) return;
    slot.current = undefined;
    this.#settle(pending);
    if (message.ok) pending.resolve(message.value);
    else pending.reject(new JobFailedError(message.error.name, message.error.message, message.error.stack));
    this.#dispatch();
  }

  #settle(pending: Pending): void {
    clearTimeout(pending.timer);
    if (pending.onAbort) pending.signal?.removeEventListener('abort', pending.onAbort);
  }
}
