import { Worker } from 'node:worker_threads';

/** One file to write: its bytes go to `temp`, which is then renamed to `target` (atomic). */
export interface FileWrite {
  target: string;
  temp: string;
  body: Uint8Array;
}

/**
 * The writer thread's code. Plain JavaScript in a string (`eval`), so it needs no TypeScript
 * loader and no bundler entry: it runs the same under tsx, vitest and in a Lambda bundle.
 * A batch is written in order and stops at its first failure, so a file later in the batch
 * (a remittance file, which makes its claims visible) is never written after one before it failed.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const path = require('node:path');
const dirs = new Set();
function ensureDir(dir) {
  if (dirs.has(dir)) return;
  fs.mkdirSync(dir, { recursive: true });
  dirs.add(dir);
}
function writeOne(item) {
  const targetDir = path.dirname(item.target);
  ensureDir(path.dirname(item.temp));
  ensureDir(targetDir);
  try {
    fs.writeFileSync(item.temp, item.body);
  } catch (error) {
    if (error.code !== 'ENOENT') throw error;
    dirs.clear();
    ensureDir(path.dirname(item.temp));
    fs.writeFileSync(item.temp, item.body);
  }
  try {
    fs.renameSync(item.temp, item.target);
  } catch (error) {
    if (error.code !== 'ENOENT') throw error;
    // A folder removed since it was made (a test, an operator): make it again.
    dirs.clear();
    ensureDir(targetDir);
    fs.renameSync(item.temp, item.target);
  }
}
parentPort.on('message', ({ id, items }) => {
  let done = 0;
  try {
    for (const item of items) {
      writeOne(item);
      done++;
    }
    parentPort.postMessage({ id });
  } catch (error) {
    try { fs.rmSync(items[done].temp, { force: true }); } catch {}
    parentPort.postMessage({ id, error: { message: String(error && error.message), code: error && error.code } });
  }
});
`;

interface Pending {
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * Writes files on a thread of its own, so that an ingest goes on parsing and encoding while
 * the file system creates the lake's files (on a disk, creating thousands of small files costs
 * more than computing them). One thread per process, started on first use; it does not keep
 * the process alive when idle.
 */
export class BackgroundFileWriter {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  /**
   * Writes the files in order; resolves when all are in place, rejects at the first failure.
   * A body that is the whole of its memory block is moved to the thread, not copied: the caller
   * must not use it afterwards.
   */
  write(items: readonly FileWrite[]): Promise<void> {
    if (items.length === 0) return Promise.resolve();
    const worker = this.start();
    const id = this.nextId++;
    const transfer: ArrayBuffer[] = [];
    for (const { body } of items) {
      const block = body.buffer;
      if (block instanceof ArrayBuffer && body.byteOffset === 0 && body.byteLength === block.byteLength)
        transfer.push(block);
    }
    return new Promise<void>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) worker.ref();
      worker.postMessage({ id, items }, transfer);
    });
  }

  private start(): Worker {
    if (this.worker !== null) return this.worker;
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.unref();
    worker.on('message', (message: { id: number; error?: { message: string; code?: string } }) => {
      const p = this.pending.get(message.id);
      if (p === undefined) return;
      this.pending.delete(message.id);
      if (this.pending.size === 0) worker.unref();
      if (message.error === undefined) p.resolve();
      else {
        const error = new Error(message.error.message) as NodeJS.ErrnoException;
        if (message.error.code !== undefined) error.code = message.error.code;
        p.reject(error);
      }
    });
    const fail = (error: Error) => {
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
      this.worker = null;
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (this.worker === worker) fail(new Error(`file writer thread exited (code ${code})`));
    });
    this.worker = worker;
    return worker;
  }
}

/** The process's writer thread. */
export const backgroundFileWriter = new BackgroundFileWriter();
