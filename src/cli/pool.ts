import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { runTask } from './tasks/run-task';
import type { Task, TaskResult } from './tasks/types';

/** Below this many files a worker's start-up costs more than it saves. */
const MIN_FILES_FOR_WORKERS = 8;

export interface PoolOptions {
  jobs?: number;
  onResult?: (done: number, total: number) => void;
}

/**
 * Runs tasks across worker threads (one per core by default), keeping results in input order.
 * Each worker holds one file at a time, so memory stays at about `jobs` files whatever the batch
 * size. Falls back to the main thread for small batches or when no compiled worker exists.
 */
export async function runTasks(tasks: readonly Task[], options: PoolOptions = {}): Promise<TaskResult[]> {
  const results: TaskResult[] = new Array(tasks.length);
  const workerFile = path.join(__dirname, 'worker.js');
  const jobs = Math.max(1, Math.min(options.jobs ?? availableParallelism(), tasks.length));
  let done = 0;
  const finished = (i: number, r: TaskResult) => {
    results[i] = r;
    done += 1;
    options.onResult?.(done, tasks.length);
  };

  if (jobs === 1 || tasks.length < MIN_FILES_FOR_WORKERS || !existsSync(workerFile)) {
    let next = 0;
    const lane = async () => {
      while (next < tasks.length) {
        const i = next++;
        finished(i, await runTask(tasks[i]!));
      }
    };
    await Promise.all(Array.from({ length: Math.min(jobs, 4) }, lane));
    return results;
  }

  let next = 0;
  await Promise.all(
    Array.from({ length: jobs }, () => new Promise<void>((resolve, reject) => {
      const worker = new Worker(workerFile);
      let current = -1;
      let inFlight = 0;
      const feed = () => {
        if (next >= tasks.length) {
          if (inFlight === 0) void worker.terminate().then(() => resolve());
          return;
        }
        inFlight++;
        current = next++;
        worker.postMessage({ id: current, task: tasks[current] });
      };
      worker.on('message', (m: { id: number; result?: TaskResult; crash?: string }) => {
        if (m.crash !== undefined) {
          reject(new Error(`internal error on ${describe(tasks[m.id]!)}: ${m.crash}`));
          void worker.terminate();
          return;
        }
        inFlight--;
        finished(m.id, m.result!);
        feed();
      });
      worker.on('error', (e) => reject(new Error(`worker failed on ${current >= 0 ? describe(tasks[current]!) : 'start'}: ${e.message}`)));
      // Two tasks in flight per worker: the next file is already queued when one finishes.
      feed();
      feed();
    })),
  );
  return results;
}

function describe(task: Task): string {
  return task.file.path;
}
