import { Aws, type CfnResource } from 'aws-cdk-lib';
import { CfnTable } from 'aws-cdk-lib/aws-glue';
import type { Construct } from 'constructs';
import { COMPACTED_DIR, MANIFESTS_DIR } from '../functions/core/lake/compactedLayout.ts';
import {
  type ColumnType,
  glueType,
  LAKE_TABLES,
  type LakeTable,
  tableColumns,
} from '../functions/core/lake/schema.ts';

/**
 * Athena sees what DuckDB sees (compactedLayout.ts): each lake table is a view over two Glue
 * tables, its staged files (`<table>_staged`, over `<table>/`) and its compacted files
 * (`<table>_compacted`, over `compacted/<table>/`), plus the compaction manifests
 * (`compaction_manifests`, JSON). The view reads compacted files of the current generation only
 * (named by the highest manifest of their partition) and staged files not compacted; claims and
 * adjustments of staged remittances only once their remittance is committed.
 *
 * The file tables are not partitioned: payer_id and payment_month come from each file's path
 * ("$path"). A partitioned table would need every (payer, month) registered or projected, and
 * projection cannot enumerate payers (an `injected` payer_id makes every query name one) nor the
 * `unknown` month; so no payer, month or file is ever missing from a query, at the price of no
 * partition pruning (docs/aws.md, Scale limits).
 */

