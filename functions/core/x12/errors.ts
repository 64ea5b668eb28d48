/** Why an X12 file could not be read. Stable strings: they appear in quarantine sidecars. */
export type X12ErrorCode =
  | 'EMPTY'
  | 'UNSUPPORTED_ENCODING'
  | 'NO_ISA'
  | 'BAD_ISA'
  | 'SEGMENT_TOO_LONG'
  | 'NOT_835'
  | 'SEGMENT_OUTSIDE_TRANSACTION'
  | 'MISSING_SE'
  | 'SE_COUNT'
  | 'MISSING_ELEMENT'
  | 'BAD_AMOUNT'
  | 'BAD_DATE'
  | 'BAD_NUMBER'
  | 'MISSING_SEGMENT'
  | 'UNEXPECTED_SEGMENT'
  | 'TRUNCATED';

/** Where in a file an error was found. Never carries element values that could hold patient data. */
export interface X12Location {
  /** The file (or object key) being read. */
  file: string;
  /** 1-based position of the segment in the file, counting every segment of every interchange. */
  segmentIndex?: number;
  /** Segment id, e.g. `CLP`. */
  segmentId?: string;
  /** Element reference, e.g. `CLP04` or `PLB03-1`. */
  element?: string;
}

/** The only error the x12 and 835 readers throw. */
export class X12Error extends Error {
  override readonly name = 'X12Error';

  constructor(
    readonly code: X12ErrorCode,
    readonly reason: string,
    readonly location: X12Location,
  ) {
    super(formatMessage(code, reason, location));
  }

  /** The JSON written beside a quarantined file. */
  toJSON(): Record<string, unknown> {
    return {
      error: this.name,
      code: this.code,
      reason: this.reason,
      file: this.location.file,
      segment_index: this.location.segmentIndex ?? null,
      segment_id: this.location.segmentId ?? null,
      element: this.location.element ?? null,
    };
  }
}

function formatMessage(code: X12ErrorCode, reason: string, loc: X12Location): string {
  const where = [
    loc.file,
    loc.segmentIndex !== undefined ? `segment ${loc.segmentIndex}` : undefined,
    loc.segmentId,
    loc.element,
  ]
    .filter((part) => part !== undefined && part !== '')
    .join(' ');
  return `${where}: ${code}: ${reason}`;
}
