import { readFileSync, statSync } from 'node:fs';

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

/**
 * Fields that also accept `<name>File` without being secret: a key that no longer signs keeps
 * only its public key (`publicKeyFile`, as the keyring's messages say).
 */
export const FILE_FIELDS = new Set([...SECRET_FIELDS, 'publicKey']);

export class SecretFileError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

/** A secret file that every user of the machine (or container) may read: a warning for check-config. */
export interface OpenSecretFile {
  field: string;
  file: string;
  /** Permission bits, e.g. 0o644. */
  mode: number;
}

/**
 * Replaces every `<secret>File: /path` by `<secret>: <file content>`, in place, recursively.
 * Files readable by others (mode o+r, e.g. Kubernetes' default 0644 for mounted Secrets) are
 * reported in `open`.
 */
export function resolveSecretFiles(node: unknown, path: string[] = [], open: OpenSecretFile[] = []): void {
  if (Array.isArray(node)) {
    node.forEach((item, index) => resolveSecretFiles(item, [...path, String(index)], open));
    return;
  }
  if (!isRecord(node)) return;
  for (const key of Object.keys(node)) {
    const base = key.endsWith('File') ? key.slice(0, -'File'.length) : undefined;
    if (base && FILE_FIELDS.has(base)) {
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
      const mode = statSync(file).mode & 0o777;
      if ((mode & 0o004) !== 0) open.push({ field: fieldPath, file, mode });
    } else {
      resolveSecretFiles(node[key], [...path, key], open);
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
