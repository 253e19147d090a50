import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stripMetadata } from '../../src/core/metadata/scan';
import { shardOf } from '../../src/cli/shard';
import { CORPUS, REPO, SAMPLE } from '../helpers/paths';
import { deid, json } from './run';

/** Issue 12's batch options: --files-from, --shard, --jsonl, --resume, deid summarize. */
const DEID = path.join(REPO, 'bin', 'deid.js');

let tmp: string;
beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'deid-batch-'));
});
afterEach(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

function jsonl(text: string) {
  const lines = text.trim().split('\n').map((l) => JSON.parse(l));
  const last = lines.pop();
  return { records: lines, last };
}

async function tree(dir: string): Promise<void> {
  for (const rel of ['ward1/a.jpg', 'ward1/b.jpg', 'ward2/c.jpg']) {
    await fs.mkdir(path.join(dir, path.dirname(rel)), { recursive: true });
    await fs.copyFile(SAMPLE, path.join(dir, rel));
  }
}

test('--files-from reads a list (lines, or NUL-separated from stdin with -0); relative paths keep their folders under --out', async () => {
  await tree(path.join(tmp, 'photos'));
  const list = path.join(tmp, 'list.txt');
  await fs.writeFile(list, 'ward1/a.jpg\r\n\nward2/c.jpg\n');
  const out = path.join(tmp, 'out');
  const r = spawnSync(process.execPath, [DEID, 'strip', '--files-from', list, '--out', out, '--json'], { cwd: path.join(tmp, 'photos'), encoding: 'utf8' });
  expect(r.status).toBe(0);
  expect(json(r.stdout).files.map((f: { output: string }) => path.relative(out, f.output))).toEqual(['ward1/a.jpg', 'ward2/c.jpg']);

  // find -print0 | deid verify --files-from - -0: a name with a newline in it survives.
  const odd = path.join(tmp, 'photos', 'ward2', 'new\nline.jpg');
  await fs.copyFile(SAMPLE, odd);
  const find = spawnSync('find', [path.join(tmp, 'photos'), '-type', 'f', '-print0']);
  const v = spawnSync(process.execPath, [DEID, 'verify', '--files-from', '-', '-0', '--jsonl'], { input: find.stdout, encoding: 'utf8' });
  const { records, last } = jsonl(v.stdout);
  expect(records.map((x) => x.path).sort()).toEqual([odd, ...['ward1/a.jpg', 'ward1/b.jpg', 'ward2/c.jpg'].map((p) => path.join(tmp, 'photos', p))].sort());
  expect(last.summary).toMatchObject({ files: 4, withFindings: 4 });
  expect(v.status).toBe(1);
});

test('--shard K/N: shares are disjoint, cover every file once, and follow the hash of the relative path', async () => {
  const all = jsonl((await deid('verify', '--jsonl', CORPUS)).stdout).records;
  const seen = new Map<string, number>();
  for (let k = 0; k < 3; k++) {
    const share = jsonl((await deid('verify', '--jsonl', '--shard', `${k}/3`, CORPUS)).stdout);
    expect(share.last.shard).toBe(`${k}/3`);
    expect(share.records.length).toBeGreaterThan(10);
    for (const r of share.records) {
      expect(seen.has(r.path)).toBe(false);
      seen.set(r.path, k);
      // The key is the path relative to the argument, without its extension.
      expect(shardOf(path.relative(CORPUS, r.path).replace(/\.[^./]*$/, ''), 3)).toBe(k);
    }
  }
  expect([...seen.keys()].sort()).toEqual(all.map((r) => r.path).sort());
});

test('bad batch arguments are usage errors (exit 2)', async () => {
  for (const bad of ['3/3', '1', '-1/2', 'a/b', '0/0']) expect((await deid('verify', '--shard', bad, SAMPLE)).code).toBe(2);
  expect((await deid('verify', '--json', '--jsonl', SAMPLE)).code).toBe(2);
  expect((await deid('verify')).code).toBe(2);
  expect((await deid('verify', '--files-from', path.join(tmp, 'missing.txt'))).code).toBe(2);
});

test('summarize merges runs, and gives no verdict on an incomplete or inconsistent set', async () => {
  const files: string[] = [];
  for (let k = 0; k < 2; k++) {
    const f = path.join(tmp, `v${k}.jsonl`);
    await fs.writeFile(f, (await deid('verify', '--jsonl', '--shard', `${k}/2`, path.join(CORPUS, 'jpg', 'gps'))).stdout);
    files.push(f);
  }
  const one = await deid('verify', '--json', path.join(CORPUS, 'jpg', 'gps'));
  const merged = await deid('summarize', '--json', ...files);
  expect(json(merged.stdout).summary).toEqual(json(one.stdout).summary);
  expect(merged.code).toBe(one.code);
  const human = await deid('summarize', ...files);
  expect(human.stdout).toMatch(/9 files: 0 clean, 9 with findings, 0 errors, 1 skipped\n$/);

  expect((await deid('summarize', files[0]!)).stderr).toMatch(/shard 1\/2 missing/);
  // The same run twice (or a copy of it), sharded or not, would count its files twice.
  expect((await deid('summarize', files[0]!, files[0]!)).stderr).toMatch(/is the same run as .*v0\.jsonl \(identical content\): its files would be counted twice/);
  const whole = path.join(tmp, 'whole.jsonl');
  await fs.writeFile(whole, (await deid('verify', '--jsonl', path.join(CORPUS, 'jpg', 'gps'))).stdout);
  const copy = path.join(tmp, 'copy.jsonl');
  await fs.copyFile(whole, copy);
  const twice = await deid('summarize', whole, copy);
  expect(twice.code).toBe(2);
  expect(twice.stderr).toMatch(/copy\.jsonl: is the same run as/);
  // The same shard from another run of it (here: one blank line more) is still a repeated shard.
  const again = path.join(tmp, 'again.jsonl');
  await fs.writeFile(again, `\n${await fs.readFile(files[0]!, 'utf8')}`);
  expect((await deid('summarize', files[0]!, again)).stderr).toMatch(/repeats shard 0\/2/);
  const text = await fs.readFile(files[1]!, 'utf8');
  const lines = text.trim().split('\n');
  await fs.writeFile(files[1]!, `${lines.slice(0, -1).join('\n')}\n`);
  const killed = await deid('summarize', ...files);
  expect(killed.code).toBe(2);
  expect(killed.stderr).toMatch(/v1\.jsonl: no summary line at the end/);
  await fs.writeFile(files[1]!, `${lines.slice(1).join('\n')}\n`);
  expect((await deid('summarize', ...files)).stderr).toMatch(/summary line does not match its records/);
  await fs.writeFile(files[1]!, `${lines.slice(0, -1).join('\n')}\n{"summary": {}, "comm`);
  expect((await deid('summarize', ...files)).stderr).toMatch(/is not JSON \(a cut-off write\?\)/);
});

test('summarize given a run written without --jsonl (human lines, or --json) says to write shards with --jsonl', async () => {
  const input = path.join(tmp, 'in');
  await tree(input);
  for (const [name, flags] of [['human.txt', []], ['one.json', ['--json']]] as const) {
    const run = await deid('strip', ...flags, input, '--out', path.join(tmp, `out-${name}`));
    const file = path.join(tmp, name);
    await fs.writeFile(file, run.stdout);
    const r = await deid('summarize', file);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${name}: line 1 is not JSON: not the output of verify or strip --jsonl (their human output and --json are not merged; run each shard with --jsonl > file.jsonl)`);
  }
});

test('--resume keeps clean outputs newer than their input; a changed input is stripped again; a file with metadata at an output\'s name is left alone', async () => {
  const input = path.join(tmp, 'in');
  await tree(input);
  const out = path.join(tmp, 'out');
  const first = await deid('strip', '--jsonl', input, '--out', out);
  expect(first.code).toBe(0);
  expect(jsonl(first.stdout).records.every((r) => !('staged' in r))).toBe(true);
  // a.jpg: the input changed after its output was written.
  const later = new Date(Date.now() + 5000);
  await fs.utimes(path.join(input, 'ward1', 'a.jpg'), later, later);
  // b.jpg: something put a file with metadata at the output's name, newer than the input.
  await fs.copyFile(SAMPLE, path.join(out, 'ward1', 'b.jpg'));
  await fs.utimes(path.join(out, 'ward1', 'b.jpg'), later, later);
  const again = await deid('strip', '--jsonl', '--resume', input, '--out', out);
  expect(again.code).toBe(1);
  const { records, last } = jsonl(again.stdout);
  expect(records.map((r) => [path.relative(input, r.input), Boolean(r.resumed), r.error ?? null])).toEqual([
    ['ward1/a.jpg', false, null],
    // Not something strip wrote (it carries metadata: an original?): never replaced.
    ['ward1/b.jpg', false, expect.stringMatching(/a file is already at .*b\.jpg and it carries metadata, so it is not an earlier output of deid strip; it was left as it is/)],
    ['ward2/c.jpg', true, null],
  ]);
  // Its new output is the old one byte for byte (only the input's time changed): nothing was lost, nothing is said.
  expect(records[0]!.notice ?? '').not.toMatch(/replaced/);
  expect(last.summary).toMatchObject({ files: 3, written: 1, resumed: 1, errors: 1, replaced: 0 });
  expect((await fs.readFile(path.join(out, 'ward1', 'b.jpg'))).equals(await fs.readFile(SAMPLE))).toBe(true);
});

test('strip never replaces a file it cannot have written: --out naming a folder of originals keeps them', async () => {
  const photo = (name: string) => path.join(CORPUS, 'jpg', name);
  const originals = path.join(tmp, 'w1');
  const other = path.join(tmp, 'w2');
  await fs.mkdir(originals);
  await fs.mkdir(other);
  await fs.copyFile(photo('Canon_40D.jpg'), path.join(originals, 'IMG_0001.JPG'));
  await fs.copyFile(photo('Nikon_D70.jpg'), path.join(other, 'IMG_0001.JPG'));
  const swapped = await deid('strip', '--json', other, '--out', originals);
  expect(swapped.code).toBe(1);
  expect(json(swapped.stdout).files[0].error).toMatch(/it carries metadata, so it is not an earlier output of deid strip/);
  expect((await fs.readFile(path.join(originals, 'IMG_0001.JPG'))).equals(await fs.readFile(photo('Canon_40D.jpg')))).toBe(true);
  expect((await fs.readdir(originals)).filter((n) => n.includes('deid-tmp'))).toEqual([]);
});

test('--resume never keeps another input\'s output that has the same name (two folders, or a second camera card)', async () => {
  const photo = (name: string) => path.join(CORPUS, 'jpg', name);
  const [first, second] = [photo('Canon_40D.jpg'), photo('Nikon_D70.jpg')];
  const strippedOf = async (f: string) => Buffer.from(stripMetadata(new Uint8Array(await fs.readFile(f))).bytes);
  for (const [dir, source] of [['ward3', first], ['ward4', second]] as const) {
    await fs.mkdir(path.join(tmp, dir));
    await fs.copyFile(source, path.join(tmp, dir, 'a.jpg'));
  }
  const out = path.join(tmp, 'out');
  const args = ['strip', '--json', path.join(tmp, 'ward3'), path.join(tmp, 'ward4'), '--out', out];
  const once = await deid(...args);
  expect(once.code).toBe(1);
  const again = await deid(...args, '--resume');
  expect(again.code).toBe(1);
  const files = json(again.stdout).files as Array<{ input: string; resumed?: boolean; error?: string }>;
  expect(files.map((f) => [path.relative(tmp, f.input), Boolean(f.resumed), Boolean(f.error)])).toEqual([
    ['ward3/a.jpg', true, false],
    ['ward4/a.jpg', false, true],
  ]);
  expect(files[1].error).toMatch(/ward3.a\.jpg already wrote/);
  expect((await fs.readFile(path.join(out, 'a.jpg'))).equals(await strippedOf(first))).toBe(true);

  // A second card reuses the name, its file older than the first card's output: not kept as its
  // output, and not written over the first card's either (that would lose ward3's photo), unless
  // the user says so with --replace.
  const card2 = path.join(tmp, 'card2');
  await fs.mkdir(card2);
  await fs.copyFile(second, path.join(card2, 'a.jpg'));
  const old = new Date(Date.now() - 86_400_000);
  await fs.utimes(path.join(card2, 'a.jpg'), old, old);
  const next = await deid('strip', '--json', card2, '--out', out, '--resume');
  expect(next.code).toBe(1);
  expect(json(next.stdout).summary).toMatchObject({ written: 0, resumed: 0, errors: 1 });
  expect(json(next.stdout).files[0].error).toMatch(/an earlier output is already at .*a\.jpg and differs from this one .*it was kept\. To replace it, run again with --replace/);
  expect((await fs.readFile(path.join(out, 'a.jpg'))).equals(await strippedOf(first))).toBe(true);
  const chosen = await deid('strip', '--json', card2, '--out', out, '--resume', '--replace');
  expect(chosen.code).toBe(0);
  expect(json(chosen.stdout).summary).toMatchObject({ written: 1, resumed: 0, replaced: 1 });
  expect((await fs.readFile(path.join(out, 'a.jpg'))).equals(await strippedOf(second))).toBe(true);
});

test('--jsonl prints one object per file in input order and a summary line matching --json', async () => {
  const dir = path.join(tmp, 'in');
  await tree(dir);
  const lines = await deid('verify', '--jsonl', dir);
  const whole = await deid('verify', '--json', dir);
  const { records, last } = jsonl(lines.stdout);
  expect(records).toEqual(json(whole.stdout).files);
  expect(last).toEqual({ summary: json(whole.stdout).summary, command: 'verify', shard: null, allowSkipped: false, exitCode: 1, inputs: expect.stringMatching(/^\d+-[0-9a-f]{16}$/) });
  expect(lines.code).toBe(whole.code);
});

test('summarize refuses a stale shard: one shard re-run after photos were added, the other from the earlier run', async () => {
  const photos = ['Canon_40D.jpg', 'Nikon_D70.jpg', 'Pentax_K10D.jpg', 'Sony_HDR-HC3.jpg', 'Kodak_CX7530.jpg', 'Olympus_C8080WZ.jpg', 'Ricoh_Caplio_RR330.jpg'];
  const study = path.join(tmp, 'study');
  await fs.mkdir(study);
  const add = async (names: string[]) => {
    for (const n of names) await fs.copyFile(path.join(CORPUS, 'jpg', n), path.join(study, n));
  };
  const list = path.join(tmp, 'list.txt');
  const writeList = async () => fs.writeFile(list, (await fs.readdir(study)).sort().map((n) => `${path.join(study, n)}\n`).join(''));
  // The same scenario naming the folder and giving a --files-from list of its photos.
  const ways: Array<[string, string[]]> = [['folder', [study]], ['list', ['--files-from', list]]];
  const shard = async (how: string, k: number, inputs: string[], run: number) => {
    const f = path.join(tmp, `${how}-run${run}-strip-${k}.jsonl`);
    const r = await deid('strip', '--jsonl', '--shard', `${k}/2`, ...inputs, '--out', path.join(tmp, `out-${how}`));
    await fs.writeFile(f, r.stdout);
    return f;
  };
  await add(photos.slice(0, 4));
  await writeList();
  const before = new Map<string, string[]>();
  for (const [how, inputs] of ways) before.set(how, [await shard(how, 0, inputs, 1), await shard(how, 1, inputs, 1)]);

  await add(photos.slice(4));
  await writeList();
  for (const [how, inputs] of ways) {
    const [, old1] = before.get(how)!;
    const new0 = await shard(how, 0, inputs, 2);
    const stale = await deid('summarize', new0, old1);
    expect(stale.code).toBe(2);
    expect(stale.stdout).toBe('');
    expect(stale.stderr).toMatch(/the shards listed different files .*strip-0\.jsonl \(0\/2\): inputs \d+-[0-9a-f]{16}; .*strip-1\.jsonl \(1\/2\): inputs \d+-[0-9a-f]{16}\); run every shard again, together/);
    expect(stale.stderr).toMatch(/no verdict \(exit 2\)/);

    // Both shards run again over the same files merge to what one run over them says.
    const new1 = await shard(how, 1, inputs, 2);
    const merged = await deid('summarize', '--json', new0, new1);
    const one = await deid('strip', '--json', ...inputs, '--out', path.join(tmp, `one-${how}`));
    // The re-run shards wrote over the first run's outputs (counted as replaced); the one run wrote fresh.
    expect({ ...json(merged.stdout).summary, replaced: 0 }).toEqual(json(one.stdout).summary);
    expect(json(merged.stdout).summary.files).toBe(photos.length);
    expect(merged.code).toBe(one.code);
  }

  // Lines from an earlier deid carry no `inputs`: merged unchecked when no shard has one, refused
  // when only some do (they cannot be shown to match).
  const [old0, old1] = before.get('folder')!;
  const strip = async (f: string) => {
    const lines = (await fs.readFile(f, 'utf8')).trim().split('\n');
    const last = JSON.parse(lines.pop()!);
    delete last.inputs;
    const to = f.replace(/\.jsonl$/, '-old.jsonl');
    await fs.writeFile(to, `${[...lines, JSON.stringify(last)].join('\n')}\n`);
    return to;
  };
  const [bare0, bare1] = [await strip(old0!), await strip(old1!)];
  const unchecked = await deid('summarize', '--json', bare0, bare1);
  expect(unchecked.code).not.toBe(2);
  expect(json(unchecked.stdout).summary.files).toBe(4);
  const mixed = await deid('summarize', old0!, bare1);
  expect(mixed.code).toBe(2);
  expect(mixed.stderr).toMatch(/strip-1-old\.jsonl \(1\/2\): no inputs field/);

  // Unsharded runs over disjoint inputs (different files listed) still merge.
  const parts: string[] = [];
  for (const n of photos.slice(0, 2)) {
    const f = path.join(tmp, `part-${n}.jsonl`);
    await fs.writeFile(f, (await deid('strip', '--jsonl', path.join(study, n), '--out', path.join(tmp, 'out-parts'))).stdout);
    parts.push(f);
  }
  const joined = await deid('summarize', '--json', ...parts);
  expect(json(joined.stdout).summary.files).toBe(2);
});

test('a symbolic link to a folder inside --out never sends outputs outside it (over an input, or anywhere)', async () => {
  const input = path.join(tmp, 'in2');
  await fs.mkdir(path.join(input, 'a'), { recursive: true });
  await fs.mkdir(path.join(input, 'b'), { recursive: true });
  await fs.copyFile(path.join(CORPUS, 'jpg', 'Canon_40D.jpg'), path.join(input, 'a', 'x.jpg'));
  // A clean original in b, the folder the link points to.
  const original = stripMetadata(new Uint8Array(await fs.readFile(path.join(CORPUS, 'jpg', 'Nikon_D70.jpg')))).bytes;
  await fs.writeFile(path.join(input, 'b', 'x.jpg'), original);
  const out = path.join(tmp, 'outM');
  await fs.mkdir(out);
  await fs.symlink(path.join(input, 'b'), path.join(out, 'a'));
  const r = await deid('strip', '--json', input, '--out', out);
  expect(r.code).toBe(1);
  const refused = json(r.stdout).files.find((f: { input: string }) => f.input.endsWith(path.join('a', 'x.jpg')));
  expect(refused.error).toMatch(/the output's folder .* leads outside --out \(a symbolic link\)/);
  expect((await fs.readFile(path.join(input, 'b', 'x.jpg'))).equals(Buffer.from(original))).toBe(true);
  expect((await fs.readdir(path.join(input, 'b')))).toEqual(['x.jpg']);
});

test('replacing earlier outputs is counted; a de-identified export (its sidecar beside it) is never replaced', async () => {
  const input = path.join(tmp, 'cam');
  await fs.mkdir(input);
  const out = path.join(tmp, 'exports');
  const applied = json((await deid('apply', path.join(REPO, 'samples', 'recipe.json'), SAMPLE, '--out', out, '--json')).stdout);
  const exportName = path.basename(applied.image as string);
  const before = await fs.readFile(applied.image);
  // A camera photo that happens to have the export's name, and one that does not.
  await fs.copyFile(path.join(CORPUS, 'jpg', 'Canon_40D.jpg'), path.join(input, exportName));
  await fs.copyFile(path.join(CORPUS, 'jpg', 'Nikon_D70.jpg'), path.join(input, 'other.jpg'));
  const first = await deid('strip', '--json', input, '--out', out);
  expect(first.code).toBe(1);
  const refused = json(first.stdout).files.find((f: { input: string }) => f.input.endsWith(exportName));
  expect(refused.error).toMatch(/it is a de-identified export \(its sidecar is beside it\)/);
  expect((await fs.readFile(applied.image)).equals(before)).toBe(true);
  // The same photos again: other.jpg's output is what strip writes, so it is rewritten and not
  // counted; another photo under its name replaces it only with --replace, and is counted.
  const again = await deid('strip', input, '--out', out);
  expect(again.stdout).toMatch(/2 files: 1 written, 1 refused/);
  await fs.copyFile(path.join(CORPUS, 'jpg', 'Pentax_K10D.jpg'), path.join(input, 'other.jpg'));
  const replaced = await deid('strip', input, '--out', out, '--replace');
  expect(replaced.stdout).toMatch(/2 files: 1 written \(1 over earlier outputs\), 1 refused/);
});

test('summarize: shards over two folders with the same layout are refused; a list in another order is the same run', async () => {
  const mk = async (dir: string) => {
    await fs.mkdir(dir, { recursive: true });
    for (const n of ['Canon_40D.jpg', 'Nikon_D70.jpg', 'Fujifilm_FinePix6900ZOOM.jpg']) await fs.copyFile(path.join(CORPUS, 'jpg', n), path.join(dir, n));
  };
  const [ward3, ward4] = [path.join(tmp, 'w3', 'photos'), path.join(tmp, 'w4', 'photos')];
  await mk(ward3);
  await mk(ward4);
  const run = async (name: string, ...args: string[]) => {
    const f = path.join(tmp, name);
    await fs.writeFile(f, (await deid('verify', '--jsonl', ...args)).stdout);
    return f;
  };
  const mixed = await deid('summarize', await run('a0.jsonl', '--shard', '0/2', ward3), await run('a1.jsonl', '--shard', '1/2', ward4));
  expect(mixed.code).toBe(2);
  expect(mixed.stderr).toMatch(/the shards listed different files/);
  const names = (await fs.readdir(ward3)).map((n) => path.join(ward3, n));
  const [up, down] = [path.join(tmp, 'up.txt'), path.join(tmp, 'down.txt')];
  await fs.writeFile(up, `${names.sort().join('\n')}\n`);
  await fs.writeFile(down, `${[...names].reverse().join('\n')}\n`);
  const same = await deid('summarize', '--json', await run('b0.jsonl', '--shard', '0/2', '--files-from', up), await run('b1.jsonl', '--shard', '1/2', '--files-from', down));
  expect(same.code).toBe(1);
  expect(json(same.stdout).summary.files).toBe(3);
});

test('strip says when --out lies inside a folder it strips (photos already under it are not read)', async () => {
  const input = path.join(tmp, 'in3');
  await tree(input);
  const r = await deid('strip', input, '--out', path.join(input, 'ward2'));
  expect(r.stderr).toMatch(/note: --out .*ward2 lies inside .*in3; nothing under it is read as input/);
  expect(r.stdout).toMatch(/2 files: 2 written/);
  const plain = await deid('strip', input, '--out', path.join(tmp, 'elsewhere'));
  expect(plain.stderr).not.toMatch(/note:/);
});
