import { PublishCommand } from '@aws-sdk/client-sns';
import type { QuarantinedFile } from '../ingest/ingestFiles.ts';

/**
 * What the alert topic hears about a quarantined file: where it came from and where it is, the
 * error code and the segment and element, never a value from the file. The reason text is kept
 * only for the reader's own X12 errors, whose reasons never quote element values (X12Location);
 * an unexpected error's message could, so it is left out.
 */
export interface QuarantineNotice {
  source: 'recoup';
  type: 'quarantined_file';
  /** The landed object (`s3://bucket/key`). */
  file: string;
  /** Where the file and its JSON reason are, relative to the lake. */
  quarantine_key: string;
  code: string;
  reason: string | null;
  segment_index: number | null;
  segment_id: string | null;
  element: string | null;
  /** The command that re-ingests it once the cause is fixed. */
  retry: string;
}

/** Builds the notice for one quarantined file of the lake at `lakeLocation`. */
export function quarantineNotice(file: QuarantinedFile, lakeLocation: string): QuarantineNotice {
  return {
    source: 'recoup',
    type: 'quarantined_file',
    file: file.file,
    quarantine_key: file.quarantine_key,
    code: file.code,
    reason: file.code === 'INTERNAL_ERROR' ? null : file.reason,
    segment_index: file.segment_index,
    segment_id: file.segment_id,
    element: file.element,
    retry: `recoup quarantine retry --lake ${lakeLocation.replace(/\/$/, '')}`,
  };
}

/** A person's reading of a notice (the e-mail body). */
export function quarantineNoticeText(notice: QuarantineNotice): string {
  const where = [
    notice.segment_index !== null ? `segment ${notice.segment_index}` : '',
    notice.segment_id ?? '',
    notice.element ?? '',
  ]
    .filter(Boolean)
    .join(' ');
  return [
    `An 835 file could not be read and was quarantined: its remittances are not in the lake.`,
    '',
    `file:       ${notice.file}`,
    `error:      ${notice.code}${where ? ` at ${where}` : ''}${notice.reason ? `: ${notice.reason}` : ''}`,
    `quarantine: ${notice.quarantine_key} (with ${notice.quarantine_key}.error.json)`,
    '',
    `Fix the cause (a parser fix, or a corrected file from the payer), then: ${notice.retry}`,
  ].join('\n');
}

/** The SNS Publish request for a notice: JSON for machines, text for e-mail, filterable by type. */
export function quarantinePublishCommand(topicArn: string, notice: QuarantineNotice): PublishCommand {
  const subject = `recoup: quarantined 835 file (${notice.code})`.replace(/[^\x20-\x7e]/g, '?').slice(0, 100);
  return new PublishCommand({
    TopicArn: topicArn,
    Subject: subject,
    MessageStructure: 'json',
    Message: JSON.stringify({ default: JSON.stringify(notice), email: quarantineNoticeText(notice) }),
    MessageAttributes: { type: { DataType: 'String', StringValue: 'quarantined_file' } },
  });
}
