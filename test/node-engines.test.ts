import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// The Node requirement README states matches what the dependencies declare (issue 27, point 9):
// `npm ci` on the oldest Node README names warns about no package but the one README names.

const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as {
  packages: Record<string, { version?: string; engines?: { node?: string } | string[]; optional?: boolean }>;
};
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string } };
const readme = readFileSync('README.md', 'utf8');

type Version = [number, number, number];

function parse(text: string): Version {
  const [a = 0, b = 0, c = 0] = text
    .replace(/^v/, '')
    .split('.')
    .map((p) => Number.parseInt(p, 10) || 0);
  return [a, b, c];
}

function compare(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** Whether `version` satisfies a range of the forms packages use: `>=x`, `^x`, `~x`, `x`, `x.y.z`, `||`. */
function satisfies(version: string, range: string): boolean {
  const v = parse(version);
  return range.split('||').some((alternative) => {
    const parts = alternative
      .trim()
      .replace(/(>=|<=|>|<|=|\^|~)\s+/g, '$1')
      .replace(/\.(x|\*)/g, '')
      .split(/\s+/);
    return parts.every((part) => {
      const m = /^(>=|<=|>|<|\^|~|=)?v?(\d+(?:\.\d+){0,2}|\*|x)$/.exec(part);
      if (m === null) throw new Error(`range part not understood: ${part} (in ${range})`);
      if (m[2] === '*' || m[2] === 'x') return true;
      const op = m[1] ?? '';
      const given = (m[2] as string).split('.').length;
      const w = parse(m[2] as string);
      switch (op) {
        case '>=':
          return compare(v, w) >= 0;
        case '>':
          return compare(v, w) > 0;
        case '<=':
          return compare(v, w) <= 0;
        case '<':
          return compare(v, w) < 0;
        case '^':
          return compare(v, w) >= 0 && v[0] === w[0];
        case '~':
          return compare(v, w) >= 0 && v[0] === w[0] && v[1] === w[1];
        default:
          // A bare major (or major.minor) matches every version inside it.
          return given === 1
            ? v[0] === w[0]
            : given === 2
              ? v[0] === w[0] && v[1] === w[1]
              : compare(v, w) === 0;
      }
    });
  });
}

/** The lowest Node version package.json's `engines.node` admits (`>=x.y.z`). */
const oldest = (/^>=\s*(\d+\.\d+\.\d+)$/.exec(pkg.engines.node) ?? [])[1] as string;

/** Packages whose declared engines exclude the oldest Node, each named in README with why that is fine. */
const KNOWN = ['@sparticuz/chromium'];

describe('the Node requirement', () => {
  it('package.json names one lowest version, and README says the same', () => {
    expect(oldest).toMatch(/^\d+\.\d+\.\d+$/);
    const [major, minor] = oldest.split('.');
    expect(readme).toContain(`Node ${major}.${minor} or later`);
  });

  it('every installed package admits it, but those README names', () => {
    const refusing: string[] = [];
    const names: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      if (path === '' || entry.optional) continue;
      const node = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
      if (node === undefined) continue;
      if (satisfies(oldest, node)) continue;
      const name = path.replace(/^.*node_modules\//, '');
      names.push(name);
      refusing.push(`${name}@${entry.version} (${node})`);
    }

    expect(names, refusing.join(', ')).toEqual(KNOWN);
    for (const name of KNOWN) expect(readme).toContain(name);
    // cookie@2 (Node 22 or later, through fastify's light-my-request, used by the SQS test server) is
    // pinned to 1.1.1 by an npm override: its API (stringifySetCookie) is the same for that use.
    expect(Object.keys(lock.packages).filter((p) => p.endsWith('node_modules/cookie'))).toEqual([
      'node_modules/light-my-request/node_modules/cookie',
    ]);
    expect(lock.packages['node_modules/light-my-request/node_modules/cookie']?.version).toBe('1.1.1');
  });

  it('reads the range forms the lock file holds', () => {
    expect(satisfies('20.19.0', '^20.19.0 || >=22.12.0')).toBe(true);
    expect(satisfies('20.18.3', '^20.19.0 || >=22.12.0')).toBe(false);
    expect(satisfies('20.19.0', '18 || 20 || >=22')).toBe(true);
    expect(satisfies('20.19.0', '>=22')).toBe(false);
    expect(satisfies('20.19.0', '^22.17.0 || >=24.0.0')).toBe(false);
    expect(satisfies('20.19.0', '>= 14')).toBe(true);
    expect(satisfies('20.19.0', '>= 14.x')).toBe(true);
    expect(satisfies('20.19.0', '20.x')).toBe(true);
    expect(satisfies('20.19.0', '>=18.0.0 <21')).toBe(true);
  });
});
