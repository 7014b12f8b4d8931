import { readFileSync } from 'node:fs';

/**
 * Field names that hold secrets. Each also accepts `<name>File` in YAML (and `..._FILE` in the
 * environment) so Kubernetes Secrets mounted as files are read at start-up. Values of these fields
 * are never logged or printed (see redactSecrets).
 */
export const SECRET_FIELDS = new Set([
  'secret',
  'clientSecret',
  'password',
  'privateKey',
  'secretHash',
  'cookieSecret',
]);

export class SecretFileError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

/** Replaces every `<secret>File: /path` by `<secret>: <file content>`, in place, recursively. */
export function resolveSecretFiles(node: unknown, path: string[] = []): void {
  if (Array.isArray(node)) {
    node.forEach((item, index) => resolveSecretFiles(item, [...path, String(index)]));
    return;
  }
  if (!isRecord(node)) return;
  for (const key of Object.keys(node)) {
    const base = key.endsWith('File') ? key.slice(0, -'File'.length) : undefined;
    if (base && SECRET_FIELDS.has(base)) {
      const fieldPath = [...path, key].join('.');
      const file = node[key];
      if (typeof file !== 'string' || file === '') {
        throw new SecretFileError(fieldPath, `must be the path of a readable file`);
      }
      if (node[base] !== undefined) {
        throw new SecretFileError(
          fieldPath,
          `is set together with "${[...path, base].join('.')}"; set only one of them`,
        );
      }
      let content: string;
      try {
        content = readFileSync(file, 'utf8');
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? 'error';
        throw new SecretFileError(fieldPath, `cannot read ${file} (${code}); mount the secret there or fix the path`);
      }
      node[base] = content.replace(/\r?\n$/, '');
      delete node[key];
    } else {
      resolveSecretFiles(node[key], [...path, key]);
    }
  }
}

/** A deep copy with every secret field replaced by "[redacted]", for printing configs. */
export function redactSecrets<T>(node: T): T {
  if (Array.isArray(node)) return node.map((item) => redactSecrets(item)) as T;
  if (!isRecord(node)) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    out[key] = SECRET_FIELDS.has(key) && value !== undefined ? '[redacted]' : redactSecrets(value);
  }
  return out as T;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
