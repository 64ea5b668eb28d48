import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  paginateListObjectsV2,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { ObjectStore, StoredObject } from '../ports/objectStore.ts';
import { s3 as defaultClient } from './awsClients.ts';

export interface S3ObjectStoreOptions {
  /** Key prefix inside the bucket; keys of the store are relative to it. */
  prefix?: string;
  client?: S3Client;
  /** Keys per ListObjectsV2 page (S3 caps it at 1000). */
  pageSize?: number;
}

/** The object-store port over an S3 bucket, optionally under a key prefix. A PutObject is atomic per object. */
export class S3ObjectStore implements ObjectStore {
  readonly prefix: string;
  private readonly client: S3Client;
  private readonly pageSize: number | undefined;

  constructor(
    readonly bucket: string,
    options: S3ObjectStoreOptions = {},
  ) {
    const prefix = options.prefix ?? '';
    this.prefix = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
    this.client = options.client ?? defaultClient;
    this.pageSize = options.pageSize;
  }

  get location(): string {
    return `s3://${this.bucket}/${this.prefix}`;
  }

  async get(key: string): Promise<Uint8Array> {
    const response = await this.client.send(
      new GetObjectCommand({ Bucket: this.bucket, Key: this.key(key) }),
    );
    if (!response.Body) throw new Error(`empty body for ${this.location}${key}`);
    return response.Body.transformToByteArray();
  }

  async download(key: string, localPath: string): Promise<void> {
    const response = await this.client.send(
      new GetObjectCommand({ Bucket: this.bucket, Key: this.key(key) }),
    );
    if (!response.Body) throw new Error(`empty body for ${this.location}${key}`);
    await mkdir(dirname(localPath), { recursive: true });
    // A failed transfer must not leave a truncated file under the final name.
    const temp = `${localPath}.part-${process.pid}-${Math.random().toString(36).slice(2)}`;
    try {
      await pipeline(response.Body as Readable, createWriteStream(temp));
      await rename(temp, localPath);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  async put(key: string, body: Uint8Array | string): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.key(key), Body: body }));
  }

  async putFile(key: string, localPath: string): Promise<void> {
    // Single PutObject (up to 5 GB): S3 makes it visible all at once or not at all. The SDK cannot
    // retry a streamed body it has consumed, so transient failures are retried here, each attempt
    // with a fresh stream.
    const { size } = await stat(localPath);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: this.key(key),
            Body: createReadStream(localPath),
            ContentLength: size,
          }),
        );
        return;
      } catch (error) {
        if (attempt >= PUT_FILE_ATTEMPTS || !isTransient(error)) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** (attempt - 1)));
      }
    }
  }

  async putIfAbsent(key: string, body: Uint8Array | string): Promise<boolean> {
    // S3 refuses a conditional put over an existing key (412). A server that ignores the
    // condition (s3rver does) overwrites: callers must not rely on it alone for mutual exclusion.
    try {
      await this.client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: this.key(key), Body: body, IfNoneMatch: '*' }),
      );
      return true;
    } catch (error) {
      const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (e.$metadata?.httpStatusCode === 412 || e.name === 'PreconditionFailed') return false;
      throw error;
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    const pages = paginateListObjectsV2(
      { client: this.client, ...(this.pageSize ? { pageSize: this.pageSize } : {}) },
      { Bucket: this.bucket, Prefix: this.key(prefix) },
    );
    for await (const page of pages) {
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue;
        yield {
          key: object.Key.slice(this.prefix.length),
          size: object.Size ?? 0,
          etag: (object.ETag ?? '').replace(/"/g, ''),
        };
      }
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
  }

  private key(key: string): string {
    if (key.startsWith('/') || key.split('/').includes('..')) throw new Error(`invalid object key: ${key}`);
    return `${this.prefix}${key}`;
  }
}

function isNotFound(error: unknown): boolean {
  const candidate = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return (
    candidate.name === 'NotFound' ||
    candidate.name === 'NoSuchKey' ||
    candidate.$metadata?.httpStatusCode === 404
  );
}

/** Attempts of a streamed upload (about 3 s of backoff in all). */
const PUT_FILE_ATTEMPTS = 5;

/** Network failures, throttling and 5xx answers are worth another try; 4xx answers are not. */
function isTransient(error: unknown): boolean {
  const e = error as {
    name?: string;
    code?: string;
    $metadata?: { httpStatusCode?: number };
    $retryable?: unknown;
  };
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined) return status >= 500 || status === 429 || e.$retryable !== undefined;
  return true; // no HTTP answer at all: connection refused or reset, DNS, timeout
}
