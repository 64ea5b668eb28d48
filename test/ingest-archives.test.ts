import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLakeViews } from '../functions/adapters/duckdb/lakeViews.ts';
import { openDuckDb } from '../functions/adapters/duckdb/openDuckDb.ts';
import { runQuery } from '../functions/adapters/duckdb/runQuery.ts';
import { LocalFolderStore } from '../functions/adapters/localFolderStore.ts';
import { S3ObjectStore } from '../functions/adapters/s3ObjectStore.ts';
import { processIngestEvent } from '../functions/aws/ingestEvent.ts';
import { Era835Parser, parse835 } from '../functions/core/era/parse835.ts';
import type { X12Error } from '../functions/core/x12/errors.ts';
import type { IngestInput, IngestProgress, IngestSummary } from '../functions/ingest/ingestFiles.ts';
import { ingestToLake } from '../functions/wiring/ingestToLake.ts';
import { fixturePath, readFixture } from './helpers/fixtures.ts';
import { type RunningS3rver, startS3rver, toSqsS3Event } from './helpers/s3rver.ts';
import { writeZip } from './helpers/zipWriter.ts';

// Compressed deliveries and files that are not text at all (issue 27, point 8): .gz and .zip are
// read in the ingest input layer (so the Lambda reads them too), each zip entry ingested or
// quarantined on its own; a binary file is quarantined with a reason that says what it is.

const ACME = ['recoup', 'acme-2024-03-01-reversal-with-correction.835'];
const BETA = ['recoup', 'beta-2024-04-05-deferred-wo.835'];
const FULL = ['cases', 'full-claim-5010.835'];
const MULTI = ['cases', 'multi-gs-st.835'];
const BAD = ['bad', 'bad-amount.835'];

let dir: string;
let lake: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'recoup-archives-'));
  lake = join(dir, 'lake');
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Writes files into `dir/in` and returns them as ingest inputs, in the order given. */
function inputs(files: Record<string, Uint8Array | string>): IngestInput[] {
  const folder = join(dir, 'in');
  mkdirSync(folder, { recursive: true });
  return Object.entries(files).map(([name, content]) => {
    const path = join(folder, name);
    writeFileSync(path, content);
    return { path, key: name, size: statSync(path).size };
  });
}

/** The last progress report of each ingest, to hold the counts to what was read. */
let lastProgress: IngestProgress | undefined;

async function ingest(list: IngestInput[], scratch = join(dir, 'scratch')): Promise<IngestSummary> {
  lastProgress = undefined;
  return ingestToLake(list, {
    lake: new LocalFolderStore(lake),
    scratch,
    onProgress: (p) => {
      lastProgress = p;
    },
  });
}

/** source_key → source_sha256 of the remittances in the lake. */
async function lakeSources(): Promise<Record<string, string[]>> {
  const db: DuckDBConnection = await openDuckDb();
  try {
    await createLakeViews(db, lake);
    const { rows } = await runQuery(
      db,
      'SELECT source_key, source_sha256 FROM remittances ORDER BY source_key, source_sha256',
    );
    const out: Record<string, string[]> = {};
    for (const r of rows) {
      const key = String(r.source_key);
      out[key] = [...(out[key] ?? []), String(r.source_sha256)];
    }
    return out;
  } finally {
    db.closeSync();
  }
}

