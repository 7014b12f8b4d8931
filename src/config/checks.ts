import { deflateRawSync } from 'node:zlib';
import type { ConfigIssue } from '../settings/issues.js';
import { PROSODY_ALGORITHMS } from '../tokens/settings.js';
import type { Config } from './schema.js';
import { loadKeyring } from '../keys/keyring.js';
import { ambiguity, providerScope, providerScopeIssues } from '../policy/scope.js';
import { hasPersonConditions } from '../policy/rules.js';
import { readIdTokenKey } from '../keys/id-token-key.js';

/** Minimum HS secret length: 32 bytes (256 bits), as for HS256 keys in RFC 7518 §3.2. */
export const MIN_SECRET_BYTES = 32;

const KNOWN_WEAK = [
  'changeme', 'change-me', 'secret', 'password', 'jitsi', 'my_jitsi_app_secret', 'example', 'default', 'please-change',
];

/** Checks that need more than one field, or knowledge of Prosody. Returns problems and warnings. */
export function checkConfig(config: Config): { issues: ConfigIssue[]; warnings: string[] } {
  const issues: ConfigIssue[] = [];
  const warnings: string[] = [];
  const targetNames = Object.keys(config.targets);
  if (targetNames.length === 0) {
    issues.push({ path: 'targets', problem: 'no Jitsi target is configured', fix: 'add one under targets: (url, xmppDomain, appId, algorithm, secret or keys)' });
  }
  if (config.defaultTarget !== undefined && !config.targets[config.defaultTarget]) {
    issues.push({ path: 'defaultTarget', problem: `names no configured target ("${config.defaultTarget}")`, fix: `use one of ${targetNames.join(', ')}` });
  }
  const kids = new Map<string, string>();
  for (const [name, target] of Object.entries(config.targets)) {
    const path = `targets.${name}`;
    const algorithm = target.algorithm;
    if (!(PROSODY_ALGORITHMS as readonly string[]).includes(algorithm)) {
      issues.push({
        path: `${path}.algorithm`,
        problem: `"${algorithm}" is not accepted by Prosody's token plugin (no ES*, EdDSA, PS* or none)`,
        fix: `use one of ${PROSODY_ALGORITHMS.join(', ')}`,
      });
      continue;
    }
    if (algorithm.startsWith('HS')) {
      if (target.keys.length > 0) {
        issues.push({ path: `${path}.keys`, problem: `keys are for RS* algorithms; ${algorithm} uses secret`, fix: 'remove keys or switch algorithm to RS256' });
      }
      const secret = target.secret;
      if (secret === undefined || secret === '') {
        issues.push({ path: `${path}.secret`, problem: `${algorithm} needs Prosody's app_secret`, fix: 'set secretFile (or JSG_TARGETS__<NAME>__SECRET_FILE) to a file holding at least 32 random bytes, e.g. `openssl rand -base64 48`' });
      } else {
        const weakness = secretWeakness(secret);
        if (weakness) {
          issues.push({ path: `${path}.secret`, problem: weakness, fix: 'generate a new one with `openssl rand -base64 48` and set the same value as Prosody\'s app_secret' });
        }
      }
    } else {
      if (target.secret !== undefined) {
        issues.push({ path: `${path}.secret`, problem: `a secret is for HS* algorithms; ${algorithm} signs with keys`, fix: 'remove secret' });
      }
      const { keyring, issues: keyIssues } = loadKeyring(target.keys, algorithm, `${path}.keys`);
      issues.push(...keyIssues);
      for (const key of keyring?.published ?? []) {
        const other = kids.get(key.kid);
        if (other) issues.push({ path: `${path}.keys`, problem: `kid "${key.kid}" is also used by target ${other}`, fix: 'kids must be unique: /asap serves all targets from one namespace' });
        kids.set(key.kid, name);
      }
    }
    if (target.tokenTtlSeconds > target.maxTokenTtlSeconds) {
      issues.push({ path: `${path}.tokenTtlSeconds`, problem: `(${target.tokenTtlSeconds}) is above maxTokenTtlSeconds (${target.maxTokenTtlSeconds})`, fix: 'lower it or raise the cap' });
    }
    if (target.maxTokenTtlSeconds > 86400) {
      issues.push({ path: `${path}.maxTokenTtlSeconds`, problem: 'is more than a day; tokens are meant to live minutes', fix: 'use at most 86400 (3600 or less recommended)' });
    } else if (target.maxTokenTtlSeconds > 3600) {
      warnings.push(`${path}.maxTokenTtlSeconds is ${target.maxTokenTtlSeconds} s; tokens that live hours cannot be revoked, 3600 or less is recommended`);
    }
    if (!target.rootRooms && target.tenants.length === 0) {
      issues.push({ path: `${path}.tenants`, problem: 'is empty while rootRooms is false: no room could ever be joined', fix: 'list the tenants or set rootRooms: true' });
    }
  }
  const scope = providerScope(config);
  if (scope.defaults === undefined && scope.configured.length > 1) {
    config.policy.hosts?.when.forEach((when, index) => {
      if (when.provider === undefined && hasPersonConditions(when)) {
        issues.push({ path: `policy.hosts.when.${index}`, problem: `matches on people without provider, and ${ambiguity(scope)}`, fix: 'add provider: <name>, or set policy.defaultProviders' });
      }
    });
  }
  const clientIds = new Map<string, string>();
  for (const [name, target] of Object.entries(config.targets)) {
    if (!target.sso) continue;
    const other = clientIds.get(target.sso.clientId);
    if (other) issues.push({ path: `targets.${name}.sso.clientId`, problem: `"${target.sso.clientId}" is also the client id of target ${other}`, fix: "give each target's Jitsi (config.sso.clientId) its own client id" });
    clientIds.set(target.sso.clientId, name);
  }
  if (config.tokenService.signingKey) {
    issues.push(...readIdTokenKey(config.tokenService.signingKey, 'tokenService.signingKey').issues);
  } else if (clientIds.size > 0 && config.store.kind === 'redis') {
    warnings.push('tokenService.signingKey is not set: every replica signs ID tokens with its own start-up key; set it (EC P-256 or RSA) when running more than one');
  }
  if (config.store.kind === 'redis') {
    const redis = config.store.redis;
    const modes = redis ? [redis.url, redis.sentinel, redis.cluster].filter((mode) => mode !== undefined).length : 0;
    if (modes !== 1) {
      issues.push({ path: 'store.redis', problem: `needs exactly one of url, sentinel or cluster (found ${modes})`, fix: 'e.g. store.redis.url: redis://redis:6379' });
    }
    const waitMs = redis?.replicatedWrites?.timeoutMs;
    if (redis && waitMs !== undefined && waitMs >= redis.commandTimeoutMs) {
      issues.push({ path: 'store.redis.replicatedWrites.timeoutMs', problem: `(${waitMs}) must be below commandTimeoutMs (${redis.commandTimeoutMs}): the wait is part of the write`, fix: `lower it, e.g. to ${Math.floor(redis.commandTimeoutMs / 2)}` });
    }
  } else {
    warnings.push('store.kind is memory: state lives in this process only; run a single replica (use Redis for more)');
  }
  const management = config.server.management.port;
  if (management !== undefined && management !== 0 && management === config.server.port) {
    issues.push({ path: 'server.management.port', problem: `is the same port as server.port (${management})`, fix: 'use another port, e.g. 9090, or leave it unset' });
  }
  if (management === undefined && config.mode === 'production') {
    warnings.push('server.management.port is not set: /metrics (which names API clients) and the detailed /readyz?verbose are served on the main port to anyone who reaches it; set server.management.port (e.g. 9090) and keep that port private');
  }
  issues.push(...providerScopeIssues(config));
  issues.push(...gateIssues(config));
  const publicUrl = new URL(config.publicUrl);
  if (config.mode === 'production' && publicUrl.protocol === 'http:' && !['localhost', '127.0.0.1', '[::1]'].includes(publicUrl.hostname)) {
    warnings.push(`publicUrl ${config.publicUrl} is plain http: session cookies are not marked Secure; use https in production`);
  }
  return { issues, warnings };
}

