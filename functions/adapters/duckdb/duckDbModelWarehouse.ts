import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import type { ModelWarehouse, TableColumn } from '../../ports/modelWarehouse.ts';
import { type SqlParam, sqlIdent, sqlString } from '../../ports/warehouse.ts';
import { registerClosedPeriods } from './closedPeriods.ts';
import { createBuildLakeViews } from './createBuildLakeViews.ts';
import { duckDbWarehouse } from './duckDbWarehouse.ts';

/**
 * The model warehouse over a DuckDB connection and a folder lake: the lake's Parquet files as
 * views, registered tables through DuckDB's appender, marts written with COPY … (FORMAT parquet,
 * COMPRESSION zstd) beside their target and renamed into place.
 */
export function duckDbModelWarehouse(db: DuckDBConnection): ModelWarehouse {
  return {
    ...duckDbWarehouse(db),
    async attachLake(lakeDir, options = {}) {
      await createBuildLakeViews(db, lakeDir, options.payers);
      await registerClosedPeriods(db, lakeDir);
    },
    async createTable(name, columns, rows) {
      const defs = columns.map((c) => `${sqlIdent(c.name)} ${c.type}`).join(', ');
      await db.run(`CREATE OR REPLACE TEMP TABLE ${sqlIdent(name)} (${defs})`);
      const appender = await db.createAppender(name, 'main', 'temp');
      try {
        for (const row of rows) {
          for (const [i, column] of columns.entries()) append(appender, column, row[i] ?? null, name);
          appender.endRow();
        }
      } finally {
        appender.closeSync();
      }
    },
    writeMart: (martsDir, name, sql) => writeMart(db, martsDir, name, sql),
    async readMart(name, location) {
      await db.run(
        `CREATE OR REPLACE TEMP VIEW ${sqlIdent(name)} AS SELECT * FROM read_parquet(${sqlString(location)})`,
      );
    },
    async profile(file) {
      if (file === null) {
        await db.run('PRAGMA disable_profiling');
        return;
      }
      mkdirSync(dirname(file), { recursive: true });
      await db.run("PRAGMA enable_profiling = 'json'");
      await db.run(`PRAGMA profiling_output = ${sqlString(file)}`);
    },
  };
}

function append(appender: DuckDBAppender, column: TableColumn, value: SqlParam, table: string): void {
  const type = column.type.toUpperCase();
  if (value === null) appender.appendNull();
  else if (typeof value === 'string' && type === 'VARCHAR') appender.appendVarchar(value);
  else if (typeof value === 'number' && type === 'INTEGER') appender.appendInteger(value);
  else if (typeof value === 'number' && type === 'BIGINT') appender.appendBigInt(BigInt(value));
  else if (typeof value === 'number' && type === 'DOUBLE') appender.appendDouble(value);
  else if (typeof value === 'boolean' && type === 'BOOLEAN') appender.appendBoolean(value);
  else
    throw new TypeError(`${table}.${column.name}: cannot append ${typeof value} to a ${column.type} column`);
}

/** Writes one mart to `<martsDir>/<name>/data.parquet` atomically; returns the path. */
export async function writeMart(
  db: DuckDBConnection,
  martsDir: string,
  name: string,
  sql: string,
): Promise<string> {
  const dir = join(martsDir, name);
  mkdirSync(dir, { recursive: true });
  const target = join(dir, 'data.parquet');
  // Not *.parquet, so the mart view's glob never reads a half-written file.
  const temp = join(dir, `.data.${process.pid}.${Date.now()}.tmp`);
  try {
    await db.run(`COPY (\n${sql}\n) TO ${sqlString(temp)} (FORMAT parquet, COMPRESSION zstd)`);
    renameSync(temp, target);
  } finally {
    rmSync(temp, { force: true });
  }
  return target;
}
