import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';

/** Placeholder so the stack synthesizes; the real SQS → ingest handler replaces it. */
export async function handler(_event: SQSEvent): Promise<SQSBatchResponse> {
  throw new Error('not implemented');
}