/** Why a shared secret is too weak, or undefined when it is acceptable. */
export function secretWeakness(secret: string): string | undefined {
  const bytes = Buffer.byteLength(secret, 'utf8');
  if (bytes < MIN_SECRET_BYTES) return `is ${bytes} bytes long; at least ${MIN_SECRET_BYTES} random bytes are required`;
  const lower = secret.toLowerCase();
  if (KNOWN_WEAK.some((weak) => lower.replaceAll(/[^a-z_-]/g, '').startsWith(weak) && lower.length < 48)) {
    return 'looks like a default or example value';
  }
  if (new Set(secret).size < 10) return 'has too few distinct characters to be random';
  return patternWeakness(secret);
}

/**
 * Patterned secrets that are long enough and have enough distinct characters: a block repeated
 * (`<16 characters>` four times, `passwordpassword…`), or a run through the alphabet
 * (`abc…XYZ0…9`). Two estimates: how far DEFLATE compresses the secret (repetition compresses; 32
 * random bytes in base64 or hex stay above 40 bytes), and how many neighbouring characters are
 * consecutive (about 3 % in base64, 12 % in hex, nearly all in a run).
 */
function patternWeakness(secret: string): string | undefined {
  const compressed = deflateRawSync(Buffer.from(secret, 'utf8'), { level: 9 }).length;
  if (compressed < MIN_SECRET_BYTES) {
    return `is patterned: it compresses to ${compressed} bytes (repeated blocks or words), far less than ${MIN_SECRET_BYTES} random bytes`;
  }
  let steps = 0;
  for (let i = 1; i < secret.length; i += 1) if (Math.abs(secret.charCodeAt(i) - secret.charCodeAt(i - 1)) === 1) steps += 1;
  if (steps > 0.4 * (secret.length - 1)) return 'is patterned: mostly runs of consecutive characters (abc…, 123…), not random';
  return undefined;
}

/** The gate (src/gate/): its pass cookies are signed with gate.cookieSecret. */
function gateIssues(config: Config): ConfigIssue[] {
  if (!config.gate) return [];
  const issues: ConfigIssue[] = [];
  const secret = config.gate.cookieSecret;
  const weakness = secret === undefined || secret === '' ? 'is missing: the gate signs its pass cookies with it' : secretWeakness(secret);
  if (weakness) {
    issues.push({ path: 'gate.cookieSecret', problem: weakness, fix: 'set gate.cookieSecretFile to a file holding at least 32 random bytes (`openssl rand -base64 48`), the same on every replica' });
  }
  if (config.gate.cookieName.startsWith(config.session.cookieName)) {
    issues.push({ path: 'gate.cookieName', problem: `starts with session.cookieName ("${config.session.cookieName}")`, fix: 'keep the default jsg_gate or choose another prefix' });
  }
  return issues;
}
