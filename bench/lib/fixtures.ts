import { generateKeyPairSync } from 'node:crypto';
import { parseConfig, type LoadedConfig } from '../../src/config/load.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { createTargets } from '../../src/tokens/targets.js';
import { createLogger } from '../../src/observability/logger.js';
import type { JitsiTarget, TokenRequest } from '../../src/tokens/target.js';

export const SECRET = 'YmVuY2htYXJrIHNlY3JldCBvZiBlbm91Z2ggbGVuZ3RoIDEyMzQ1Njc4OTA';
export const KID = 'jsg-bench-2026:a';

let rsaPem: string | undefined;
/** One RSA-2048 key per run (PKCS#8 PEM). */
export function rsaPrivatePem(): string {
  rsaPem ??= generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  return rsaPem;
}

/** A production-like configuration: one target, memory store, info logging (plus `extra` sections). */
export function benchConfig(algorithm: 'HS256' | 'RS256', extra: Record<string, unknown> = {}): LoadedConfig {
  return parseConfig({
    publicUrl: 'http://127.0.0.1:8080',
    log: { level: 'info' },
    targets: {
      meet: {
        url: 'https://meet.example.com',
        xmppDomain: 'meet.jitsi',
        appId: 'meet-gateway',
        audience: 'jitsi',
        algorithm,
        tenants: ['sales'],
        ...(algorithm === 'HS256' ? { secret: SECRET } : { keys: [{ kid: KID, status: 'active', privateKey: rsaPrivatePem() }] }),
      },
    },
    ...extra,
  }, 'bench');
}

export function benchTarget(algorithm: 'HS256' | 'RS256'): JitsiTarget {
  const target = createTargets(benchConfig(algorithm).config).get('meet');
  if (!target) throw new Error('bench target missing');
  return target;
}

/** A typical SSO login's token request: named moderator with e-mail, one room. */
export function typicalRequest(target: JitsiTarget): TokenRequest {
  return {
    location: target.locate('Weekly Standup', undefined),
    user: { id: 'u-7f3a9c', name: 'Ada Lovelace', email: 'ada.lovelace@example.com', moderator: true, affiliation: 'owner' },
  };
}

/** The real gateway app with logs discarded (info level, as in production: no per-request lines). */
export async function benchGateway(algorithm: 'HS256' | 'RS256'): Promise<Gateway> {
  const logger = createLogger('info', { write() {} });
  return createGateway(benchConfig(algorithm), { logger });
}
