/** One object listed by a store. */
export interface StoredObject {
  key: string;
  size: number;
  /** Content tag that changes when the bytes change (S3 ETag; size+mtime for a folder). */
  etag: string;
}

/**
 * A flat key → bytes store: a local folder or an S3 bucket (optionally under a prefix).
 * Keys use `/` separators and never start with `/`. Every write is atomic per object:
 * a reader sees the old object, the new one, or none, never a partial one.
 */
export interface ObjectStore {
  /** Human-readable location, for messages (`/data/lake`, `s3://bucket/prefix`). */
  readonly location: string;
  get(key: string): Promise<Uint8Array>;
  /** Copies an object to a local file (streamed; used for large inputs and lake sync). */
  download(key: string, localPath: string): Promise<void>;
  put(key: string, body: Uint8Array | string): Promise<void>;
  /** Uploads a local file as an object (streamed). */
  putFile(key: string, localPath: string): Promise<void>;
  /**
   * Optional: moves a local file into the store (a rename when both are on one file system).
   * Callers fall back to `putFile` when a store does not offer it.
   */
  moveFile?(key: string, localPath: string): Promise<void>;
  /**
   * Optional: writes the objects one after another, in order, each atomically, and stops at the
   * first failure (an object is never written after an earlier one failed). A store offers it
   * when it can do the writing beside the caller's own work; callers otherwise `put` each.
   * The store may take the bodies over (move them to another thread): do not reuse them.
   */
  putInOrder?(objects: readonly { key: string; body: Uint8Array }[]): Promise<void>;
  exists(key: string): Promise<boolean>;
  list(prefix: string): AsyncIterable<StoredObject>;
  /**
   * Optional: the keys under a prefix, without sizes or tags (a folder lists its names without a
   * stat per file). Callers fall back to `list` (see `listKeys`).
   */
  listKeys?(prefix: string): Promise<string[]>;
  /**
   * Optional: writes an object only when no object has the key; false when one has. Atomic where
   * the store can make it so (a folder: a hard link; S3: a conditional PutObject, If-None-Match).
   */
  putIfAbsent?(key: string, body: Uint8Array | string): Promise<boolean>;
  /** Optional: a local file that holds the object's bytes, for reading in place (a folder store). */
  localPath?(key: string): string;
  delete(key: string): Promise<void>;
}

/** Every key under a prefix, sorted. */
export async function listKeys(store: ObjectStore, prefix: string): Promise<string[]> {
  if (store.listKeys !== undefined) return store.listKeys(prefix);
  const keys: string[] = [];
  for await (const object of store.list(prefix)) keys.push(object.key);
  return keys.sort();
}
