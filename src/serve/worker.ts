// Query worker thread: loads its own copy of the archive stores, then runs one job at a time for the pool.
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { type ArchiveStore, loadArchiveStore } from '../store/store.ts';
import { type Job, runJob } from './jobs.ts';

/** What the pool hands a new worker. */
export type WorkerInit = { dataDir: string; archives: string[]; ontologyFiles: string[] };

/** Messages from a worker to the pool. */
export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'failed'; message: string }
  | ({ type: 'result'; id: number } & ReturnType<typeof runJob>);

const port = parentPort;
if (port === null)
  throw new Error('src/serve/worker.ts must run as a worker thread (started by the query pool)');
const init = workerData as WorkerInit;
const stores = new Map<string, ArchiveStore>();
const post = (message: WorkerMessage) => port.postMessage(message);

try {
  for (const name of init.archives) {
    stores.set(name, await loadArchiveStore(join(init.dataDir, name), { ontologyFiles: init.ontologyFiles }));
  }
  port.on('message', (message: { id: number; job: Job }) => {
    post({ type: 'result', id: message.id, ...runJob(stores, message.job) });
  });
  post({ type: 'ready' });
} catch (error) {
  post({ type: 'failed', message: (error as Error).message });
}
