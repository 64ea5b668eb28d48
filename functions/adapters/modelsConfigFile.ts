import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultModelsConfig, type ModelsConfig, parseModelsConfig } from '../models/modelsConfig.ts';

/**
 * Loads the models config: the given file, else `<lake>/recoup.config.json` when present, else
 * the defaults.
 */
export function loadModelsConfig(options: { file?: string; lakeDir?: string }): ModelsConfig {
  const file =
    options.file ??
    (options.lakeDir !== undefined && existsSync(join(options.lakeDir, 'recoup.config.json'))
      ? join(options.lakeDir, 'recoup.config.json')
      : undefined);
  if (file === undefined) return defaultModelsConfig();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read config ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`config ${file} is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  return parseModelsConfig(value, file);
}
