import { loadConfig } from '../../config/load.js';
import { createTargets } from '../../tokens/targets.js';
import { explainPolicy } from '../../policy/explain.js';
import type { ProviderSettings } from '../../config/providers.js';
import { providerUrls } from '../../idp/check.js';
import { targetWiring } from '../../tokens/wiring.js';
import { guard, parse } from '../args.js';

/** What to register at the IdP for one provider: the exact URLs, as the IdP compares them. */
function providerLines(publicUrl: string, name: string, provider: ProviderSettings): string[] {
  const preset = typeof provider.preset === 'string' ? `, preset ${provider.preset}` : '';
  const urls = providerUrls(publicUrl, name);
  switch (provider.kind) {
    case 'oidc':
      return [
        `  provider ${name}: oidc${preset}; register at the IdP for client ${provider.clientId} (client authentication ${provider.clientAuth}):`,
        `    redirect URI:             ${urls.callback}`,
        `    post-logout redirect URI: ${urls.postLogout}`,
        `    back-channel logout URI:  ${urls.backchannelLogout}   (session required / sid on)`,
      ];
    case 'cas':
      return [
        `  provider ${name}: cas${preset}; register at the CAS server:`,
        `    service URL: ${urls.callback}   (as a prefix or pattern: the gateway adds ?tx=<id>; single logout requests are POSTed to it)`,
      ];
    case 'saml':
      return [
        `  provider ${name}: saml${preset}; register at the IdP (or the federation) the SP metadata ${publicUrl}/auth/${name}/metadata:`,
        `    entityID:                       ${provider.sp.entityId ?? `${publicUrl}/auth/${name}/metadata`}`,
        `    AssertionConsumerService (POST): ${urls.callback}`,
        `    SingleLogoutService (Redirect):  ${publicUrl}/auth/${name}/logout`,
      ];
    default:
      return [`  provider ${name}: ${provider.kind}${preset}`];
  }
}

/** Validates a configuration, prints every problem at once, or a plain-words summary. */
export async function run(argv: string[]): Promise<number> {
  return guard(async () => {
    const { values } = parse(argv, { config: { type: 'string', short: 'c' }, quiet: { type: 'boolean', short: 'q', default: false } });
    const loaded = loadConfig({ file: values.config });
    const { config, warnings } = loaded;
    const lines: string[] = [`configuration ${loaded.source} is valid`];
    if (!values.quiet) {
      lines.push(`  mode: ${config.mode}; public URL ${config.publicUrl}; store: ${config.store.kind}`);
      const targets = createTargets(config);
      const defaultName = config.defaultTarget ?? [...targets.keys()][0];
      for (const target of targets.values()) {
        const c = target.config;
        const where = [c.rootRooms ? 'rooms without tenant' : undefined, c.tenants.length > 0 ? `tenants ${c.tenants.join(', ')}` : undefined].filter(Boolean).join(' and ');
        lines.push(`  target ${target.name}: ${c.url} (${where}); ${c.algorithm} tokens, iss=${target.issuer} aud=${c.audience} sub=<tenant>|${c.xmppDomain}; lifetime ${c.tokenTtlSeconds}s (max ${c.maxTokenTtlSeconds}s), nbf ${c.nbfSkewSeconds}s in the past`);
        for (const key of target.keyring?.published ?? []) lines.push(`    key ${key.kid} (${key.status}) published at /asap/${key.asapName}.pem`);
        if (c.sso) lines.push(`    inline sign-in (config.sso) client ${c.sso.clientId}: codes go to ${c.sso.redirectUri ?? `${new URL(c.url).origin}/static/sso.html`}`);
        const wiring = targetWiring(config.publicUrl, target.name, c, target.name === defaultName);
        lines.push('    Jitsi Meet config.js:', ...wiring.configJs.map((line) => `      ${line}`));
        lines.push('    Prosody (prosody.cfg.lua):', ...wiring.prosody.map((line) => `      ${line}`));
        lines.push('    docker-jitsi-meet (.env) / jitsi-helm:', ...wiring.dockerJitsiMeet.map((line) => `      ${line}`));
      }
      for (const [name, provider] of Object.entries(config.providers)) lines.push(...providerLines(config.publicUrl, name, provider));
    }
    const policy = explainPolicy(config);
    if (!values.quiet) lines.push(...policy.lines.map((line) => `  ${line}`));
    for (const warning of [...warnings, ...policy.warnings]) lines.push(`  warning: ${warning}`);
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  });
}
