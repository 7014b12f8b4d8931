import { pino, type Logger, type LoggerOptions, type DestinationStream } from 'pino';

export type { Logger };

const CENSOR = '[redacted]';
/** Top-level fields that are always censored. */
const TOP_LEVEL = new Set(['token', 'jwt', 'secret', 'password', 'clientSecret', 'privateKey']);
/** Fields censored one level down, under any top-level field (`*.token`, …). */
const NESTED = ['token', 'secret', 'password'] as const;
/** Fields censored under `req.headers`. */
const REQUEST_HEADERS = ['authorization', 'cookie'] as const;

/**
 * Secrets inside text: CAS tickets (`ST-…`, `PT-…`, `PGT-…`, `TGT-…`), query or form parameters
 * that carry a code, state, ticket or token (`?code=…`, `&ticket=…`, `#jwt=…`), anything shaped
 * like a JWT, and Authorization values. An IdP's error message quoting the ticket it refused, a URL
 * with a code, an exception text: whatever reaches a log line loses these values.
 */
const SECRET_IN_TEXT =
  /\b((?:ST|PT|PGT|PGTIOU|TGT)-)[A-Za-z0-9._~-]{4,}|([?&#;\s](?:code|state|ticket|token|id_token|access_token|refresh_token|refreshToken|jwt|logout_token|client_secret|code_verifier|password|SAMLResponse|SAMLRequest|RelayState)=)[^&#\s"'<>]+|\beyJ[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]*|\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{6,}/gi;

export function scrubText(text: string): string {
  if (text.length < 8) return text;
  SECRET_IN_TEXT.lastIndex = 0;
  if (!SECRET_IN_TEXT.test(text)) return text;
  return text.replace(SECRET_IN_TEXT, (_match, ticketPrefix: string | undefined, parameter: string | undefined, scheme: string | undefined) =>
    ticketPrefix ? `${ticketPrefix}${CENSOR}` : parameter ? `${parameter}${CENSOR}` : scheme ? `${scheme} ${CENSOR}` : CENSOR,
  );
}

/**
 * An object's own string fields scrubbed (one level; for an Error also its message and stack), as
 * a copy with the same prototype, or the object itself when nothing changed.
 */
function scrubbedObject(value: object): object {
  const record = value as Record<string, unknown>;
  const keys = value instanceof Error ? ['message', 'stack', ...Object.keys(value)] : Object.keys(value);
  let copy: Record<string, unknown> | undefined;
  for (const key of keys) {
    const field = record[key];
    if (typeof field !== 'string') continue;
    const clean = scrubText(field);
    if (clean === field) continue;
    copy ??= censored(value, []) as Record<string, unknown>;
    Object.defineProperty(copy, key, { value: clean, enumerable: Object.prototype.propertyIsEnumerable.call(value, key), writable: true, configurable: true });
  }
  return copy ?? value;
}

/**
 * A copy of an object (same prototype, same property order) with some fields censored. Accessor
 * properties are copied as their current values: since Node 24 (V8 13) an Error's own `stack` is
 * an accessor that answers only for the error it belongs to, so a copied getter printed "".
 */
function censored(value: object, fields: readonly string[]): object {
  const copy = Object.create(Object.getPrototypeOf(value) as object | null) as Record<string, unknown>;
  const descriptors = Object.getOwnPropertyDescriptors(value);
  for (const [key, descriptor] of Object.entries(descriptors)) {
    if (descriptor.get) descriptors[key] = { value: (value as Record<string, unknown>)[key], enumerable: descriptor.enumerable, writable: true, configurable: true };
  }
  Object.defineProperties(copy, descriptors);
  for (const field of fields) {
    if (field in value) Object.defineProperty(copy, field, { value: CENSOR, enumerable: true, writable: true, configurable: true });
  }
  return copy;
}

/**
 * The redaction pino's `redact` option did with the paths token, jwt, secret, password,
 * clientSecret, privateKey, *.token, *.secret, *.password, req.headers.authorization and
 * req.headers.cookie, as a formatter: one pass over the top-level fields, and a copy only when a
 * field is actually censored (pino's redact ran a path walker on every field of every line,
 * about 20 µs for an audit line). Same output, checked by test/http/logger.test.ts.
 */
export function redactFields<T extends Record<string, unknown>>(fields: T): T {
  let out: Record<string, unknown> | undefined;
  for (const key in fields) {
    const value = fields[key];
    if (value === undefined) continue;
    let replacement: unknown = value;
    if (TOP_LEVEL.has(key)) replacement = CENSOR;
    else if (typeof value === 'string') replacement = scrubText(value);
    else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      let hit: string[] | undefined;
      for (const field of NESTED) if (field in value) (hit ??= []).push(field);
      replacement = scrubbedObject(value);
      if (hit) replacement = censored(replacement as object, hit);
      if (key === 'req') {
        const headers = (replacement as { headers?: unknown }).headers;
        if (typeof headers === 'object' && headers !== null && !Array.isArray(headers) && REQUEST_HEADERS.some((field) => field in headers)) {
          if (replacement === value) replacement = censored(value, []);
          (replacement as { headers: unknown }).headers = censored(headers, REQUEST_HEADERS);
        }
      }
    }
    if (replacement !== value) {
      out ??= { ...fields };
      out[key] = replacement;
    }
  }
  return (out ?? fields) as T;
}

/**
 * Structured JSON logs (one line per event) on stdout. Secret-bearing fields are redacted by path,
 * and secrets inside text (tickets, codes, state, tokens in URLs and messages) by scrubText, as a
 * second line of defence: code never passes tokens or secrets to the logger.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level,
    base: { service: 'jitsi-sso-gateway' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ level: label }),
      bindings: (bindings) => redactFields(bindings),
      log: (fields) => redactFields(fields),
    },
  };
  const logger = destination ? pino(options, destination) : pino(options);
  // pino applies formatters.bindings to the root's bindings only: children (which inherit this
  // method through their prototype) redact theirs here.
  const child = logger.child;
  logger.child = function redactedChild(this: Logger, bindings, childOptions) {
    return child.call(this, redactFields(bindings), childOptions);
  } as typeof logger.child;
  return logger;
}
