import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { applyEnvOverrides } from './env.js';
import type { ConfigIssue } from '../settings/issues.js';
import { ConfigError } from './errors.js';
import { PROSODY_ALGORITHMS } from '../tokens/settings.js';
import { configSchema, type Config } from './schema.js';
import { isRecord, resolveSecretFiles, SecretFileError, type OpenSecretFile } from './secrets.js';
import { checkConfig } from './checks.js';
import { yamlModule } from './yaml.js';

export interface LoadedConfig {
  config: Config;
  /** Things that work but an operator should know (single-replica store, demo mode, ...). */
  warnings: string[];
  /** Where the settings came from, for the start-up log. */
  source: string;
}

export interface LoadOptions {
  /** Path of the YAML file; falls back to env JSG_CONFIG; may be absent when env supplies everything. */
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** Raw settings merged under the file (used by the demo and by tests). */
  defaults?: Record<string, unknown>;
}

/** The one config loader: YAML file + env overrides + *_FILE secrets, validated, all problems at once. */
export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const file = options.file ?? env.JSG_CONFIG;
  const source = file ?? 'environment';
  let raw: Record<string, unknown> = structuredClone(options.defaults ?? {});
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      throw new ConfigError([{ path: '', problem: `cannot read ${file} (${code})`, fix: 'pass --config <file> or set JSG_CONFIG to a readable YAML file' }], source);
    }
    const { parse: parseYaml, YAMLParseError } = yamlModule();
    let parsed: unknown;
    try {
      parsed = parseYaml(text, { maxAliasCount: 100 });
    } catch (error) {
      const message = error instanceof YAMLParseError ? error.message.split('\n')[0] : String(error);
      throw new ConfigError([{ path: '', problem: `is not valid YAML: ${message}`, fix: 'check indentation and quoting' }], source);
    }
    if (parsed !== null && parsed !== undefined && !isRecord(parsed)) {
      throw new ConfigError([{ path: '', problem: 'must be a YAML mapping (key: value)', fix: 'start from the example in README.md' }], source);
    }
    raw = deepMerge(raw, (parsed ?? {}) as Record<string, unknown>);
  }
  const { ignored } = applyEnvOverrides(raw, env, Object.keys(configSchema.shape));
  const loaded = parseConfig(raw, source);
  if (ignored.length > 0) {
    loaded.warnings.push(`ignored environment variables that name no setting: ${ignored.join(', ')}`);
  }
  return loaded;
}

/** Validates already-parsed settings (a YAML document as an object). */
export function parseConfig(raw: Record<string, unknown>, source = 'inline'): LoadedConfig {
  const copy = structuredClone(raw);
  const openFiles: OpenSecretFile[] = [];
  try {
    resolveSecretFiles(copy, [], openFiles);
  } catch (error) {
    if (error instanceof SecretFileError) throw new ConfigError([{ path: error.path, problem: error.message }], source);
    throw error;
  }
  const result = configSchema.safeParse(copy, { reportInput: true });
  if (!result.success) throw new ConfigError(zodIssues(result.error), source);
  const { issues, warnings } = checkConfig(result.data);
  if (issues.length > 0) throw new ConfigError(issues, source);
  for (const open of openFiles) {
    warnings.push(
      `${open.field}: ${open.file} is readable by every user (mode ${open.mode.toString(8).padStart(4, '0')}); make it readable by the gateway only: chmod 600 (or 640 with a group), in Kubernetes the Secret volume's defaultMode: 0400`,
    );
  }
  return { config: result.data, warnings, source };
}

function zodIssues(error: z.ZodError): ConfigIssue[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return {
        path,
        problem: `unknown setting${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => `"${key}"`).join(', ')}`,
        fix: 'remove it or check its spelling against README.md (secrets read from files are written <name>File)',
      };
    }
    if (issue.code === 'invalid_type' && issue.input === undefined) {
      return { path, problem: `is required (expected ${issue.expected})`, fix: 'add it' };
    }
    if (issue.code === 'invalid_value' && path.endsWith('algorithm')) {
      return { path, problem: issue.message, fix: `use one of ${PROSODY_ALGORITHMS.join(', ')}` };
    }
    return { path, problem: issue.message };
  });
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] = isRecord(current) && isRecord(value) ? deepMerge(current, value) : value;
  }
  return out;
}
