import { defineConfig } from 'vitest/config';

/**
 * Two projects, both run by `npm test`:
 * - `unit`: fast unit and SQL tests (in-process: the reader, the models on small lakes, the
 *   report data). `npm run test:unit`.
 * - `e2e`: end-to-end, fault, browser, property and infrastructure tests (child processes, the
 *   local S3 and SQS servers, Chromium, CDK synthesis, kill loops). `npm run test:e2e`.
 * A new test file is a unit test unless it is listed here or lives under test/e2e/.
 */
const E2E = [
  'test/e2e/**/*.test.ts',
  'infra-tests/**/*.test.ts',
  'test/aws-*.test.ts',
  'test/browser*.test.ts',
  'test/*.browser.test.ts',
  'test/*chromium*.test.ts',
  'test/report-browser*.test.ts',
  'test/cli*.test.ts',
  'test/demo.test.ts',
  'test/digest.test.ts',
  'test/compaction.test.ts',
  'test/faults-*.test.ts',
  'test/fuzz-*.test.ts',
  'test/ingest-archives.test.ts',
  'test/lake-upgrade.test.ts',
  'test/objectStore.contract.test.ts',
  'test/ops.test.ts',
  'test/quarantine.test.ts',
  'test/real-files.test.ts',
  'test/reliability-*.test.ts',
  'test/report-narrow.test.ts',
  'test/docs-examples.test.ts',
  'test/x12-properties.test.ts',
  'test/content-fingerprint.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two test files at once: vitest's default on 2 cores is one (cores − 1), and most files wait
    // on child processes, servers and disk rather than on the CPU.
    maxWorkers: 2,
    allowOnly: false,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: E2E } },
      { extends: true, test: { name: 'e2e', include: E2E } },
    ],
  },
});
