import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { JsonlSummaryLine } from './batch';
import { escapeText } from './escape';
import { EXIT_USAGE, type Io } from './io';
import {
  StripTally,
  stripExitCode,
  stripExitReason,
  stripHumanLines,
  stripSummaryLine,
  VerifyTally,
  verifyExitCode,
  verifyExitReason,
  verifyHumanLines,
  verifySummaryLine,
} from './summary';
import type { StripFileResult, VerifyFileResult } from './tasks/types';

export interface SummarizeOptions {
  json?: boolean;
}

class Refusal extends Error {}

/**
 * `deid summarize <jsonl>...` (issue 12): merges the --jsonl outputs of shards (or of any runs
 * over disjoint inputs) by feeding every per-file record through the same tallies a single run
 * uses, so the summary and exit code are those of one run over all the files. It refuses to give
 * a verdict on an incomplete set: a file without its summary line (a shard that was killed), a
 * summary line that disagrees with the records above it, shards of different splits, a missing
 * or repeated shard, shards that listed different files (a stale shard from an earlier run: see
 * JsonlSummaryLine.inputs), the same run given twice, two unsharded runs over the same files (a
 * run and its --resume re-run), or runs with different --allow-skipped.
 * Lines from earlier versions carry no `inputs`: shards none of which has it merge unchecked, as
 * before; shards some of which have it are refused, since they cannot be shown to match.
 */
export async function summarizeCommand(files: string[], opts: SummarizeOptions, io: Io): Promise<number> {
  const verify = new VerifyTally();
  const strip = new StripTally();
  const problems: string[] = [];
  let command: 'verify' | 'strip' | null = null;
  let allowSkipped: boolean | null = null;
  /** Shard index -> its file and what its run listed (JsonlSummaryLine.inputs). */
  const shards = new Map<number, { file: string; inputs: string | undefined }>();
  let shardCount: number | null = null;
  let unsharded = 0;
  /** Content hash of each run read: the same run given twice (or copied) would count twice. */
  const seen = new Map<string, string>();
  /** What each unsharded run listed (JsonlSummaryLine.inputs) -> its file. */
  const unshardedInputs = new Map<string, string>();

  for (const file of files) {
    try {
      const own = { verify: new VerifyTally(), strip: new StripTally() };
      const content = createHash('sha256');
      let last: JsonlSummaryLine<unknown> | null = null;
      let lineNo = 0;
      let first = true;
      const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
      for await (const text of lines) {
        lineNo++;
        content.update(text).update('\n');
        if (text.trim() === '') continue;
        if (last) throw new Refusal(`line ${lineNo} follows the summary line: two runs in one file?`);
        let record: Record<string, unknown>;
        try {
          record = JSON.parse(text) as Record<string, unknown>;
        } catch {
          // At the first line it is most often a run without --jsonl (its human lines, or the
          // one --json object, whose first line is "{"): say which output summarize reads.
          throw new Refusal(first
            ? `line ${lineNo} is not JSON: not the output of verify or strip --jsonl (their human output and --json are not merged; run each shard with --jsonl > file.jsonl), or a write cut off`
            : `line ${lineNo} is not JSON (a cut-off write?)`);
        }
        first = false;
        if (record === null || typeof record !== 'object') throw new Refusal(`line ${lineNo} is not a JSON object`);
        if ('summary' in record) {
          last = record as unknown as JsonlSummaryLine<unknown>;
          continue;
        }
        const kind = typeof record.path === 'string' ? 'verify' : typeof record.input === 'string' ? 'strip' : null;
        if (!kind) throw new Refusal(`line ${lineNo} is neither a verify nor a strip record`);
        if (command && command !== kind) throw new Refusal(`mixes ${kind} records with ${command} records`);
        command = kind;
        if (kind === 'verify') {
          const r = record as unknown as VerifyFileResult;
          if (!Array.isArray(r.findings)) throw new Refusal(`line ${lineNo} has no findings list`);
          own.verify.add(r);
          verify.add(r);
          if (!opts.json) printLines(io, verifyHumanLines(r).filter((l) => !l.startsWith('clean ')));
        } else {
          const r = record as unknown as StripFileResult;
          own.strip.add(r);
          strip.add(r);
          if (!opts.json) printLines(io, stripHumanLines(r).filter((l) => /^(REFUSED|skipped)/.test(l)));
        }
      }
      if (!last) throw new Refusal('no summary line at the end: that run did not finish (killed, or still running?)');
      const digest = content.digest('hex');
      if (seen.has(digest)) throw new Refusal(`is the same run as ${escapeText(seen.get(digest)!)} (identical content): its files would be counted twice`);
      seen.set(digest, file);
      if (last.command !== 'verify' && last.command !== 'strip') throw new Refusal('the summary line names no command');
      if (command && command !== last.command) throw new Refusal(`the summary line says ${last.command} but the records are ${command}`);
      command = last.command;
      const recount = last.command === 'verify' ? own.verify.summary : own.strip.summary;
      if (!sameCounts(recount, last.summary)) {
        throw new Refusal(`its summary line does not match its records (${JSON.stringify(last.summary)} against ${JSON.stringify(recount)} counted)`);
      }
      if (allowSkipped !== null && allowSkipped !== Boolean(last.allowSkipped)) throw new Refusal('was run with a different --allow-skipped than the others');
      allowSkipped = Boolean(last.allowSkipped);
      if (last.shard === null || last.shard === undefined) {
        // Two whole runs over the same files (a strip, then the same strip with --resume; verify
        // before and after a fix) differ line by line, so the content check above passes them,
        // yet every file would be counted twice and the older run's verdict mixed into the newer.
        const inputs = typeof last.inputs === 'string' ? last.inputs : undefined;
        if (inputs !== undefined && unshardedInputs.has(inputs)) {
          throw new Refusal(`listed the same files as ${escapeText(unshardedInputs.get(inputs)!)} (inputs ${inputs}): two runs over the same files, each would be counted twice; give only the latest`);
        }
        if (inputs !== undefined) unshardedInputs.set(inputs, file);
        unsharded++;
      } else {
        const m = /^(\d+)\/(\d+)$/.exec(String(last.shard));
        if (!m) throw new Refusal('its shard is not K/N');
        const [k, n] = [Number(m[1]), Number(m[2])];
        if (shardCount !== null && n !== shardCount) throw new Refusal(`is shard ${k}/${n}, the others are of ${shardCount}`);
        shardCount = n;
        if (shards.has(k)) throw new Refusal(`repeats shard ${k}/${n} (also in ${shards.get(k)!.file})`);
        shards.set(k, { file, inputs: typeof last.inputs === 'string' ? last.inputs : undefined });
      }
    } catch (e) {
      const why = e instanceof Refusal ? e.message : `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`;
      problems.push(`${escapeText(file)}: ${why}`);
    }
  }
  if (shardCount !== null) {
    const missing: number[] = [];
    for (let k = 0; k < shardCount; k++) if (!shards.has(k)) missing.push(k);
    if (missing.length > 0) problems.push(`shard${missing.length === 1 ? '' : 's'} ${missing.map((k) => `${k}/${shardCount}`).join(', ')} missing: the merge would not cover every file`);
    if (unsharded > 0) problems.push('sharded and unsharded runs mixed: files would be counted twice');
    const listedProblem = differentListings(shards, shardCount);
    if (listedProblem) problems.push(listedProblem);
  }
  if (problems.length > 0 || command === null) {
    for (const p of problems) io.err(`deid summarize: ${p}`);
    if (command === null && problems.length === 0) io.err('deid summarize: no runs to merge');
    io.err('deid summarize: no verdict (exit 2)');
    return EXIT_USAGE;
  }
  const allow = Boolean(allowSkipped);
  const code = command === 'verify' ? verifyExitCode(verify.summary, allow) : stripExitCode(strip.summary, allow);
  const reason = command === 'verify' ? verifyExitReason(verify.summary, allow) : stripExitReason(strip.summary, allow);
  if (opts.json) io.out(JSON.stringify({ command, summary: command === 'verify' ? verify.summary : strip.summary, runs: files.length, exitCode: code }, null, 2));
  else io.out(command === 'verify' ? verifySummaryLine(verify.summary) : stripSummaryLine(strip.summary));
  if (reason && code !== 0) io.err(`deid summarize: exit ${code}: ${reason}`);
  return code;
}

