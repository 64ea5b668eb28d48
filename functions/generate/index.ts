/** Public entry of the synthetic 835 generator. */
export {
  DEFAULTS,
  defaultLastWeek,
  type GeneratedFile,
  type GenerateOptions,
  generateDataset,
  LARGE_FILE_DELIMITERS,
  largeFileChunks,
  type SpikeSpec,
} from './generate.ts';
export { isValidNpi, npiCheckDigit } from './npi.ts';
export type {
  CauseRow,
  ClaimPlace,
  CorrectionLinkRule,
  LinkRuleRow,
  PayerCauseRow,
  PayerRow,
  PayerWeekRow,
  PlbLinkRow,
  PlbLinkRule,
  ProviderRow,
  Realism,
  RealismCounts,
  ReversalLinkRow,
  TakebackMetrics,
  Truth,
  TruthCause,
  TruthMetrics,
} from './truth.ts';
export { TRUTH_DEFINITIONS } from './truth.ts';
export { OutputNotEmptyError, type WriteSummary, writeDataset, writeLargeFile } from './writeDataset.ts';
