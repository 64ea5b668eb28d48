/** Placeholder so the stack synthesizes; the real scheduled models handler replaces it. */
export async function handler(_event: unknown): Promise<unknown> {
  throw new Error('not implemented');
}
