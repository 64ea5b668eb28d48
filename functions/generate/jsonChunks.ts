/**
 * `JSON.stringify(value, null, 2)` in pieces: the same text, produced element by element, so a
 * value whose text is longer than a JavaScript string can hold (the truth of a 100 M-row data set)
 * can still be written. Values are what JSON.stringify takes from plain data: objects, arrays,
 * strings, numbers, booleans, null; undefined members are left out as it leaves them out.
 */
export function* jsonChunks(value: unknown, indent = ''): Generator<string> {
  if (Array.isArray(value)) {
    if (value.length === 0) {
      yield '[]';
      return;
    }
    const inner = `${indent}  `;
    yield '[\n';
    for (let i = 0; i < value.length; i++) {
      yield inner;
      const item = value[i];
      if (item === undefined || typeof item === 'function') yield 'null';
      else yield* jsonChunks(item, inner);
      yield i < value.length - 1 ? ',\n' : '\n';
    }
    yield `${indent}]`;
    return;
  }
  if (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { toJSON?: unknown }).toJSON !== 'function'
  ) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined && typeof v !== 'function');
    if (entries.length === 0) {
      yield '{}';
      return;
    }
    const inner = `${indent}  `;
    yield '{\n';
    for (let i = 0; i < entries.length; i++) {
      const [key, item] = entries[i] as [string, unknown];
      yield `${inner}${JSON.stringify(key)}: `;
      yield* jsonChunks(item, inner);
      yield i < entries.length - 1 ? ',\n' : '\n';
    }
    yield `${indent}}`;
    return;
  }
  yield JSON.stringify(value) ?? 'null';
}
