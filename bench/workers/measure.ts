/**
 * One benchmark measurement in its own process, so peak RSS belongs to that measurement alone.
 * Usage: node --import tsx bench/workers/measure.ts <mode> <file-list.json> <runs>
 * Prints one JSON line: { mode, bytes, seconds: [...], maxRssMb, detail }.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { LocalFolderStore } from '../../functions/adapters/localFolderStore.ts';
import { Era835Parser } from '../../functions/core/era/parse835.ts';
import { ingestToLake } from '../../functions/wiring/ingestToLake.ts';

const [mode, listFile, runsText] = process.argv.slice(2);
const files = JSON.parse(readFileSync(listFile as string, 'utf8')) as { path: string; size: number }[];
const runs = Number(runsText ?? '5');
const bytes = files.reduce((n, f) => n + f.size, 0);
const source = { key: 'bench', sha256: '0', ingestedAt: '2026-01-01T00:00:00Z' };
const require = createRequire(import.meta.url);

/** Loads every file into memory first (its bytes, as read): the in-memory modes time parsing, not disk. */
function loadFiles(): Buffer[] {
  return files.map((f) => readFileSync(f.path));
}

async function time(fn: () => Promise<unknown> | unknown): Promise<number> {
  const start = performance.now();
  await fn();
  return (performance.now() - start) / 1000;
}

const seconds: number[] = [];
let detail: Record<string, unknown> = {};

switch (mode) {
  case 'ours-parse': {
    // Each transaction's lake columns (every value typed, balanced, categorized) are handed to
    // the callback as its SE is read, as ingest consumes them, and dropped. The parser is given
    // each file's bytes, as ingest gives it what it reads (x12-parser is given bytes too;
    // node-x12 takes only a string, and is given the decoded text).
    const inputs = loadFiles();
    let rows = 0;
    for (let r = 0; r < runs; r++) {
      rows = 0;
      seconds.push(
        await time(() => {
          for (const bytes of inputs) {
            const parser = new Era835Parser(source, (remit) => {
              rows += 1 + remit.claims.length + remit.adjustments.length;
            });
            parser.writeBytes(bytes);
            parser.end();
          }
        }),
      );
    }
    detail = { rows };
    break;
  }
  case 'ours-parse-stream': {
    // Streams each file from disk as ingest does (1 MiB reads into one buffer, handed over in
    // 64 KiB pieces); rows are produced and dropped (bounded memory).
    const { closeSync, openSync, readSync } = await import('node:fs');
    let rows = 0;
    for (let r = 0; r < runs; r++) {
      rows = 0;
      seconds.push(
        await time(() => {
          const buffer = Buffer.allocUnsafe(1 << 20);
          for (const f of files) {
            const parser = new Era835Parser(source, (remit) => {
              rows += 1 + remit.claims.length + remit.adjustments.length;
            });
            const fd = openSync(f.path, 'r');
            for (let n = readSync(fd, buffer); n > 0; n = readSync(fd, buffer)) {
              for (let at = 0; at < n; at += 1 << 16)
                parser.writeBytes(buffer.subarray(at, Math.min(n, at + (1 << 16))));
            }
            closeSync(fd);
            parser.end();
          }
        }),
      );
    }
    detail = { rows };
    break;
  }
  case 'ours-ingest':
  case 'ours-ingest-tmpfs': {
    // The tmpfs variant keeps the lake in memory (/dev/shm): it shows the CPU cost alone, where the
    // disk variant also pays the file system's cost of creating one file per remittance and table.
    const lakeRoot = mode === 'ours-ingest-tmpfs' ? '/dev/shm' : tmpdir();
    let summary: Awaited<ReturnType<typeof ingestToLake>> | undefined;
    // Lakes are removed after the last run, not between runs: on this ext4 disk the deletion of
    // thousands of files slows the file creations that follow it for a while (seen here: 3,120
    // creations take about 0.2 s after other creations, about 1 s after a deletion).
    const lakes: string[] = [];
    for (let r = 0; r < runs; r++) {
      const lake = await mkdtemp(join(lakeRoot, 'recoup-bench-lake-'));
      const inputs = files.map((f) => ({ path: f.path, key: f.path, size: f.size }));
      seconds.push(
        await time(
          async () =>
            (summary = await ingestToLake(inputs, {
              lake: new LocalFolderStore(lake),
              scratch: join(lake, '.staging'),
            })),
        ),
      );
      lakes.push(lake);
    }
    for (const lake of lakes) await rm(lake, { recursive: true, force: true });
    detail = {
      remittances: summary?.remittances_written,
      claims: summary?.claims,
      adjustments: summary?.adjustments,
      objects: summary?.objects_written,
    };
    break;
  }
  case 'node-x12': {
    const { X12Parser } = require('node-x12') as typeof import('node-x12');
    // node-x12 returns nothing for a file that starts with a UTF-8 byte order mark (25 of the
    // corpus's 904): it is given those files without the mark, so it reads every byte we read.
    const texts = files.map((f) => {
      const bytes = readFileSync(f.path);
      const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
      return bytes.toString('utf8', bom ? 3 : 0);
    });
    let segments = 0;
    let unreadable = 0;
    for (let r = 0; r < runs; r++) {
      segments = 0;
      unreadable = 0;
      seconds.push(
        await time(() => {
          for (const text of texts) {
            // Non-strict, as real files need; a fat interchange (several ISA) counts each one.
            let parsed:
              | {
                  interchanges?: { functionalGroups: { transactions: { segments: unknown[] }[] }[] }[];
                  functionalGroups?: { transactions: { segments: unknown[] }[] }[];
                }
              | undefined;
            try {
              parsed = new X12Parser(false).parse(text) as unknown as typeof parsed;
            } catch {
              parsed = undefined;
            }
            if (parsed === undefined) {
              unreadable++;
              continue;
            }
            for (const ic of parsed.interchanges ?? [parsed]) {
              for (const g of ic.functionalGroups ?? [])
                for (const t of g.transactions) segments += t.segments.length;
            }
          }
        }),
      );
    }
    detail = { segments, unreadable };
    break;
  }
  case 'x12-parser': {
    const { X12parser } = (await import('x12-parser')) as unknown as {
      X12parser: new () => NodeJS.ReadWriteStream;
    };
    const buffers = files.map((f) => readFileSync(f.path));
    let segments = 0;
    for (let r = 0; r < runs; r++) {
      segments = 0;
      seconds.push(
        await time(async () => {
          for (const buffer of buffers) {
            await new Promise<void>((resolve, reject) => {
              const parser = new X12parser();
              parser.on('data', () => {
                segments++;
              });
              parser.on('end', () => resolve());
              parser.on('error', reject);
              Readable.from([buffer]).pipe(parser);
            });
          }
        }),
      );
    }
    detail = { segments };
    break;
  }
  default:
    throw new Error(`unknown mode ${mode}`);
}

const maxRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
process.stdout.write(`${JSON.stringify({ mode, bytes, seconds, maxRssMb, detail })}\n`);
