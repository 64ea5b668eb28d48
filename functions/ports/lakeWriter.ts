import type { RemitColumns } from '../core/types.ts';

/**
 * The lake-writer port: where ingest puts normalized remittances. The Parquet writer
 * (functions/adapters/parquetLakeWriter.ts) stages one file per remittance and table and commits
 * them through an ObjectStore (a folder or S3), remittance file last, so a killed ingest leaves
 * nothing half-visible and a re-delivered file changes nothing.
 */
export interface LakeWriter {
  /** Stages one remittance; returns false when the same remittance was already staged. */
  add(remit: RemitColumns): boolean;
  /** A position in the staged batch, to roll back to when a file turns out unreadable half way. */
  mark(): BatchMark;
  rollback(mark: BatchMark): void;
  /** Takes the staged batch and writes it; the next remittances can be staged meanwhile. */
  commit(): Promise<CommitResult>;
  /** Releases local staging (spilled files). */
  close(): void;
}

/** A position in a batch to roll back to when a file turns out to be unreadable half way. */
export type BatchMark = number;

/** What a commit wrote. */
export interface CommitResult {
  /** Remittances newly written to the lake. */
  written: { remitId: string; payerId: string; paymentMonth: string }[];
  /** Remittances already in the lake (a re-delivered file) or repeated within the run, skipped. */
  duplicates: number;
  /** Lake objects written. */
  objects: number;
  /**
   * Remittances written although the lake (or this run) already holds another remittance with
   * the same remit_key: same payer, payee, trace number, amount and date, different content.
   */
  keyConflicts: { remitId: string; remitKey: string; existing: string[] }[];
}