describe('zip deliveries', () => {
  it('reads a zip made by Info-ZIP: each entry on its own, the bad one quarantined alone', async () => {
    // Prepare: test/fixtures/835/archives/clearinghouse-batch.zip holds two recoup fixtures and,
    // in week2/, bad-amount.835 (see the fixtures README).
    const path = fixturePath('archives', 'clearinghouse-batch.zip');
    const zip: IngestInput = { path, key: 'drop/clearinghouse-batch.zip', size: statSync(path).size };

    // Act
    const summary = await ingest([zip]);

    // Assess: the two good entries are in the lake under their own names, byte for byte the
    // fixtures; the bad one is quarantined as itself, with the parser's reason.
    expect(summary).toMatchObject({ files: 3, quarantined: 1, remittances_written: 2 });
    expect(await lakeSources()).toEqual({
      'drop/clearinghouse-batch.zip!/acme-2024-03-01-reversal-with-correction.835': [
        sha256(readFixture(...ACME)),
      ],
      'drop/clearinghouse-batch.zip!/beta-2024-04-05-deferred-wo.835': [sha256(readFixture(...BETA))],
    });
    const [q] = summary.quarantined_files;
    expect(q).toMatchObject({
      file: 'drop/clearinghouse-batch.zip!/week2/bad-amount.835',
      code: 'BAD_AMOUNT',
    });
    expect(readFileSync(join(lake, q?.quarantine_key as string), 'utf8')).toBe(readFixture(...BAD));
  });

  it('re-delivered as plain files, the zipped remittances are duplicates', async () => {
    const zip = inputs({ 'batch.zip': writeZip([{ name: 'a.835', data: readFixture(...ACME) }]) });
    await ingest(zip);

    const again = await ingest(inputs({ 'acme.835': readFixture(...ACME) }));

    expect(again).toMatchObject({ duplicates: 1, remittances_written: 0 });
  });

  it('reads stored, deflated, streamed (data descriptor), zip64 and nested entries, and skips folders and macOS junk', async () => {
    const zip = writeZip([
      { name: 'stored/acme.835', data: readFixture(...ACME), method: 0 },
      { name: 'beta.835', data: readFixture(...BETA), dataDescriptor: true },
      { name: 'big/full.835', data: readFixture(...FULL), zip64: true },
      { name: 'inner/multi.835.gz', data: gzipSync(readFixture(...MULTI)) },
      { name: 'docs/', data: '' },
      { name: '__MACOSX/._beta.835', data: 'resource fork' },
      { name: 'docs/.DS_Store', data: 'finder' },
    ]);

    const summary = await ingest(inputs({ 'week.zip': zip }));

    expect(summary.quarantined_files).toEqual([]);
    expect(summary.files).toBe(4);
    // Progress counts the entries read, not the one archive given, and ends at its total.
    expect(lastProgress).toMatchObject({ filesDone: 4, filesTotal: 4 });
    expect(lastProgress?.bytesDone).toBe(lastProgress?.bytesTotal);
    const sources = await lakeSources();
    expect(Object.keys(sources).sort()).toEqual([
      'week.zip!/beta.835',
      'week.zip!/big/full.835',
      'week.zip!/inner/multi.835.gz!/multi.835',
      'week.zip!/stored/acme.835',
    ]);
    expect(sources['week.zip!/inner/multi.835.gz!/multi.835']).toHaveLength(
      parse835(readFixture(...MULTI), { key: 'm', sha256: '', ingestedAt: '2024-01-01T00:00:00Z' }).length,
    );
  });

  it('quarantines the archive once, naming every entry it could not extract, and reads the rest', async () => {
    const zip = writeZip([
      { name: 'good.835', data: readFixture(...ACME) },
      { name: 'locked.835', data: readFixture(...BETA), encrypted: true },
      { name: 'bzip2.835', data: readFixture(...FULL), method: 12 },
      { name: 'damaged.835', data: readFixture(...MULTI), badCrc: true },
    ]);

    const summary = await ingest(inputs({ 'mixed.zip': zip }));

    expect(summary).toMatchObject({ files: 2, quarantined: 1, remittances_written: 1 });
    expect(lastProgress).toMatchObject({ filesDone: 2, filesTotal: 2 });
    const [q] = summary.quarantined_files;
    expect(q?.file).toBe('mixed.zip');
    expect(q?.code).toBe('BAD_ARCHIVE');
    expect(q?.reason).toBe(
      '3 of 4 zip entries could not be read (the others were): ' +
        'locked.835: it is encrypted; recoup reads unencrypted archives only; ' +
        'bzip2.835: compression method 12 is not supported (only stored and deflate); re-pack the archive with deflate; ' +
        'damaged.835: its CRC-32 does not match (damaged)',
    );
    // The quarantine keeps the whole archive, under its own name, so it can be fixed and re-sent.
    expect(q?.quarantine_key).toMatch(/^quarantine\/[0-9a-f]{12}-mixed\.zip$/);
    expect(readFileSync(join(lake, q?.quarantine_key as string)).equals(zip)).toBe(true);
    expect(Object.keys(await lakeSources())).toEqual(['mixed.zip!/good.835']);
  });

  it('quarantines a zip it cannot open, and leaves no extracted file behind', async () => {
    const whole = writeZip([{ name: 'a.835', data: readFixture(...ACME) }]);
    const scratch = join(dir, 'scratch');

    const summary = await ingest(
      inputs({
        'truncated.zip': whole.subarray(0, whole.length - 30),
        'ok.zip': whole,
        'plain.835': readFixture(...BETA),
      }),
      scratch,
    );

    expect(summary.quarantined_files.map((q) => [q.file, q.code, q.reason])).toEqual([
      ['truncated.zip', 'BAD_ARCHIVE', 'not a zip archive (no end of central directory)'],
    ]);
    expect(summary.remittances_written).toBe(2);
    expect(readdirSync(scratch).filter((f) => f.startsWith('unpacked-'))).toEqual([]);
  });
});

describe('gzip deliveries', () => {
  it('reads a .gz file, several gzip members included, under the name inside it', async () => {
    const twoMembers = Buffer.concat([gzipSync(readFixture(...BETA)), gzipSync(readFixture(...FULL))]);

    const summary = await ingest(
      inputs({ 'acme.835.gz': gzipSync(readFixture(...ACME)), 'two.835.gz': twoMembers }),
    );

    expect(summary.quarantined_files).toEqual([]);
    const sources = await lakeSources();
    expect(sources['acme.835.gz!/acme.835']).toEqual([sha256(readFixture(...ACME))]);
    // Two members are one file, the two interchanges one after the other.
    expect(sources['two.835.gz!/two.835']).toHaveLength(2);
  });

  it('quarantines a .gz that is not gzip data', async () => {
    const summary = await ingest(inputs({ 'fake.835.gz': readFixture(...ACME) }));

    expect(summary.quarantined_files.map((q) => [q.file, q.code, q.reason])).toEqual([
      ['fake.835.gz', 'BAD_ARCHIVE', 'not readable gzip data: incorrect header check'],
    ]);
  });
});

