import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Ports and adapters, checked on the imports of every file under functions/:
//   entry points (cli/, aws/ with its Lambda handlers, wiring/) → use cases → ports ← adapters
// The core is pure. A use case reaches DuckDB, S3, SNS and the file system only through a port.

const FUNCTIONS = fileURLToPath(new URL('../functions/', import.meta.url));

/** Folders of use cases, of the pure core, and of the entry points, under functions/. */
const USE_CASES = ['ingest', 'alerts', 'appeals', 'digest', 'report', 'forecast', 'close', 'models'];
const PURE = ['core', 'ports'];
const ENTRY = ['cli', 'aws', 'wiring'];

/** What a use case or the core may not import: engines, SDKs, the file system, adapters, entry points. */
function forbidden(specifier: string, target: string | null): string | null {
  if (/^@duckdb\//.test(specifier)) return 'DuckDB';
  if (/^@aws-sdk\//.test(specifier)) return 'the AWS SDK';
  if (/^node:fs(\/|$)/.test(specifier)) return 'the file system';
  if (target !== null) {
    const top = relative(FUNCTIONS, target).split('/')[0] as string;
    if (top === 'adapters') return 'an adapter';
    if (ENTRY.includes(top)) return `an entry point (${top}/)`;
  }
  return null;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.as.ts') ? [path] : [];
  });
}

/** The module specifiers a file imports or re-exports, static or dynamic (comments left out). */
function importsOf(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const out: string[] = [];
  for (const m of code.matchAll(/\b(?:import|export)\s[^'";]*?from\s*['"]([^'"]+)['"]/g))
    out.push(m[1] as string);
  for (const m of code.matchAll(/\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(m[1] as string);
  for (const m of code.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm)) out.push(m[1] as string);
  return out;
}

/** For each file of the given top-level folders: the kinds of forbidden imports it has. */
function violations(folders: string[]): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const folder of folders) {
    for (const file of sourceFiles(join(FUNCTIONS, folder))) {
      const kinds = new Set<string>();
      for (const specifier of importsOf(readFileSync(file, 'utf8'))) {
        const target = specifier.startsWith('.') ? resolve(dirname(file), specifier) : null;
        const kind = forbidden(specifier, target);
        if (kind !== null) kinds.add(kind);
      }
      if (kinds.size > 0) found.set(relative(FUNCTIONS, file), [...kinds].sort());
    }
  }
  return found;
}

describe('the direction of imports', () => {
  it('reads every kind of import statement', () => {
    const text = `import type { A } from './a.ts';\nimport {\n  b,\n  c,\n} from "../b.ts";\nexport { d } from './d.ts';\nimport './side.ts';\nconst e = await import('./e.ts');\n// import { f } from './f.ts';\n`;
    expect(importsOf(text)).toEqual(['./a.ts', '../b.ts', './d.ts', './e.ts', './side.ts']);
  });

  it('keeps the core and the ports pure: no engine, SDK, file system, adapter or entry point', () => {
    const found = violations(PURE);
    // The WebAssembly lexer's build script (npm run build:wasm) is a tool, not runtime code.
    found.delete('core/era/wasm/build.ts');
    expect(Object.fromEntries(found)).toEqual({});
  });

  it('keeps every use case on ports: none imports DuckDB, the AWS SDK, the file system or an adapter', () => {
    expect(Object.fromEntries(violations(USE_CASES))).toEqual({});
  });

  it('names the forbidden imports it finds', () => {
    expect(forbidden('@duckdb/node-api', null)).toBe('DuckDB');
    expect(forbidden('@aws-sdk/client-s3', null)).toBe('the AWS SDK');
    expect(forbidden('node:fs/promises', null)).toBe('the file system');
    const adapter = join(FUNCTIONS, 'adapters', 'duckdb', 'openDuckDb.ts');
    expect(forbidden('../adapters/duckdb/openDuckDb.ts', adapter)).toBe('an adapter');
    expect(forbidden('../cli/main.ts', join(FUNCTIONS, 'cli', 'main.ts'))).toBe('an entry point (cli/)');
    expect(forbidden('node:path', null)).toBeNull();
    expect(forbidden('../ports/warehouse.ts', join(FUNCTIONS, 'ports', 'warehouse.ts'))).toBeNull();
  });

  it('lets no adapter import an entry point', () => {
    const found = [...violations(['adapters'])].filter(([, kinds]) =>
      kinds.some((k) => k.startsWith('an entry')),
    );
    expect(found).toEqual([]);
  });
});
