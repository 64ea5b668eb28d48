import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalFolderStore } from '../functions/adapters/localFolderStore.ts';
import { S3ObjectStore } from '../functions/adapters/s3ObjectStore.ts';
import { listKeys, type ObjectStore, type StoredObject } from '../functions/ports/objectStore.ts';
import { type RunningS3rver, startS3rver } from './helpers/s3rver.ts';

const BUCKET = 'contract-bucket';

let s3rver: RunningS3rver;
let scratch: string;
let storeCount = 0;

beforeAll(async () => {
  s3rver = await startS3rver([BUCKET]);
  scratch = await mkdtemp(join(tmpdir(), 'recoup-store-contract-'));
});

afterAll(async () => {
  await s3rver?.stop();
  await rm(scratch, { recursive: true, force: true });
});

async function collect(store: ObjectStore, prefix: string): Promise<StoredObject[]> {
  const objects: StoredObject[] = [];
  for await (const object of store.list(prefix)) objects.push(object);
  return objects;
}

function sortedKeys(objects: StoredObject[]): string[] {
  return objects.map((object) => object.key).sort();
}

/** Each case gets a fresh, empty store so cases never see each other's objects. */
const backends: { name: string; create: () => Promise<ObjectStore> }[] = [
  {
    name: 'LocalFolderStore',
    create: async () => new LocalFolderStore(await mkdtemp(join(scratch, 'folder-'))),
  },
  {
    name: 'S3ObjectStore (s3rver)',
    // pageSize 2 makes every multi-object listing span several ListObjectsV2 pages.
    create: async () =>
      new S3ObjectStore(BUCKET, { prefix: `store-${++storeCount}`, client: s3rver.client, pageSize: 2 }),
  },
];

