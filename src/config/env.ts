import { isRecord, SECRET_FIELDS } from './secrets.js';
import { yamlModule } from './yaml.js';

/**
 * Environment overrides: `JSG_<PATH>` where path segments are separated by `__` and each segment is
 * SCREAMING_SNAKE of the camelCase key: JSG_PUBLIC_URL, JSG_STORE__REDIS__URL,
 * JSG_TARGETS__MEET__SECRET_FILE. Segments are matched case-insensitively (ignoring - and _) against
 * existing keys, so map entries such as target names work too. `JSG_CONFIG` (the file path) and
 * `JSG_LOG_LEVEL`-style shortcuts are not overrides: JSG_CONFIG is excluded.
 */
export const ENV_PREFIX = 'JSG_';
const NOT_OVERRIDES = new Set(['JSG_CONFIG']);

export function applyEnvOverrides(
  target: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  settings: readonly string[],
): { applied: string[]; ignored: string[] } {
  const applied: string[] = [];
  const ignored: string[] = [];
  const topLevel = new Set(settings.map(squash));
  const names = Object.keys(env)
    .filter((name) => name.startsWith(ENV_PREFIX) && !NOT_OVERRIDES.has(name))
    .sort();
  for (const name of names) {
    const raw = env[name];
    if (raw === undefined) continue;
    const segments = name.slice(ENV_PREFIX.length).split('__').filter(Boolean);
    // Kubernetes puts <SERVICE>_PORT / _SERVICE_HOST variables in every pod: a Service named
    // "jsg…" would look like an override. Only names that start with a real setting count.
    if (segments.length === 0 || !topLevel.has(squash(segments[0] ?? ''))) {
      ignored.push(name);
      continue;
    }
    let node: Record<string, unknown> = target;
    for (const [index, segment] of segments.entries()) {
      const last = index === segments.length - 1;
      const key = findKey(node, segment);
      if (last) {
        node[key] = key.endsWith('File') || SECRET_FIELDS.has(key) ? raw : parseScalar(raw);
      } else {
        const next = node[key];
        if (!isRecord(next)) node[key] = {};
        node = node[key] as Record<string, unknown>;
      }
    }
    applied.push(name);
  }
  return { applied, ignored };
}

function findKey(node: Record<string, unknown>, segment: string): string {
  const wanted = squash(segment);
  for (const key of Object.keys(node)) if (squash(key) === wanted) return key;
  return camel(segment);
}

const squash = (value: string) => value.replace(/[-_]/g, '').toLowerCase();

const camel = (segment: string) =>
  segment.toLowerCase().replace(/_([a-z0-9])/g, (_, char: string) => char.toUpperCase());

/** Numbers, booleans and YAML/JSON flow collections become typed values; everything else stays a string. */
function parseScalar(raw: string): unknown {
  if (/^(true|false)$/.test(raw)) return raw === 'true';
  if (/^-?\d+$/.test(raw) && Number.isSafeInteger(Number(raw))) return Number(raw);
  if (/^[[{]/.test(raw.trim())) {
    try {
      return yamlModule().parse(raw) as unknown;
    } catch {
      return raw;
    }
  }
  return raw;
}
