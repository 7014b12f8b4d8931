import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { PROVIDER_KINDS } from '../idp/kinds.js';
import { kindName, kindSettings } from '../idp/registry.js';
import { isRecord } from './secrets.js';
import { yamlModule } from './yaml.js';

/**
 * Identity providers (name → settings): a union discriminated by `kind`, composed from the settings
 * schema each kind owns (src/idp/kinds.ts lists them: OIDC src/idp/oidc/settings.ts, CAS
 * src/idp/cas/settings.ts, SAML src/idp/saml/settings.ts). `kind` selects the implementation,
 * which the provider registry (src/idp/registry.ts) imports only when a provider uses it.
 *
 * Presets: `preset: <name>` reads providers/<name>.yaml (shipped with the package) and applies its
 * `settings` under the provider's own settings (the provider's values win; mappings merge key by
 * key, lists are replaced). `kind` may be left out when a preset is named. A preset file is
 *
 *     kind: oidc                 # the kind it is for
 *     title: Keycloak            # for docs and `check-config`
 *     redirectUri: ...           # what to register at the IdP (documentation)
 *     notes: ...                 # quirks (documentation)
 *     settings: { ... }          # defaults for the provider's settings
 */

export const PRESET_NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;

export interface ProviderPreset {
  name: string;
  kind: string;
  title: string;
  redirectUri?: string;
  notes?: string;
  settings: Record<string, unknown>;
}

/** providers/ at the package root, from src/config (tsx, vitest) or dist/src/config (built). */
export function presetDirectory(): string | undefined {
  for (const relative of ['../../providers/', '../../../providers/']) {
    const path = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(path)) return path;
  }
  return undefined;
}

const presetCache = new Map<string, ProviderPreset | null>();

/** The preset called `name`, or undefined when there is none. Files are read once. */
export function loadPreset(name: string): ProviderPreset | undefined {
  if (!PRESET_NAME.test(name)) return undefined;
  const cached = presetCache.get(name);
  if (cached !== undefined) return cached ?? undefined;
  const dir = presetDirectory();
  let preset: ProviderPreset | null = null;
  if (dir && existsSync(`${dir}${name}.yaml`)) {
    let parsed: unknown;
    try {
      parsed = yamlModule().parse(readFileSync(`${dir}${name}.yaml`, 'utf8'));
    } catch (error) {
      throw new Error(`providers/${name}.yaml cannot be read: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    }
    if (isRecord(parsed) && typeof parsed.kind === 'string' && isRecord(parsed.settings ?? {})) {
      preset = {
        name,
        kind: parsed.kind,
        title: typeof parsed.title === 'string' ? parsed.title : name,
        settings: (parsed.settings ?? {}) as Record<string, unknown>,
      };
      if (typeof parsed.redirectUri === 'string') preset.redirectUri = parsed.redirectUri;
      if (typeof parsed.notes === 'string') preset.notes = parsed.notes;
    }
  }
  presetCache.set(name, preset);
  return preset ?? undefined;
}

/** Names of the shipped presets. */
export function presetNames(): string[] {
  const dir = presetDirectory();
  if (!dir) return [];
  return readdirSync(dir)
    .filter((file) => file.endsWith('.yaml'))
    .map((file) => file.slice(0, -'.yaml'.length))
    .filter((name) => PRESET_NAME.test(name))
    .sort();
}

function mergeUnder(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = structuredClone(base);
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] = isRecord(current) && isRecord(value) ? mergeUnder(current, value) : value;
  }
  return out;
}

/** Applies `preset` (and infers `kind` from it); reports an unknown or mismatched preset. */
function applyPreset(input: unknown, ctx: { addIssue(issue: { code: 'custom'; message: string; path: PropertyKey[]; input?: unknown }): void }): unknown {
  if (!isRecord(input) || input.preset === undefined) return input;
  if (typeof input.preset !== 'string') return input; // the schema reports the type
  let preset: ProviderPreset | undefined;
  try {
    preset = loadPreset(input.preset);
  } catch (error) {
    ctx.addIssue({ code: 'custom', path: ['preset'], message: error instanceof Error ? error.message : String(error), input: input.preset });
    return input;
  }
  if (!preset) {
    const names = presetNames();
    ctx.addIssue({
      code: 'custom',
      path: ['preset'],
      message: `names no known preset ("${input.preset.slice(0, 64)}")${names.length ? `; available: ${names.join(', ')}` : ''}`,
      input: input.preset,
    });
    return input;
  }
  const kind = input.kind ?? preset.kind;
  if (kind !== preset.kind) {
    ctx.addIssue({ code: 'custom', path: ['preset'], message: `"${preset.name}" is a preset for kind ${preset.kind}, not ${String(kind)}`, input: input.preset });
    return input;
  }
  return mergeUnder({ ...preset.settings, kind }, input);
}

const kindNames = PROVIDER_KINDS.map(kindName);
const kindMessage = `kind must be ${kindNames.slice(0, -1).join(', ')} or ${kindNames.at(-1) ?? ''}`;

export const providerSchema = z.preprocess(
  applyPreset,
  z.discriminatedUnion('kind', kindSettings(PROVIDER_KINDS), {
    error: (issue) => (issue.code === 'invalid_union' ? kindMessage : undefined),
  }),
);

export type ProviderSettings = z.output<typeof providerSchema>;

export const providersSchema = z
  .record(z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'provider names must be lowercase letters, digits, dashes'), providerSchema)
  .default({});
