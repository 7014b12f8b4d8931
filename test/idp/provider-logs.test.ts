import { afterEach, describe, expect, it } from 'vitest';
import { PROVIDER_KINDS } from '../../src/idp/kinds.js';
import { createProviders, providerLoaders } from '../../src/idp/registry.js';
import type { IdentityProvider } from '../../src/idp/provider.js';
import { createLogger } from '../../src/observability/logger.js';
import { hsConfig } from '../support/config.js';
// A port that was free a moment ago has nothing listening: discovery fails with "connection refused".
import { freePort } from '../support/redis.js';

/**
 * A provider's log lines come from a logger that already carries `provider` (registry.ts), so the
 * provider code must not add the field again: a JSON line with a key twice is read differently by
 * different log pipelines (Loki and jq keep the last, some the first, some reject the line).
 */

/** Top-level keys of one JSON log line, in order, duplicates kept. */
function topLevelKeys(line: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  for (let i = 0; i < line.length; i += 1) {
    const char = line[i];
    if (char === '"') {
      let end = i + 1;
      while (line[end] !== '"') end += line[end] === '\\' ? 2 : 1;
      if (depth === 1 && line[end + 1] === ':') keys.push(line.slice(i + 1, end));
      i = end;
    } else if (char === '{' || char === '[') depth += 1;
    else if (char === '}' || char === ']') depth -= 1;
  }
  return keys;
}

let providers: Map<string, IdentityProvider> | undefined;
afterEach(async () => {
  for (const provider of providers?.values() ?? []) await provider.close?.();
  providers = undefined;
});

describe('provider log lines', () => {
  it('the helper sees a duplicated key', () => {
    expect(topLevelKeys('{"a":1,"b":{"a":2},"c":["a"],"a":3}')).toEqual(['a', 'b', 'c', 'a']);
  });

  it('name the provider once when discovery fails', async () => {
    const lines: string[] = [];
    const logger = createLogger('debug', { write: (line: string) => lines.push(line) });
    const issuer = `http://127.0.0.1:${await freePort()}/realms/corp`;
    const { config } = hsConfig({ providers: { corp: { kind: 'oidc', issuer, clientId: 'gateway', clientSecret: 'corp-client-secret-0123456789' } } });
    providers = await createProviders(config.providers, providerLoaders(PROVIDER_KINDS), { config, logger });
    await expect.poll(() => lines.some((line) => line.includes('metadata could not be loaded')), { timeout: 5000 }).toBe(true);
    const line = lines.find((candidate) => candidate.includes('metadata could not be loaded')) ?? '';
    const keys = topLevelKeys(line);
    expect(keys.filter((key) => key === 'provider')).toHaveLength(1);
    expect(new Set(keys).size).toBe(keys.length);
    expect(JSON.parse(line)).toMatchObject({ level: 'warn', provider: 'corp', discoveryUrl: `${issuer}/.well-known/openid-configuration` });
  });
});
