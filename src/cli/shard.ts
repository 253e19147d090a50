import { CommanderError } from 'commander';
import { EXIT_USAGE } from './io';

/** `--shard K/N`: this process takes share K (0-based, as Slurm's SLURM_ARRAY_TASK_ID) of N. */
export interface Shard {
  index: number;
  count: number;
}

export function parseShard(value: string): Shard {
  const m = /^(\d{1,6})\/(\d{1,6})$/.exec(value.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index >= count) {
    throw new CommanderError(EXIT_USAGE, 'deid.shard', `--shard must be K/N with 0 <= K < N (for example 0/4 ... 3/4), not "${value}"`);
  }
  return { index, count };
}

/**
 * The share a relative path belongs to: FNV-1a (32-bit) over its UTF-8 bytes, modulo N. Every
 * process computes the same answer for the same path on any machine, so N processes together
 * take every file exactly once without talking to each other. The key is the path without its
 * extension, so photo.tif and photo.png (which strip would both write as photo.png) always land
 * in the same share, where the collision is caught. For the same reason the key is compared
 * folded (Unicode NFC, lower case): on a case- or normalization-insensitive --out (an exFAT
 * transfer drive, macOS, a Windows share) IMG_0001.JPG and img_0001.jpg, or café in NFC and in
 * NFD, are one file; in two shards each would write it and the second replace the first as "an
 * earlier output", losing a photo's copy. In one shard the second is refused (commit.ts).
 */
export function shardOf(key: string, count: number): number {
  if (count === 1) return 0;
  const bytes = Buffer.from(key.normalize('NFC').toLowerCase(), 'utf8');
  let h = 0x811c9dc5;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % count;
}

export function shardKey(rel: string): string {
  const slash = Math.max(rel.lastIndexOf('/'), rel.lastIndexOf('\\'));
  const dot = rel.lastIndexOf('.');
  return dot > slash + 1 ? rel.slice(0, dot) : rel;
}

export function inShard(rel: string, shard: Shard | undefined): boolean {
  return !shard || shardOf(shardKey(rel), shard.count) === shard.index;
}