describe('files that are not text', () => {
  const random = (n: number, seed: number) => {
    const bytes = Buffer.alloc(n);
    let x = seed;
    for (let i = 0; i < n; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      bytes[i] = x >>> 24;
    }
    return bytes;
  };

  it('are quarantined with a reason naming what they are, never a byte order mark they lack', async () => {
    const files = {
      'scan.835': Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), random(4000, 1)]),
      'logo.835': Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), random(4000, 2)]),
      'remit.pdf': Buffer.concat([Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1'), random(4000, 3)]),
      'remits.835': Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), random(4000, 4)]),
      'noise.835': Buffer.concat([Buffer.from([0xfe, 0x41, 0x02]), random(4000, 5)]),
      'utf16.835': Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(readFixture(...ACME), 'utf16le')]),
      'utf16-no-bom.835': Buffer.from(readFixture(...ACME), 'utf16le'),
    };

    const summary = await ingest(inputs(files));

    const reasons = Object.fromEntries(
      summary.quarantined_files.map((q) => [q.file, `${q.code}: ${q.reason}`]),
    );
    expect(reasons).toEqual({
      'scan.835': 'UNSUPPORTED_ENCODING: file is a JPEG image, not X12 text',
      'logo.835': 'UNSUPPORTED_ENCODING: file is a PNG image, not X12 text',
      'remit.pdf': expect.stringMatching(
        /^(UNSUPPORTED_ENCODING|NO_ISA): file is a PDF document, not X12 text$/,
      ),
      'remits.835':
        'UNSUPPORTED_ENCODING: file is a zip archive (or an Office document, which is one), not X12 text ' +
        '(a zip delivery is read when its name ends in .zip)',
      'noise.835':
        'UNSUPPORTED_ENCODING: file is binary, not X12 text (byte 0x02 at offset 2 is a control byte)',
      'utf16.835':
        'UNSUPPORTED_ENCODING: file is UTF-16 text (it starts with a UTF-16 byte order mark); X12 must be ASCII or UTF-8',
      'utf16-no-bom.835':
        'UNSUPPORTED_ENCODING: file is UTF-16 text without a byte order mark; X12 must be ASCII or UTF-8',
    });
  });

  it('the 835 reader itself says "UTF-16 byte order mark" only for FF FE or FE FF', () => {
    const readerOf = (bytes: Uint8Array) => {
      const parser = new Era835Parser({ key: 'x', sha256: '', ingestedAt: '2024-01-01T00:00:00Z' }, () => {});
      try {
        parser.writeBytes(bytes);
        parser.end();
      } catch (error) {
        return `${(error as X12Error).code}: ${(error as X12Error).reason}`;
      }
      return null;
    };

    expect(readerOf(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x41, 0x42]))).toBe(
      'UNSUPPORTED_ENCODING: file is not ASCII/UTF-8 text (binary content, or UTF-16)',
    );
    expect(readerOf(Buffer.from([0xff, 0xfe, 0x49, 0x00, 0x53, 0x00]))).toBe(
      'UNSUPPORTED_ENCODING: file is not ASCII/UTF-8 (UTF-16 byte order mark)',
    );
  });
});

describe('the ingest Lambda', () => {
  let s3: RunningS3rver;
  let scratch: string;

  beforeAll(async () => {
    s3 = await startS3rver(['landing', 'lake']);
    scratch = mkdtempSync(join(tmpdir(), 'recoup-archives-lambda-'));
  });

  afterAll(async () => {
    await s3?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('reads a zip landed in S3, entry by entry, into the lake bucket', async () => {
    // Prepare
    const zip = writeZip([
      { name: 'acme.835', data: readFixture(...ACME) },
      { name: 'bad.835', data: readFixture(...BAD) },
    ]);
    await s3.client.send(
      new PutObjectCommand({ Bucket: 'landing', Key: 'landing/ch/batch 7.zip', Body: zip }),
    );
    const [record] = await s3.waitForRecords(1);
    const lakeStore = new S3ObjectStore('lake', { client: s3.client });

    // Act
    const response = await processIngestEvent(toSqsS3Event([record as never]), {
      lake: lakeStore,
      source: (bucket: string) => new S3ObjectStore(bucket, { client: s3.client }),
      scratch,
      log: () => {},
    });

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    const keys: string[] = [];
    for await (const o of lakeStore.list('')) keys.push(o.key);
    expect(keys.filter((k) => k.startsWith('remittances/'))).toHaveLength(1);
    const sidecar = keys.find((k) => k.endsWith('bad.835.error.json')) as string;
    const reason = JSON.parse(Buffer.from(await lakeStore.get(sidecar)).toString('utf8'));
    expect(reason).toMatchObject({
      file: 's3://landing/landing/ch/batch 7.zip!/bad.835',
      code: 'BAD_AMOUNT',
    });
  });
});
