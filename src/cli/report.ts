import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { DeidError } from '../core/errors';
import type { Io } from './io';
import { readPolicy } from './options';
import { auditCsv } from './report-csv';
import { auditHtml } from './report-html';
import { auditRow, auditTotals, describePolicy } from './report-model';
import { writeFilesAtomically } from './atomic';
import { indexFolder, readRegularFile } from './review/folder-index';
import { MAX_IMAGE_BYTES, reverifyExport } from './review/reverify';
import { TOOL_VERSION } from './version';

export interface ReportOptions {
  out: string;
  csv?: string;
  thumbnails?: boolean;
  policy?: string;
}

/** Small enough to keep a report of hundreds of exports printable and mailable. */
const THUMB_PX = 160;

/**
 * `deid report <folder> --out report.html [--csv report.csv] [--thumbnails]`: the audit record
 * of a batch, re-verified now. No patient pixels unless --thumbnails; never a file name.
 * Exit 0 when written (the report itself states any problems), 2 for a usage problem.
 */
export async function reportCommand(folder: string, opts: ReportOptions, io: Io): Promise<number> {
  const root = path.resolve(folder);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new DeidError('usage', `${folder} is not a folder`);
  const policy = await readPolicy(opts.policy);
  const { exports } = indexFolder(root);
  const rows = [];
  const thumbnails = new Map<string, string>();
  for (const entry of exports) {
    const report = await reverifyExport(entry, policy);
    rows.push(auditRow(report));
    if (opts.thumbnails && entry.imagePath && report.sidecar) {
      try {
        const jpeg = await sharp(readRegularFile(entry.imagePath, MAX_IMAGE_BYTES)).resize(THUMB_PX, THUMB_PX, { fit: 'inside' }).jpeg({ quality: 70 }).toBuffer();
        thumbnails.set(entry.id, `data:image/jpeg;base64,${jpeg.toString('base64')}`);
      } catch {
        // An image that cannot be decoded is already a problem in its row.
      }
    }
  }
  const totals = auditTotals(rows);
  const html = auditHtml({ rows, totals, policy: describePolicy(policy), generatedAt: new Date().toISOString(), toolVersion: TOOL_VERSION, thumbnails: opts.thumbnails ? thumbnails : undefined });
  const files: { path: string; bytes: string }[] = [{ path: path.resolve(opts.out), bytes: html }];
  if (opts.csv) files.push({ path: path.resolve(opts.csv), bytes: auditCsv(rows) });
  await writeFilesAtomically(files);
  io.out(`wrote ${files.map((f) => f.path).join(' and ')}: ${totals.exports} export(s), ${totals.signedValid} signed off with a valid signature, ${totals.withProblems} with problems now`);
  return 0;
}
