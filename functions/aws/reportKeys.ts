/** Object-key prefixes of the reports in the lake bucket (no imports: the CDK app reads them too). */
export const REPORTS_PREFIX = 'reports/';
export const EXPORTS_PREFIX = 'exports/';
/** The newest report, overwritten by each models run. */
export const LATEST_REPORT_KEY = `${REPORTS_PREFIX}latest.html`;
/** The newest digest (JSON of `Digest`, money in integer cents), read by the weekly digest job. */
export const LATEST_DIGEST_KEY = `${REPORTS_PREFIX}digest-latest.json`;
