import { z } from 'zod';

/** recoup.config.json: settings of the marts. Every field has a default. */
export const ModelsConfigSchema = z
  .object({
    appealWindowDays: z
      .object({
        default: z.number().int().positive().default(60),
        payers: z.record(z.string().min(1), z.number().int().positive()).default({}),
      })
      .strict()
      .default({ default: 60, payers: {} }),
    /** Trailing window of payer_scorecard, in weeks ending at the as-of date. */
    scorecardWeeks: z.number().int().positive().max(520).default(13),
    /** Days left at or under which an appeal is `due_soon`. */
    dueSoonDays: z.number().int().nonnegative().default(7),
  })
  .strict();

export type ModelsConfig = z.infer<typeof ModelsConfigSchema>;

/** The defaults, as a config file with no fields would give. */
export function defaultModelsConfig(): ModelsConfig {
  return ModelsConfigSchema.parse({});
}

/** Validates a parsed config object; the error names each bad field. */
export function parseModelsConfig(value: unknown, source = 'config'): ModelsConfig {
  const result = ModelsConfigSchema.safeParse(value);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`${source} is not a valid recoup config: ${issues.join('; ')}`);
  }
  return result.data;
}