describe.each(backends)('ObjectStore contract: $name', ({ create }) => {
  it('reads back bytes and strings exactly as written', async () => {
    const store = await create();
    const bytes = new Uint8Array([0, 1, 2, 253, 254, 255]);

    await store.put('raw/bytes.bin', bytes);
    await store.put('raw/text.835', 'ISA*00*~GS*HP~ Ünïcode ✓');

    expect(Array.from(await store.get('raw/bytes.bin'))).toEqual(Array.from(bytes));
    expect(new TextDecoder().decode(await store.get('raw/text.835'))).toBe('ISA*00*~GS*HP~ Ünïcode ✓');
  });

  it('replaces an object on a second put', async () => {
    const store = await create();

    await store.put('a.txt', 'first version');
    await store.put('a.txt', 'second');

    expect(new TextDecoder().decode(await store.get('a.txt'))).toBe('second');
    expect(await collect(store, '')).toHaveLength(1);
  });

  it('reports existence and rejects reads of a missing key', async () => {
    const store = await create();
    await store.put('present.txt', 'x');

    expect(await store.exists('present.txt')).toBe(true);
    expect(await store.exists('absent.txt')).toBe(false);
    expect(await store.exists('present')).toBe(false);
    await expect(store.get('absent.txt')).rejects.toThrow();
  });

  // Order is not part of the contract. s3rver walks its folders, so it lists 'a.txt' after 'a/b' and
  // then loses 'a.txt' when a page boundary falls between them; real S3 does not, so no key here
  // puts a '.' sibling beside a '/' folder of the same name.
  it('lists every object under a prefix recursively, with sizes, across pages', async () => {
    const store = await create();
    const keys = [
      'claims/payer_id=P1/payment_month=2024-01/r1.parquet',
      'remittances/payer_id=P1/payment_month=2024-01/r1.parquet',
      'remittances/payer_id=P1/payment_month=2024-02/r2.parquet',
      'remittances/payer_id=P2/payment_month=2024-01/r3.parquet',
      'remittances_old.txt',
      'remittances/a b+c.parquet',
    ];
    for (const [index, key] of keys.entries()) await store.put(key, 'x'.repeat(index + 1));

    const all = await collect(store, '');
    const remittances = await collect(store, 'remittances/');
    const partial = await collect(store, 'remittances/payer_id=P1/pay');

    expect(sortedKeys(all)).toEqual([...keys].sort());
    expect(sortedKeys(remittances)).toEqual([
      'remittances/a b+c.parquet',
      'remittances/payer_id=P1/payment_month=2024-01/r1.parquet',
      'remittances/payer_id=P1/payment_month=2024-02/r2.parquet',
      'remittances/payer_id=P2/payment_month=2024-01/r3.parquet',
    ]);
    expect(partial.map((object) => object.size).sort()).toEqual([2, 3]);
    expect(await collect(store, 'adjustments/')).toEqual([]);
  });

  it('changes the etag when the bytes change', async () => {
    const store = await create();
    await store.put('tagged.txt', 'one');
    const [before] = await collect(store, 'tagged.txt');

    await store.put('tagged.txt', 'a longer replacement');
    const [after] = await collect(store, 'tagged.txt');

    expect(before!.etag).not.toBe('');
    expect(after!.etag).not.toBe(before!.etag);
    expect(after!.size).toBe('a longer replacement'.length);
  });

  it('uploads from a file and downloads to a file byte for byte (3 MB, streamed)', async () => {
    const store = await create();
    const payload = randomBytes(3 * 1024 * 1024);
    const source = join(scratch, `upload-${randomBytes(4).toString('hex')}.bin`);
    await writeFile(source, payload);
    const targetDir = join(scratch, `download-${randomBytes(4).toString('hex')}`, 'nested');
    const target = join(targetDir, 'copy.bin');

    await store.putFile('big/file.bin', source);
    await store.download('big/file.bin', target);

    expect(Buffer.compare(await readFile(target), payload)).toBe(0);
    expect((await collect(store, 'big/'))[0]!.size).toBe(payload.length);
    expect(await readdir(targetDir)).toEqual(['copy.bin']);
  });

  it('deletes an object, and deleting a missing one is not an error', async () => {
    const store = await create();
    await store.put('gone.txt', 'bye');
    await store.put('kept.txt', 'stay');

    await store.delete('gone.txt');
    await store.delete('never-existed.txt');

    expect(await store.exists('gone.txt')).toBe(false);
    expect(sortedKeys(await collect(store, ''))).toEqual(['kept.txt']);
  });

  it('listKeys gives the keys list gives, sorted, under any prefix', async () => {
    const store = await create();
    const keys = [
      'claims/payer_id=P1/payment_month=2024-01/r1.parquet',
      'compacted/_manifests/payer_id=P1/payment_month=2024-01/g00000001.json',
      'compacted/claims/payer_id=P1/payment_month=2024-01/g00000001-ab-0.parquet',
      'remittances/payer_id=P1/payment_month=2024-01/k1-0001.parquet',
      'remittances/payer_id=P1/payment_month=2024-01/k1-0002.parquet',
      'remittances/payer_id=P1/payment_month=2024-01/k2.parquet',
    ];
    for (const key of keys) await store.put(key, 'x');
    for (const prefix of [
      '',
      'compacted/',
      'remittances/payer_id=P1/payment_month=2024-01/',
      'remittances/payer_id=P1/payment_month=2024-01/k1',
      'nothing/',
    ]) {
      expect(await listKeys(store, prefix), prefix).toEqual(sortedKeys(await collect(store, prefix)).sort());
    }
    expect(await listKeys(store, 'remittances/payer_id=P1/payment_month=2024-01/k1')).toEqual(
      keys.slice(3, 5),
    );
  });

  it('putIfAbsent writes a missing object whole', async () => {
    const store = await create();
    expect(await store.putIfAbsent?.('lock.json', '{"a":1}')).toBe(true);
    expect(new TextDecoder().decode(await store.get('lock.json'))).toBe('{"a":1}');
  });

  it('refuses keys that escape the store', async () => {
    const store = await create();

    await expect(store.put('../escape.txt', 'x')).rejects.toThrow(/invalid object key/);
    await expect(store.put('/absolute.txt', 'x')).rejects.toThrow(/invalid object key/);
  });
});