/**
 * Shards of one split must have listed the same files, or their shares do not add up to one run:
 * shard 0 re-run after files were added takes its share of the new set, while shard 1's old
 * output covers only its share of the old one, and the added files in shard 1's share were never
 * run. Null when they agree (or when none says, as from an earlier version).
 */
function differentListings(shards: Map<number, { file: string; inputs: string | undefined }>, count: number): string | null {
  const groups = new Map<string, string[]>();
  for (const [k, { file, inputs }] of [...shards].sort((a, b) => a[0] - b[0])) {
    const key = inputs ?? '';
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(`${escapeText(file)} (${k}/${count})`);
  }
  if (groups.size < 2) return null;
  const sets = [...groups].map(([inputs, names]) => `${names.join(', ')}: ${inputs ? `inputs ${inputs}` : 'no inputs field (an earlier deid), cannot be checked'}`);
  const what = groups.has('') ? 'cannot be shown to have listed the same files, so together they may not' : 'listed different files (files added or removed, another folder, or other arguments), so together they do not';
  return `the shards ${what} cover one run (${sets.join('; ')}); run every shard again, together (strip --resume keeps the outputs already written)`;
}

/**
 * A summary line agrees with the records counted above it. A count added in a later version
 * (strip's insideOut) is absent from an earlier deid's line, where its records made it 0.
 */
function sameCounts(recount: object, declared: unknown): boolean {
  if (declared === null || typeof declared !== 'object') return false;
  const said = declared as Record<string, unknown>;
  const counted = recount as Record<string, number>;
  if (Object.keys(said).some((k) => !(k in counted))) return false;
  return Object.entries(counted).every(([k, v]) => (k in said ? said[k] === v : v === 0));
}

function printLines(io: Io, lines: string[]): void {
  if (lines.length > 0) io.out(lines.join('\n'));
}
