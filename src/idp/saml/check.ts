import { fail, ok, warn, type CheckResult } from '../check.js';
import { MetadataSource } from './metadata-source.js';
import type { SamlProviderSettings } from './settings.js';

/**
 * `providers check` for a SAML provider: the IdP metadata loads (downloaded, signature checked when
 * a federation certificate is configured, parsed, not expired) and says what the gateway needs
 * (signing certificate, HTTP-Redirect SSO; SLO for single logout). What to register at the IdP is
 * printed by check-config.
 */
export async function checkSamlProvider(name: string, settings: SamlProviderSettings, fetchImpl: typeof fetch = fetch): Promise<CheckResult[]> {
  if (settings.idp.mdqUrl) {
    return [ok('MDQ service', `${settings.idp.mdqUrl}: each IdP's metadata is fetched when a login names it, and must be signed by the federation certificate`)];
  }
  const problems: string[] = [];
  const source = new MetadataSource(settings.idp, {
    provider: name,
    displayName: settings.displayName ?? name,
    fetch: fetchImpl,
    log: { info: () => undefined, warn: (obj) => void problems.push(String(obj.reason ?? '')) },
  });
  await source.load();
  const members = source.members();
  if (members) {
    return [
      ok('federation metadata', `${members.size} IdPs, signed by a configured federation certificate`),
    ];
  }
  const metadata = source.get();
  if (!metadata) {
    return [
      fail('IdP metadata', source.problem() ?? problems[0] ?? 'cannot be loaded', 'check idp.metadataUrl / metadataFile / metadata (and idp.entityId for an aggregate, the federation certificate for signed metadata)'),
    ];
  }
  const results: CheckResult[] = [
    ok('IdP metadata', `${metadata.entityId}: ${metadata.signingCertificates.length} signing certificate(s), SSO ${metadata.ssoRedirectUrl}`),
  ];
  if (settings.idp.metadataSigningCertificates || settings.idp.metadataSigningCertificateFiles) results.push(ok('metadata signature', 'signed by a configured federation certificate'));
  results.push(
    metadata.sloRedirectUrl
      ? ok('single logout', `HTTP-Redirect SLO at ${metadata.sloRedirectUrl}`)
      : warn('single logout', 'the IdP metadata has no HTTP-Redirect SingleLogoutService: /logout ends only the gateway session'),
  );
  if (metadata.validUntil !== undefined && metadata.validUntil - Date.now() < 2 * 86_400_000) {
    results.push(warn('metadata validity', `validUntil ${new Date(metadata.validUntil).toISOString()} is less than two days away`, 'make sure the metadata is refreshed (idp.metadataUrl) before then'));
  }
  return results;
}
