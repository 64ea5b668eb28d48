import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium } from 'playwright-core';

/**
 * The browser tests run Chromium from `@sparticuz/chromium`, a registry package that carries a
 * headless Chromium (x86_64 Linux) inside it, so `npm ci && npm test` needs no system browser and
 * downloads nothing. RECOUP_CHROMIUM points them at another binary instead (e.g. Debian's
 * /usr/bin/chromium). Playwright never downloads a browser here.
 */
export const CHROMIUM_OVERRIDE = process.env.RECOUP_CHROMIUM;

/** Flags for any Chromium: no network chatter of its own, so the test sees only the page's requests. */
const QUIET = [
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

/** Flags for a system Chromium (RECOUP_CHROMIUM). */
const SYSTEM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', ...QUIET];

/**
 * The package's own flags, less two that switch off browser security (the report's tests check
 * that hostile markup stays inert and that the page makes no outside request, which must hold with
 * the same-origin policy and mixed-content blocking on), and --single-process, which Lambda needs
 * (no prctl there) and which crashes page navigation under Playwright on an ordinary machine.
 */
const DROPPED = new Set(['--disable-web-security', '--allow-running-insecure-content', '--single-process']);

interface Unpacked {
  executable: string;
  env: Record<string, string>;
}

/**
 * Unpacks the package's Brotli-compressed Chromium, fonts and shared libraries (NSS, which a bare
 * Debian lacks) once per installed version into node_modules/.cache. The package itself inflates
 * into /tmp/chromium, not atomically and shared by every checkout on the machine, so a run killed
 * mid-inflate would leave a truncated binary that every later run trusts. Here a child process
 * inflates into a private staging folder (TMPDIR), which is then renamed into place whole.
 */
function unpackSparticuz(): Unpacked {
  const require = createRequire(import.meta.url);
  // The package exports only its entry (build/index.js); its folder is two levels up.
  const packageDir = dirname(dirname(require.resolve('@sparticuz/chromium')));
  const packageJson = join(packageDir, 'package.json');
  const { version } = JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string };
  const cacheRoot = resolve(packageDir, '..', '..', '.cache');
  const target = join(cacheRoot, `sparticuz-chromium-${version}`);
  if (!existsSync(join(target, 'chromium'))) {
    const staging = `${target}.staging-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    const bin = join(packageDir, 'bin');
    const script = `
      const { inflate } = await import(${JSON.stringify(pathToFileURL(join(packageDir, 'build', 'index.js')).href)});
      for (const name of ['chromium.br', 'fonts.tar.br', 'swiftshader.tar.br', 'al2023.tar.br']) {
        await inflate(${JSON.stringify(bin)} + '/' + name);
      }`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, TMPDIR: staging },
      encoding: 'utf8',
    });
    if (child.status !== 0 || !existsSync(join(staging, 'chromium'))) {
      rmSync(staging, { recursive: true, force: true });
      throw new Error(`could not unpack @sparticuz/chromium ${version}: ${child.stderr || child.error}`);
    }
    // The package's fonts.conf names /tmp/fonts; this one names the fonts where they will be.
    writeFileSync(
      join(staging, 'fonts.conf'),
      `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n` +
        `  <dir>${join(target, 'fonts')}</dir>\n  <cachedir>${join(target, 'fonts-cache')}</cachedir>\n</fontconfig>\n`,
    );
    try {
      renameSync(staging, target);
    } catch (error) {
      // Another run unpacked it first: use theirs.
      rmSync(staging, { recursive: true, force: true });
      if (!existsSync(join(target, 'chromium'))) throw error;
    }
  }
  return {
    executable: join(target, 'chromium'),
    env: {
      LD_LIBRARY_PATH: [join(target, 'al2023', 'lib'), process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
      FONTCONFIG_PATH: target,
    },
  };
}

/** The package's recommended flags (see DROPPED). */
async function sparticuzArgs(): Promise<string[]> {
  const { default: Sparticuz } = await import('@sparticuz/chromium');
  return Sparticuz.args.filter((flag) => !DROPPED.has(flag));
}

/** Launches headless Chromium: RECOUP_CHROMIUM when set, else the one `npm ci` brought. */
export async function launchChromium(): Promise<Browser> {
  if (CHROMIUM_OVERRIDE !== undefined && CHROMIUM_OVERRIDE !== '') {
    if (!existsSync(CHROMIUM_OVERRIDE)) {
      throw new Error(
        `RECOUP_CHROMIUM is ${CHROMIUM_OVERRIDE}, which does not exist. Unset it to use the ` +
          'Chromium that `npm ci` installs (@sparticuz/chromium), or point it at a Chromium binary.',
      );
    }
    return chromium.launch({ executablePath: CHROMIUM_OVERRIDE, args: SYSTEM_ARGS });
  }
  const unpacked = unpackSparticuz();
  return chromium.launch({
    executablePath: unpacked.executable,
    args: [...(await sparticuzArgs()), ...QUIET],
    env: { ...process.env, ...unpacked.env } as Record<string, string>,
  });
}