describe('S3ObjectStore specifics', () => {
  it('keeps keys under its prefix in the bucket and strips it when listing', async () => {
    const store = new S3ObjectStore(BUCKET, { prefix: 'lake', client: s3rver.client });

    await store.put('claims/x.parquet', 'x');

    const raw = await s3rver.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'lake/' }));
    expect(raw.Contents?.map((object) => object.Key)).toEqual(['lake/claims/x.parquet']);
    expect((await collect(store, 'claims/')).map((object) => object.key)).toEqual(['claims/x.parquet']);
    expect(store.location).toBe(`s3://${BUCKET}/lake/`);
  });

  it('stores a streamed upload as plain bytes, not aws-chunked', async () => {
    const store = new S3ObjectStore(BUCKET, { prefix: 'chunked', client: s3rver.client });
    const source = join(scratch, 'plain.txt');
    await writeFile(source, 'ISA*00*plain~');

    await store.putFile('plain.txt', source);

    const object = await s3rver.client.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: 'chunked/plain.txt' }),
    );
    expect(await object.Body!.transformToString()).toBe('ISA*00*plain~');
  });
});

describe('LocalFolderStore specifics', () => {
  it('putIfAbsent refuses an existing key and leaves it as it was (the compaction lease)', async () => {
    const store = new LocalFolderStore(await mkdtemp(join(scratch, 'lease-')));
    expect(await store.putIfAbsent('compacted/_lock.json', 'first')).toBe(true);
    expect(await store.putIfAbsent('compacted/_lock.json', 'second')).toBe(false);
    expect(new TextDecoder().decode(await store.get('compacted/_lock.json'))).toBe('first');
    expect(await collect(store, '')).toHaveLength(1);
  });

  it('never lists a half-written temp file', async () => {
    const root = await mkdtemp(join(scratch, 'temp-'));
    const store = new LocalFolderStore(root);
    await store.put('t/done.txt', 'done');
    // Writes are staged under <root>/.tmp/ (never beside the object); a killed writer's leftover there
    // is not an object.
    await writeFile(join(root, '.tmp', '123-abc'), 'half');

    expect((await collect(store, '')).map((object) => object.key)).toEqual(['t/done.txt']);
    expect(await readdir(join(root, 't'))).toEqual(['done.txt']);
  });

  it('putInOrder writes a batch on its writer thread, in order, and stops at the first failure', async () => {
    const root = await mkdtemp(join(scratch, 'ordered-'));
    const store = new LocalFolderStore(root);
    const text = (s: string) => new TextEncoder().encode(s);
    await store.putInOrder([
      { key: 'claims/p=1/a.parquet', body: text('claims a') },
      { key: 'remittances/p=1/a.parquet', body: text('remit a') },
      { key: 'claims/p=2/b.parquet', body: text('claims b') },
    ]);
    expect(sortedKeys(await collect(store, ''))).toEqual([
      'claims/p=1/a.parquet',
      'claims/p=2/b.parquet',
      'remittances/p=1/a.parquet',
    ]);
    expect(new TextDecoder().decode(await store.get('remittances/p=1/a.parquet'))).toBe('remit a');

    // A plain file where a folder must go makes the second write fail: the third, which would make
    // the second visible (a remittance after its claims), must not be written.
    await writeFile(join(root, 'blocked'), 'a file, not a folder');
    const failed = store.putInOrder([
      { key: 'claims/p=3/c.parquet', body: text('claims c') },
      { key: 'blocked/c.parquet', body: text('x') },
      { key: 'remittances/p=3/c.parquet', body: text('remit c') },
    ]);
    await expect(failed).rejects.toThrow(/ENOTDIR|EEXIST|not a directory/i);
    expect(await store.exists('claims/p=3/c.parquet')).toBe(true);
    expect(await store.exists('remittances/p=3/c.parquet')).toBe(false);
    // Nothing half-written is left as an object.
    expect(sortedKeys(await collect(store, '')).filter((k) => k.includes('p=3'))).toEqual([
      'claims/p=3/c.parquet',
    ]);
  });
});