const PARQUET_STORAGE = {
  inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
  outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
  serdeInfo: { serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
} as const;

/** The Glue table of the compaction manifests (one JSON object per file, one line). */
export const MANIFESTS_TABLE = 'compaction_manifests';

const FILE_LIST = 'array<struct<key:string,rows:bigint,bytes:bigint>>';

/** Presto/Trino type of a lake column, as Athena views declare them. */
export function prestoType(type: ColumnType): string {
  switch (type) {
    case 'money':
      return 'decimal(18,2)';
    case 'varchar':
      return 'varchar';
    case 'date':
      return 'date';
    case 'boolean':
      return 'boolean';
    case 'integer':
      return 'integer';
    case 'double':
      return 'double';
    case 'timestamp':
      return 'timestamp';
  }
}

const PAYER_FROM_PATH = `regexp_extract("$path", 'payer_id=([^/]+)/', 1)`;
const MONTH_FROM_PATH = `regexp_extract("$path", 'payment_month=([^/]+)/', 1)`;
const REMIT_FROM_PATH = `regexp_extract("$path", '([^/]+)\\.parquet$', 1)`;
/** A compacted file's key as manifests write it (relative to the lake root). */
const KEY_FROM_PATH = `regexp_extract("$path", '${COMPACTED_DIR}/.*$')`;

/** The SQL of a lake table's view (Athena engine 3, Trino). */
export function lakeViewSql(table: LakeTable): string {
  const columns = tableColumns(table);
  const select = (source: 'c' | 's') => columns.map((c) => `${source}.${c.name}`).join(', ');
  const fileColumns = columns
    .filter((c) => !c.partition)
    .map((c) => c.name)
    .join(', ');
  const committed =
    table === 'remittances'
      ? ''
      : `
  AND EXISTS (SELECT 1 FROM remittances_staged r
              WHERE ${PAYER_FROM_PATH.replace('"$path"', 'r."$path"')} = s.payer_id
                AND ${MONTH_FROM_PATH.replace('"$path"', 'r."$path"')} = s.payment_month
                AND ${REMIT_FROM_PATH.replace('"$path"', 'r."$path"')} = s.file_remit_id)`;
  return `WITH current_manifests AS (
  SELECT payer_id, payment_month, files, remit_ids FROM (
    SELECT m.*, row_number() OVER (PARTITION BY payer_id, payment_month ORDER BY generation DESC) AS rn
    FROM ${MANIFESTS_TABLE} m) ranked
  WHERE rn = 1),
current_files AS (
  SELECT f.key FROM current_manifests CROSS JOIN UNNEST(current_manifests.files.${table}) AS t (f)),
compacted_ids AS (
  SELECT payer_id, payment_month, remit_id FROM current_manifests CROSS JOIN UNNEST(current_manifests.remit_ids) AS t (remit_id)),
c AS (
  SELECT ${fileColumns}, ${PAYER_FROM_PATH} AS payer_id, ${MONTH_FROM_PATH} AS payment_month
  FROM ${table}_compacted
  WHERE ${KEY_FROM_PATH} IN (SELECT key FROM current_files)),
s AS (
  SELECT ${fileColumns}, ${PAYER_FROM_PATH} AS payer_id, ${MONTH_FROM_PATH} AS payment_month,
         ${REMIT_FROM_PATH} AS file_remit_id
  FROM ${table}_staged)
SELECT ${select('c')} FROM c
UNION ALL
SELECT ${select('s')} FROM s
WHERE NOT EXISTS (SELECT 1 FROM compacted_ids i
                  WHERE i.payer_id = s.payer_id AND i.payment_month = s.payment_month AND i.remit_id = s.file_remit_id)${committed}`;
}

/** The Glue `ViewOriginalText` of an Athena view: the view's SQL and columns, base64 JSON. */
export function prestoViewText(
  sql: string,
  database: string,
  columns: { name: string; type: string }[],
): string {
  const view = { originalSql: sql, catalog: 'awsdatacatalog', schema: database, columns };
  return `/* Presto View: ${Buffer.from(JSON.stringify(view)).toString('base64')} */`;
}

/** Creates the file tables, the manifests table and the lake views; each depends on `database`. */
export function addLakeViews(
  scope: Construct,
  database: CfnResource,
  databaseName: string,
  lakeBucket: string,
): void {
  const table = (id: string, input: CfnTable.TableInputProperty) =>
    new CfnTable(scope, id, {
      catalogId: Aws.ACCOUNT_ID,
      databaseName,
      tableInput: input,
    }).addResourceDependency(database);
  for (const name of LAKE_TABLES) {
    const fileColumns = tableColumns(name)
      .filter((c) => !c.partition)
      .map((c) => ({ name: c.name, type: glueType(c.type) }));
    for (const [layer, prefix] of [
      ['staged', `${name}/`],
      ['compacted', `${COMPACTED_DIR}/${name}/`],
    ] as const) {
      table(`GlueTable${pascal(name)}${pascal(layer)}`, {
        name: `${name}_${layer}`,
        description: `recoup lake table ${name}, ${layer} files (read the ${name} view: it shows each remittance once)`,
        tableType: 'EXTERNAL_TABLE',
        parameters: { classification: 'parquet', EXTERNAL: 'TRUE' },
        storageDescriptor: {
          location: `s3://${lakeBucket}/${prefix}`,
          columns: fileColumns,
          ...PARQUET_STORAGE,
        },
      });
    }
    const columns = tableColumns(name).map((c) => ({ name: c.name, type: prestoType(c.type) }));
    table(`GlueView${pascal(name)}`, {
      name,
      description: `recoup lake table ${name}: compacted (current generation) and staged files, committed remittances only`,
      tableType: 'VIRTUAL_VIEW',
      parameters: { presto_view: 'true', comment: 'Presto View' },
      viewOriginalText: prestoViewText(lakeViewSql(name), databaseName, columns),
      viewExpandedText: '/* Presto View */',
      storageDescriptor: {
        columns: tableColumns(name).map((c) => ({ name: c.name, type: glueType(c.type) })),
        serdeInfo: {},
      },
    });
  }
  table('GlueTableCompactionManifests', {
    name: MANIFESTS_TABLE,
    description: 'recoup compaction manifests: which compacted files and remittances each generation holds',
    tableType: 'EXTERNAL_TABLE',
    parameters: { classification: 'json', EXTERNAL: 'TRUE' },
    storageDescriptor: {
      location: `s3://${lakeBucket}/${MANIFESTS_DIR}/`,
      columns: [
        { name: 'format', type: 'int' },
        { name: 'generation', type: 'int' },
        { name: 'payer_id', type: 'string' },
        { name: 'payment_month', type: 'string' },
        { name: 'created_at', type: 'string' },
        {
          name: 'files',
          type: `struct<${LAKE_TABLES.map((t) => `${t}:${FILE_LIST}`).join(',')}>`,
        },
        { name: 'remit_ids', type: 'array<string>' },
      ],
      inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
      outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
      serdeInfo: { serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe' },
    },
  });
}

function pascal(name: string): string {
  return name.replace(/(^|_)([a-z])/g, (_match, _sep, letter: string) => letter.toUpperCase());
}
