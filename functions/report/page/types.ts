/**
 * The data the report page reads: ReportData (loadReportData.ts) as the page receives it, embedded
 * as JSON. Its rows are typed from the mart contract (functions/core/lake/martSchema.ts, MartRow):
 * a mart column renamed, removed or retyped there fails the typecheck of the page modules that read
 * it (`npm run typecheck` checks them with tsconfig.page.json). Money is an exact decimal string
 * (DECIMAL), rates and counts are numbers, dates ISO strings; any of them may be null.
 */
import type {
  CauseRow as ReportCauseRow,
  ReportData,
  ProviderRow as ReportProviderRow,
} from '../loadReportData.ts';

export type {
  AlertRow,
  AppealRow,
  AppealStatusRow,
  ClosedPeriodRow,
  CohortRow,
  DrillRow,
  DrillTotalRow,
  ForecastRow,
  RestatementRow,
  ScorecardRow,
  Section,
  TrendRow,
} from '../loadReportData.ts';

/** An exact decimal string ("1234.50"); a number is read the same way. */
export type Money = string | number | null;

/** Takebacks by cause, of all payers or (with payer_id) of one. */
export type CauseRow = ReportCauseRow & { payer_id?: string | null };
/** Takebacks by provider, of all payers or (with payer_id) of one. */
export type ProviderRow = ReportProviderRow & { payer_id?: string | null };

/** The report's data, as the page parses it from the embedded JSON. */
export type PageData = ReportData;
