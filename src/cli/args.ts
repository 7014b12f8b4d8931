import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError } from '../config/errors.js';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** node:util parseArgs with errors turned into UsageError (exit code 2). */
export function parse<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/**
 * Runs a command body: a UsageError is exit code 2 with the message on stderr, an invalid
 * configuration (ConfigError, every problem at once) exit code 1 with its message on stderr.
 */
export async function guard(body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n(run jitsi-sso-gateway --help)\n`);
      return 2;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
