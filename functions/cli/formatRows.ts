/** A query result ready for printing: column names and JSON-safe rows. */
export interface ResultTable {
  columns: string[];
  rows: Record<string, unknown>[];
}

export type OutputFormat = 'table' | 'csv' | 'json';

/** Renders rows as an aligned text table, CSV (RFC 4180) or a JSON array of row objects. */
export function formatRows(result: ResultTable, format: OutputFormat): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(result.rows, null, 2)}\n`;
    case 'csv':
      return `${[result.columns.map(csvField).join(','), ...result.rows.map((r) => result.columns.map((c) => csvField(r[c])).join(','))].join('\n')}\n`;
    case 'table':
      return textTable(result);
  }
}

function text(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function csvField(value: unknown): string {
  const s = text(value);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

function isNumeric(value: unknown): boolean {
  return typeof value === 'number' || (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value));
}

function textTable(result: ResultTable): string {
  const { columns, rows } = result;
  const cells = rows.map((r) => columns.map((c) => text(r[c])));
  const widths = columns.map((c, i) =>
    Math.min(48, Math.max(c.length, ...cells.map((row) => (row[i] ?? '').length))),
  );
  const numeric = columns.map((c) => rows.length > 0 && rows.every((r) => r[c] === null || isNumeric(r[c])));
  const pad = (s: string, i: number) => {
    const w = widths[i] ?? 0;
    const clipped = s.length > w ? `${s.slice(0, w - 1)}…` : s;
    return numeric[i] ? clipped.padStart(w) : clipped.padEnd(w);
  };
  const head = columns.map((c, i) => pad(c, i)).join('  ');
  const rule = widths.map((w) => '─'.repeat(w)).join('  ');
  const body = cells.map((row) =>
    row
      .map((s, i) => pad(s, i))
      .join('  ')
      .trimEnd(),
  );
  return `${[head.trimEnd(), rule, ...body].join('\n')}\n(${rows.length} row${rows.length === 1 ? '' : 's'})\n`;
}
