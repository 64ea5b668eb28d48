/** Model layers, in the order dbt-style projects read them. */
export const MODEL_LAYERS = ['staging', 'intermediate', 'marts'] as const;
export type ModelLayer = (typeof MODEL_LAYERS)[number];

/** One SQL model file. */
export interface Model {
  name: string;
  layer: ModelLayer;
  /** Path of the file, for error messages. */
  file: string;
  /** The SELECT, without a trailing semicolon. */
  sql: string;
  /** What the header comment `-- grain: ...` says one row is. */
  grain: string;
  /** Other models this one reads, parsed from its SQL. */
  dependsOn: string[];
  /**
   * How the build keeps it: `view` (computed where it is read) or `table` (computed once). From a
   * `-- materialized: view|table` header line; by default staging models are views, intermediate
   * models tables. Marts are always written as Parquet.
   */
  materialized: 'view' | 'table' | 'parquet';
}

/** A model file that cannot be used (no grain header, duplicate name, cycle, SQL error). */
export class ModelError extends Error {
  override readonly name = 'ModelError';

  constructor(
    message: string,
    readonly model: string | null = null,
    readonly file: string | null = null,
  ) {
    super(message);
  }
}

/** One model file as read: its name (the file name without `.sql`), layer, path and text. */
export interface ModelFile {
  name: string;
  layer: ModelLayer;
  file: string;
  text: string;
}

/**
 * The models of a project's files (read by functions/adapters/localModelFiles.ts): each file's
 * grain and materialization from its header, its SQL, and the models it references.
 */
export function parseModels(given: readonly ModelFile[]): Model[] {
  const seen = new Map<string, string>();
  for (const { name, file } of given) {
    if (!/^[a-z_][a-z0-9_]*$/.test(name))
      throw new ModelError(`model file name must be a lower-case SQL identifier: ${file}`, name, file);
    const earlier = seen.get(name);
    if (earlier !== undefined)
      throw new ModelError(`model ${name} is defined twice: ${earlier} and ${file}`, name, file);
    seen.set(name, file);
  }
  const files = [...given];
  const names = new Set(files.map((f) => f.name));
  files.sort(
    (a, b) =>
      MODEL_LAYERS.indexOf(a.layer) - MODEL_LAYERS.indexOf(b.layer) ||
      (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
  return files.map(({ name, layer, file, text }) => {
    const grain = /^\s*--\s*grain:\s*(.+)$/im.exec(text.split('\n').slice(0, 5).join('\n'))?.[1]?.trim();
    if (grain === undefined || grain.length === 0)
      throw new ModelError(`${file}: a model starts with a "-- grain: ..." header comment`, name, file);
    const materialized = materialization(name, layer, file, headerComment(text));
    const sql = text.trim().replace(/;\s*$/, '');
    if (codeOnly(sql).includes(';'))
      throw new ModelError(`${file}: one model per file, one statement per model`, name, file);
    const dependsOn = [...referencedNames(sql)].filter((n) => n !== name && names.has(n)).sort();
    return { name, layer, file, sql, grain, dependsOn, materialized };
  });
}

/** The comment lines a model file starts with. */
function headerComment(text: string): string[] {
  const lines: string[] = [];
  for (const line of text.split('\n')) {
    if (!/^\s*--/.test(line)) break;
    lines.push(line);
  }
  return lines;
}

function materialization(
  name: string,
  layer: ModelLayer,
  file: string,
  header: string[],
): Model['materialized'] {
  const declared = header
    .map((line) => /^\s*--\s*materialized:\s*(\S+)\s*$/i.exec(line)?.[1]?.toLowerCase())
    .find((m) => m !== undefined);
  if (layer === 'marts') {
    if (declared !== undefined && declared !== 'parquet')
      throw new ModelError(`${file}: a mart is written as Parquet, not "${declared}"`, name, file);
    return 'parquet';
  }
  if (declared === undefined) return layer === 'staging' ? 'view' : 'table';
  if (declared !== 'view' && declared !== 'table')
    throw new ModelError(`${file}: "-- materialized:" is view or table, not "${declared}"`, name, file);
  return declared;
}

/** Lower-cased identifiers the SQL mentions outside comments and string literals. */
export function referencedNames(sql: string): Set<string> {
  const code = codeOnly(sql).replace(/"((?:[^"]|"")*)"/g, ' $1 ');
  const out = new Set<string>();
  for (const match of code.matchAll(/[A-Za-z_][A-Za-z0-9_]*/g)) out.add(match[0].toLowerCase());
  return out;
}

/** The SQL without comments and with string literals emptied. */
function codeOnly(sql: string): string {
  return sql
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/'(?:[^']|'')*'/g, "''");
}

/** One model by name. */
export function findModel(name: string, models: readonly Model[]): Model {
  const model = models.find((m) => m.name === name);
  if (model === undefined) throw new ModelError(`no model named ${name}`, name);
  return model;
}
