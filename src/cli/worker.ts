import { parentPort } from 'node:worker_threads';
import { installNativeByteSearch } from './native-bytes';
import { runTask } from './tasks/run-task';
import type { Task } from './tasks/types';

installNativeByteSearch();

/** Worker-thread entry: one task at a time, answered with the same id. */
parentPort?.on('message', (message: { id: number; task: Task }) => {
  runTask(message.task).then(
    (result) => parentPort?.postMessage({ id: message.id, result }),
    (error: unknown) => parentPort?.postMessage({ id: message.id, crash: error instanceof Error ? error.stack ?? error.message : String(error) }),
  );
});
