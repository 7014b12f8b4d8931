import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * What a configuration does not use is not loaded (issue 15's start-up target). The configuration
 * checks every provider kind's settings with its zod schema, but a kind's implementation and its
 * dependencies (SAML: @node-saml/node-saml, xml-crypto, @xmldom/xmldom, fast-xml-parser; CAS:
 * fast-xml-parser) are imported only when a configured provider uses the kind; RE2JS only for a
 * rule pattern, yaml only for a YAML file, preset or flow-collection environment value. A fresh
 * node process (the compiled dist/, as `serve` runs it) loads the configuration and builds its
 * providers; a module hook records every module it loads (an ESM import; the checks below are
 * that none of these is imported eagerly).
 */

const DIST = pathToFileURL(fileURLToPath(new URL('../../dist/src/', import.meta.url))).href;
const dir = mkdtempSync(join(tmpdir(), 'jsg-lazy-load-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HOOKS = join(dir, 'hooks.mjs');
writeFileSync(
  HOOKS,
  `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  appendFileSync(process.env.JSG_TRACE, url + '\\n');
  return next(url, context);
}
`,
);

/** Every module URL a process loads while it parses `providers` and creates them as the gateway does. */
function modulesLoaded(providers: Record<string, unknown>): string[] {
  const trace = join(dir, `trace-${randomBytes(6).toString('hex')}.txt`);
  writeFileSync(trace, '');
  const settings = {
    publicUrl: 'http://127.0.0.1:8080',
    log: { level: 'silent' },
    targets: { meet: { url: 'https://meet.example.com', xmppDomain: 'meet.jitsi', appId: 'jitsi-sso', secret: randomBytes(32).toString('base64url') } },
    providers,
  };
  const script = `
    import { register } from 'node:module';
    register(${JSON.stringify(pathToFileURL(HOOKS).href)});
    const { parseConfig } = await import('${DIST}config/load.js');
    const { PROVIDER_KINDS } = await import('${DIST}idp/kinds.js');
    const { createProviders, providerLoaders } = await import('${DIST}idp/registry.js');
    const { createLogger } = await import('${DIST}observability/logger.js');
    const { config } = parseConfig(${JSON.stringify(settings)});
    const providers = await createProviders(config.providers, providerLoaders(PROVIDER_KINDS), { config, logger: createLogger('silent') });
    for (const provider of providers.values()) await provider.close?.();
    process.exit(0);
  `;
  execFileSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, JSG_TRACE: trace }, stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
  return readFileSync(trace, 'utf8').split('\n').filter(Boolean);
}

const loads = (modules: string[], part: string) => modules.some((url) => url.includes(part));
const SAML_IMPLEMENTATION = ['/idp/saml/index.js', '/idp/saml/provider.js', 'node_modules/@node-saml/', 'node_modules/xml-crypto/', 'node_modules/@xmldom/'];
const CAS_IMPLEMENTATION = ['/idp/cas/index.js', '/idp/cas/provider.js'];

describe('a configuration loads what it uses', () => {
  it('an OIDC-only configuration loads no CAS or SAML implementation, only their settings schemas (nor RE2JS without a rule pattern, nor yaml without a file)', () => {
    const modules = modulesLoaded({ corp: { kind: 'oidc', issuer: 'http://127.0.0.1:9/realms/corp', clientId: 'gateway', clientSecret: 'corp-client-secret-0123456789' } });
    expect(loads(modules, '/idp/oidc/provider.js')).toBe(true);
    expect(loads(modules, '/idp/saml/settings.js') && loads(modules, '/idp/cas/settings.js')).toBe(true);
    for (const part of [...SAML_IMPLEMENTATION, ...CAS_IMPLEMENTATION, 'node_modules/fast-xml-parser/', 'node_modules/re2js/', 'node_modules/yaml/']) expect(modules.filter((url) => url.includes(part))).toEqual([]);
  });

  it('a CAS provider loads the CAS kind and fast-xml-parser, still no SAML', () => {
    const modules = modulesLoaded({ campus: { kind: 'cas', baseUrl: 'https://cas.example.org/cas' } });
    expect(loads(modules, '/idp/cas/provider.js')).toBe(true);
    expect(loads(modules, 'node_modules/fast-xml-parser/')).toBe(true);
    for (const part of [...SAML_IMPLEMENTATION, '/idp/oidc/provider.js', 'node_modules/openid-client/']) expect(modules.filter((url) => url.includes(part))).toEqual([]);
  });
});
