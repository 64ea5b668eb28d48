import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Every file below `root`, as sorted `/`-separated paths relative to it. */
export function filesUnder(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }))
      e.isDirectory()
        ? walk(join(d, e.name))
        : out.push(relative(root, join(d, e.name)).split('\\').join('/'));
  };
  walk(root);
  return out.sort();
}
