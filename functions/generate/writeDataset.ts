import { createWriteStream, writeFileSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type GenerateOptions, generateDataset, largeFileChunks } from './generate.ts';
import { jsonChunks } from './jsonChunks.ts';
import type { Truth } from './truth.ts';

/** What writing a data set produced. */
export interface WriteSummary {
  dir: string;
  files: number;
  bytes: number;
  transactions: number;
  claims: number;
  reversals: number;
  duplicateFiles: number;
  truthPath: string;
  ms: number;
  truth: Truth;
}

/** Thrown when the output folder already holds 835 files and `force` was not given. */
export class OutputNotEmptyError extends Error {
  override readonly name = 'OutputNotEmptyError';
}

/**
 * Writes a synthetic data set into `dir`: the .835 files and `truth.json`. Refuses a folder that
 * already holds .835 files (their numbers would not be in the new truth) unless `force`, which
 * removes the old .835 files and truth.json first.
 */
export async function writeDataset(
  dir: string,
  options: GenerateOptions,
  force = false,
  onProgress?: (filesWritten: number, bytes: number) => void,
): Promise<WriteSummary> {
  const started = performance.now();
  await mkdir(dir, { recursive: true });
  const old = (await readdir(dir)).filter((f) => f.endsWith('.835') || f === 'truth.json');
  if (old.some((f) => f.endsWith('.835'))) {
    if (!force)
      throw new OutputNotEmptyError(`${dir} already holds .835 files; use another folder or --force`);
  }
  if (force) for (const f of old) await rm(join(dir, f));
  // Written as produced, synchronously: each file is small, memory stays flat at any scale.
  let written = 0;
  let bytes = 0;
  const truth = generateDataset(options, (file) => {
    writeFileSync(join(dir, file.name), file.text);
    written++;
    bytes += file.bytes;
    if (written % 200 === 0) onProgress?.(written, bytes);
  });
  const truthPath = join(dir, 'truth.json');
  await writeJson(truthPath, truth);
  return {
    dir,
    files: truth.counts.files,
    bytes: truth.counts.bytes,
    transactions: truth.counts.transactions,
    claims: truth.counts.claims,
    reversals: truth.counts.reversals,
    duplicateFiles: truth.counts.duplicate_files,
    truthPath,
    ms: Math.round(performance.now() - started),
    truth,
  };
}

/**
 * Writes one large 835 file of at least `targetBytes` (many concatenated interchanges), streaming
 * to disk so memory stays flat whatever the size. Returns the bytes written.
 */
export async function writeLargeFile(path: string, targetBytes: number, seed = 835): Promise<number> {
  const out = createWriteStream(path);
  let bytes = 0;
  const done = new Promise<void>((resolve, reject) => {
    out.on('finish', resolve);
    out.on('error', reject);
  });
  for (const chunk of largeFileChunks(seed)) {
    if (bytes >= targetBytes) break;
    bytes += chunk.length;
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', resolve));
  }
  out.end();
  await done;
  return bytes;
}

/**
 * Writes a value as `JSON.stringify(value, null, 2)` would, in pieces (a large data set's truth
 * is longer than one string can be), batched into writes of about 1 MiB.
 */
async function writeJson(path: string, value: unknown): Promise<void> {
  const out = createWriteStream(path);
  const done = new Promise<void>((resolve, reject) => {
    out.on('finish', resolve);
    out.on('error', reject);
  });
  let buffer = '';
  const flush = async () => {
    if (!out.write(buffer)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    buffer = '';
  };
  for (const piece of jsonChunks(value)) {
    buffer += piece;
    if (buffer.length >= 1 << 20) await flush();
  }
  buffer += '\n';
  await flush();
  out.end();
  await done;
}
