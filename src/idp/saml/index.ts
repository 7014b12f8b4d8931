import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Counter, type Registry } from 'prom-client';
import type { ProviderFactory } from '../registry.js';
import { createSamlProvider } from './provider.js';
import { samlProviderSchema, type SamlProviderSettings } from './settings.js';

export { SamlProvider, createSamlProvider } from './provider.js';
export type { SamlProviderDeps } from './provider.js';
export { samlProviderSchema, NAMEID_FORMATS } from './settings.js';
export type { SamlProviderSettings, SamlProviderInput, SamlAttributeMapping } from './settings.js';
export { parseIdpMetadata, scopeAllowed } from './metadata.js';
export type { IdpMetadata } from './metadata.js';
export { spMetadataXml } from './sp-metadata.js';

/** One counter per metrics registry, shared by every SAML provider of the gateway. */
const refreshFailures = new WeakMap<Registry, Counter<'provider'>>();

function refreshFailureCounter(registry: Registry): Counter<'provider'> {
  let counter = refreshFailures.get(registry);
  if (!counter) {
    counter = new Counter({
      name: 'jsg_saml_metadata_refresh_failures_total',
      help: 'SAML IdP metadata loads that failed (the last good copy stays in use)',
      labelNames: ['provider'],
      registers: [registry],
    });
    refreshFailures.set(registry, counter);
  }
  return counter;
}

/** The SP certificates (current, then next), each checked against the SP private key where it must match. */
export function spCertificates(name: string, sp: SamlProviderSettings['sp']): string[] {
  const read = (inline: string | undefined, file: string | undefined, field: string): string | undefined => {
    if (inline !== undefined && file !== undefined) throw new Error(`providers.${name}.sp.${field}: set ${field} or ${field}File, not both`);
    if (file === undefined) return inline;
    try {
      return readFileSync(file, 'utf8');
    } catch (error) {
      throw new Error(`providers.${name}.sp.${field}File: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  };
  const current = read(sp.certificate, sp.certificateFile, 'certificate');
  if (!current) throw new Error(`providers.${name}.sp.certificate: the SP certificate is required (certificate or certificateFile, PEM)`);
  let key;
  try {
    key = createPrivateKey(sp.privateKey);
  } catch {
    throw new Error(`providers.${name}.sp.privateKey: is not a PEM private key`);
  }
  if (key.asymmetricKeyType !== 'rsa' || (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
    throw new Error(`providers.${name}.sp.privateKey: must be an RSA key of at least 2048 bits (what SAML IdPs accept)`);
  }
  let certificate;
  try {
    certificate = new X509Certificate(current);
  } catch {
    throw new Error(`providers.${name}.sp.certificate: is not a PEM certificate`);
  }
  if (!certificate.checkPrivateKey(key)) throw new Error(`providers.${name}.sp.certificate: does not belong to sp.privateKey`);
  const out = [certificate.toString()];
  const next = read(sp.nextCertificate, sp.nextCertificateFile, 'nextCertificate');
  if (next) {
    try {
      out.push(new X509Certificate(next).toString());
    } catch {
      throw new Error(`providers.${name}.sp.nextCertificate: is not a PEM certificate`);
    }
  }
  return out;
}

/** The `saml` provider kind, listed in src/idp/kinds.ts (imported only when a provider uses it). */
export const createProvider: ProviderFactory = async (name, settings, deps) => {
  const parsed = samlProviderSchema.safeParse(settings);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(provider)'}: ${issue.message}`).join('; ');
    throw new Error(`providers.${name}: ${problems}`);
  }
  const counter = deps.metrics ? refreshFailureCounter(deps.metrics.registry) : undefined;
  const provider = createSamlProvider(name, parsed.data, {
    log: deps.logger,
    publicUrl: deps.config.publicUrl.replace(/\/+$/, ''),
    certificates: spCertificates(name, parsed.data.sp),
    ...(counter ? { onMetadataRefreshFailure: () => counter.inc({ provider: name }) } : {}),
  });
  await provider.start();
  return provider;
};
