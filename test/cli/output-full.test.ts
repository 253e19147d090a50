import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO, SAMPLE } from '../helpers/paths';

// `deid verify ... --jsonl > results/shard-3.jsonl` on a disk that fills up (or a quota, or an
// I/O error): the results cannot be written. That is not "findings" (exit 1, which is what an
// unhandled ENOSPC stack trace exited with); it is a run whose results were lost: exit 2 and
// one line saying so, as for a closed pipe. /dev/full answers every write with ENOSPC.
function runTo(out: number, args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [path.join(REPO, 'bin', 'deid.js'), ...args], { stdio: ['ignore', out, 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

const full = fs.existsSync('/dev/full') ? test : test.skip;

full('results that cannot be written (ENOSPC on stdout) end verify and strip with exit 2 and one line, not a stack trace with exit 1', async () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-full-'));
  try {
    const fd = fs.openSync('/dev/full', 'w');
    try {
      const v = await runTo(fd, ['verify', '--jsonl', SAMPLE, SAMPLE]);
      expect(v.stderr).toMatch(/^deid: stopped: cannot write the results \(ENOSPC/m);
      expect(v.stderr).not.toMatch(/\n\s+at |Unhandled|throw e/);
      expect(v.code).toBe(2);
      const out = path.join(work, 'out');
      const s = await runTo(fd, ['strip', SAMPLE, '--out', out]);
      expect(s.stderr).toMatch(/^deid: stopped: cannot write the results \(ENOSPC/m);
      expect(s.stderr).not.toMatch(/\n\s+at |Unhandled|throw e/);
      expect(s.code).toBe(2);
      // What was committed stays, and nothing staged is left behind.
      expect(fs.readdirSync(out).filter((n) => n.startsWith('.'))).toEqual([]);
      const summary = await runTo(fd, ['summarize', path.join(work, 'none.jsonl')]);
      expect(summary.code).toBe(2);
    } finally {
      fs.closeSync(fd);
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}, 60_000);
