import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SAMPLE } from '../helpers/paths';
import { deid } from './run';

// A camera card or an old Windows share can hold names in Latin-1 (`Patient_M\xfcller.jpg`): bytes
// that are not UTF-8. Node decodes them to U+FFFD, so the name read from the folder (or from a
// --files-from list) opens nothing: the file was refused as "ENOENT: no such file or directory",
// which tells the person the photo is not there when it is, and two such names looked alike.
const linux = process.platform === 'linux' ? test : test.skip;

linux('a file whose name is not UTF-8 is named as such (not "no such file"), in a folder and in a --files-from list', async () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-latin1-'));
  try {
    const dir = path.join(work, 'card');
    fs.mkdirSync(dir);
    const bytes = fs.readFileSync(SAMPLE);
    fs.writeFileSync(Buffer.concat([Buffer.from(`${dir}/M`), Buffer.from([0xfc]), Buffer.from('ller.jpg')]), bytes);
    fs.writeFileSync(Buffer.concat([Buffer.from(`${dir}/M`), Buffer.from([0xfd]), Buffer.from('ller.jpg')]), bytes);
    fs.writeFileSync(path.join(dir, 'ok.jpg'), bytes);

    const v = await deid('verify', '--jsonl', dir);
    const records = v.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const bad = records.filter((r) => typeof r.path === 'string' && r.path.includes('\ufffd'));
    expect(bad).toHaveLength(2);
    for (const r of bad) {
      expect(r.error).toMatch(/not valid UTF-8/);
      expect(r.error).not.toMatch(/ENOENT|no such file/);
    }
    expect(v.code).toBe(2);

    const s = await deid('strip', dir, '--out', path.join(work, 'out'));
    expect(s.stdout).toMatch(/M\\ufffdller\.jpg|M\ufffdller\.jpg/);
    expect(s.stdout).toMatch(/not valid UTF-8/);
    expect(s.stdout).not.toMatch(/ENOENT/);
    expect(s.code).not.toBe(0);

    const list = path.join(work, 'list.txt');
    fs.writeFileSync(list, Buffer.concat([Buffer.from(`${dir}/M`), Buffer.from([0xfc]), Buffer.from(`ller.jpg\n${dir}/ok.jpg\n`)]));
    const l = await deid('verify', '--jsonl', '--files-from', list);
    const first = JSON.parse(l.stdout.split('\n')[0]!);
    expect(first.error).toMatch(/not valid UTF-8/);
    expect(l.code).toBe(2);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}, 60_000);
