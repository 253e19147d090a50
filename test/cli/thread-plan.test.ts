import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_POLICY } from '../../src/core/policy/policy';
import type * as PoolModule from '../../src/cli/pool';
import type { Task, TaskResult, VerifyFileResult } from '../../src/cli/tasks/types';
import { defaultWorkers, spareWorkers, taskCostMs, WORK_PER_WORKER_MS, type ThreadPlan } from '../../src/cli/thread-plan';
import { REPO, SAMPLE } from '../helpers/paths';

// The compiled pool (npm test builds it first): only there does worker.js sit beside pool.js,
// so only there can the default start workers at all.
const { runPipeline } = require(path.join(REPO, 'build', 'cli', 'pool.js')) as typeof PoolModule;

const MB = 1024 * 1024;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-plan-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function estimate(files: number, bytesEach: number): number {
  return files * taskCostMs(bytesEach);
}

describe('the default thread rule (estimated work and idle cores, never the load average)', () => {
  test('the bench batch (408 camera JPEGs, 85 MB) is too small for a worker on any machine', () => {
    const work = estimate(408, (85 * MB) / 408);
    expect(work).toBeLessThan(WORK_PER_WORKER_MS);
    for (const cores of [1, 2, 4, 64]) expect(defaultWorkers(work, cores)).toBe(0);
  });

  test('one core never gets a worker; a large batch gets at most one per other core, and no more than the work repays', () => {
    expect(defaultWorkers(1e9, 1)).toBe(0);
    expect(defaultWorkers(estimate(100_000, 513), 2)).toBe(1);
    expect(defaultWorkers(estimate(1632, (330 * MB) / 1632), 2)).toBe(1);
    expect(defaultWorkers(estimate(100_000, 513), 64)).toBeLessThan(63);
    expect(defaultWorkers(3.5 * WORK_PER_WORKER_MS, 64)).toBe(3);
  });

  test('a core counts as free when it was idle at least three quarters of the time', () => {
    expect(spareWorkers(0)).toBe(0);
    expect(spareWorkers(0.6)).toBe(0);
    expect(spareWorkers(0.8)).toBe(1);
    expect(spareWorkers(1.9)).toBe(2);
  });
});

function verifyTask(file: string, i: number): Task {
  return { type: 'verify', file: { path: file, rel: `f${i}.jpg`, explicit: false }, requireSidecar: false, policy: DEFAULT_POLICY };
}

async function* tasksOf(list: Task[]): AsyncGenerator<Task> {
  yield* list;
}

async function run(list: Task[], options: Partial<PoolModule.PoolOptions>): Promise<{ results: TaskResult[]; plans: ThreadPlan[] }> {
  const results: TaskResult[] = [];
  const plans: ThreadPlan[] = [];
  const n = await runPipeline(tasksOf(list), { ...options, onResult: (r, i) => (results[i] = r), onPlan: (p) => plans.push(p) });
  expect(n).toBe(list.length);
  return { results, plans };
}

/** Idle counters for a machine whose other cores are busy, or free. */
const busy = () => 0;
const oneFreeCore = () => Date.now();

describe('runPipeline by default', () => {
  test('a small batch runs in this thread, as --jobs 1, with the same results, without looking at idle cores', async () => {
    const list = Array.from({ length: 60 }, (_, i) => verifyTask(SAMPLE, i));
    let looked = 0;
    const chosen = await run(list, { machine: { cores: 2, probeMs: 0, idleMs: () => ++looked } });
    expect(chosen.plans).toEqual([{ workers: 0, estimatedMs: expect.any(Number), spareCores: null }]);
    expect(looked).toBe(0);
    const one = await run(list, { jobs: 1 });
    expect(one.plans).toEqual([]);
    expect(chosen.results).toEqual(one.results);
    expect((one.results[0] as VerifyFileResult).findings.length).toBeGreaterThan(0);
  });

  // Enough small files that the work ahead repays one worker on 2 cores (about 1 s estimated).
  const many = Math.ceil(WORK_PER_WORKER_MS / taskCostMs(600)) + 200;
  const smallFile = path.join(tmp, 'small.jpg');

  test('a large batch on a machine whose other cores are busy still runs as --jobs 1', async () => {
    fs.writeFileSync(smallFile, fs.readFileSync(SAMPLE).subarray(0, 600));
    const list = Array.from({ length: many }, (_, i) => verifyTask(smallFile, i));
    const { plans, results } = await run(list, { machine: { cores: 2, probeMs: 20, idleMs: busy } });
    expect(plans).toEqual([{ workers: 0, estimatedMs: expect.any(Number), spareCores: 0 }]);
    expect(results.every((r) => (r as VerifyFileResult).path === smallFile)).toBe(true);
  });

  test('a large batch with a free core gets a worker, and every result still comes back in input order', async () => {
    const list = Array.from({ length: many }, (_, i) => verifyTask(i % 2 === 0 ? SAMPLE : path.join(tmp, `missing-${i}.jpg`), i));
    const { plans, results } = await run(list, { machine: { cores: 2, probeMs: 20, idleMs: oneFreeCore } });
    expect(plans).toHaveLength(1);
    expect(plans[0].workers).toBe(1);
    expect(plans[0].spareCores).toBeGreaterThan(0.75);
    results.forEach((r, i) => {
      const v = r as VerifyFileResult;
      if (i % 2 === 0) expect(v.findings.length).toBeGreaterThan(0);
      else expect(v.error).toMatch(/cannot read/);
    });
  }, 60_000);
});
