/**
 * The ORDER BY clause that ends a model's SQL (the text after its last top-level `order by`), or
 * null when the SQL does not end with one. Comments, string literals and parenthesized subqueries
 * are passed over, so only the outermost query's ordering is found.
 */
export function trailingOrderBy(sql: string): string | null {
  let depth = 0;
  let last = -1;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? sql.length : end + 2;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < sql.length && !(sql[j] === c && sql[j + 1] !== c)) j += sql[j] === c ? 2 : 1;
      i = j + 1;
    } else if (c === '(') {
      depth++;
      i++;
    } else if (c === ')') {
      depth--;
      i++;
    } else {
      if (depth === 0 && /[oO]/.test(c ?? '') && !/[\w$]/.test(sql[i - 1] ?? ' ')) {
        const match = /^order\s+by\b/i.exec(sql.slice(i, i + 64));
        if (match !== null) last = i + match[0].length;
      }
      i++;
    }
  }
  if (last === -1) return null;
  const clause = sql
    .slice(last)
    .replace(/--[^\n]*/g, ' ')
    .trim();
  return clause.length === 0 ? null : clause;
}
