import { stripFile } from './strip-file';
import type { Task, TaskResult } from './types';
import { verifyFile } from './verify-file';

export function runTask(task: Task): Promise<TaskResult> {
  return task.type === 'verify' ? verifyFile(task) : stripFile(task);
}
