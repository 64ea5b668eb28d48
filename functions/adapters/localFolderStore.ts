import {
  createReadStream,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { ObjectStore, StoredObject } from '../ports/objectStore.ts';
import { backgroundFileWriter } from './backgroundFileWriter.ts';

/**
 * The object-store port over a local folder. Writes go to a temporary name, then rename (atomic).
 * Small writes and existence checks use synchronous calls: on a local disk they take microseconds,
 * where a round trip through libuv's thread pool per call dominated ingest time. Batches of
 * writes (`putInOrder`, the lake writer's commits) go to a writer thread, so that ingest parses
 * the next files while the file system creates these.
 */
export class LocalFolderStore implements ObjectStore {
  private readonly knownDirs = new Set<string>();

  constructor(readonly root: string) {}

  get location(): string {
    return this.root;
  }

  async get(key: string): Promise<Uint8Array> {
    return readFile(this.path(key));
  }

  async download(key: string, localPath: string): Promise<void> {
    await mkdir(dirname(localPath), { recursive: true });
    await copyFile(this.path(key), localPath);
  }

  async put(key: string, body: Uint8Array | string): Promise<void> {
    const target = this.path(key);
    const temp = this.tempName();
    writeFileSync(temp, body);
    try {
      renameSync(temp, target);
    } catch (error) {
      // The target's folder does not exist yet (or was removed): make it, then rename.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      mkdirSync(dirname(target), { recursive: true });
      renameSync(temp, target);
    }
  }

  async putInOrder(objects: readonly { key: string; body: Uint8Array }[]): Promise<void> {
    await backgroundFileWriter.write(
      objects.map(({ key, body }) => ({ target: this.path(key), temp: this.tempName(), body })),
    );
  }

  async putFile(key: string, localPath: string): Promise<void> {
    const target = this.path(key);
    const temp = this.tempName();
    await mkdir(dirname(target), { recursive: true });
    await copyFile(localPath, temp);
    await rename(temp, target);
  }

  async moveFile(key: string, localPath: string): Promise<void> {
    const target = this.path(key);
    await mkdir(dirname(target), { recursive: true });
    try {
      await rename(localPath, target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
      await this.putFile(key, localPath);
      await rm(localPath, { force: true });
    }
  }

  async putIfAbsent(key: string, body: Uint8Array | string): Promise<boolean> {
    // Written whole under a temp name, then hard-linked to its key: link fails when the key
    // exists, and a reader never sees the object half-written.
    const target = this.path(key);
    const temp = this.tempName();
    writeFileSync(temp, body);
    try {
      mkdirSync(dirname(target), { recursive: true });
      linkSync(temp, target);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    } finally {
      rmSync(temp, { force: true });
    }
  }

  localPath(key: string): string {
    return this.path(key);
  }

  async listKeys(prefix: string): Promise<string[]> {
    const cut = prefix.lastIndexOf('/');
    const folder = cut < 0 ? '' : prefix.slice(0, cut);
    const keys: string[] = [];
    const walkSync = (dir: string, rel: string) => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        const key = rel === '' ? e.name : `${rel}/${e.name}`;
        if (e.isDirectory()) {
          if (prefix.startsWith(`${key}/`) || key.startsWith(prefix)) walkSync(join(dir, e.name), key);
        } else if (e.isFile() && key.startsWith(prefix) && !isTemp(key)) keys.push(key);
      }
    };
    walkSync(folder === '' ? this.root : this.path(folder), folder);
    return keys.sort();
  }

  async exists(key: string): Promise<boolean> {
    return statSync(this.path(key), { throwIfNoEntry: false })?.isFile() ?? false;
  }

  /**
   * A fresh temp path under `<root>/.tmp/`, never inside a table folder: a killed writer leaves
   * nothing there for a reader (or Athena, which reads every object under a prefix) to trip on.
   * Temp files left by killed processes are swept once per store, when older than an hour.
   */
  private tempName(): string {
    const dir = join(this.root, TEMP_DIR);
    if (!this.knownDirs.has(dir)) {
      this.ensureDir(dir);
      const now = Date.now();
      for (const name of readdirSync(dir)) {
        const info = statSync(join(dir, name), { throwIfNoEntry: false });
        if (info !== undefined && now - info.mtimeMs > STALE_TEMP_MS)
          rmSync(join(dir, name), { force: true });
      }
    }
    return join(
      dir,
      `${process.pid}-${(++tempCount).toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
    );
  }

  private ensureDir(dir: string): void {
    if (this.knownDirs.has(dir) && existsSync(dir)) return;
    mkdirSync(dir, { recursive: true });
    this.knownDirs.add(dir);
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    const start = join(this.root, prefix.split('/').slice(0, -1).join('/'));
    const files: { key: string; file: string }[] = [];
    for await (const file of walk(start)) {
      const key = relative(this.root, file).split(sep).join('/');
      if (key.startsWith(prefix) && !isTemp(key)) files.push({ key, file });
    }
    // S3 lists in UTF-8 binary key order ('a.txt' before 'a/b'); a per-directory walk does not.
    files.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const { key, file } of files) {
      let info: import('node:fs').Stats;
      try {
        info = await stat(file);
      } catch {
        continue; // deleted since the walk
      }
      yield { key, size: info.size, etag: `${info.size}-${Math.floor(info.mtimeMs)}` };
    }
  }

  async delete(key: string): Promise<void> {
    // Synchronous, like put: on a local disk an unlink takes microseconds, a thread-pool round trip
    // per file more (compaction removes thousands).
    try {
      unlinkSync(this.path(key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }

  /** A readable stream of an object (for large files). */
  stream(key: string): NodeJS.ReadableStream {
    return createReadStream(this.path(key));
  }

  private path(key: string): string {
    if (key.startsWith('/') || key.split('/').includes('..')) throw new Error(`invalid object key: ${key}`);
    return join(this.root, ...key.split('/'));
  }
}

/** Temp names taken by this process (with the pid and a random part, unique across processes). */
let tempCount = 0;

/** Where writes are staged before their rename: inside the root (same file system), outside every table. */
const TEMP_DIR = '.tmp';
/** A temp file this old was left by a killed process. */
const STALE_TEMP_MS = 60 * 60 * 1000;

function isTemp(key: string): boolean {
  return key.startsWith(`${TEMP_DIR}/`);
}

async function* walk(dir: string): AsyncIterable<string> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full);
    else if (entry.isFile()) yield full;
  }
}
