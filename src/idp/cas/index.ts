import type { ProviderFactory } from '../registry.js';
import { createCasProvider } from './provider.js';
import { casProviderSchema } from './settings.js';

export { createCasProvider, CAS_FAILURES, buildServiceUrl, ticketFingerprint, TX_PATTERN, SERVICE_TICKET_PATTERN } from './provider.js';
export type { CasProviderDeps } from './provider.js';
export { casProviderSchema, casAttributesSchema, CAS_VERSIONS } from './settings.js';
export type { CasProviderSettings, CasProviderInput, CasAttributeMapping, CasVersion } from './settings.js';
export { parseServiceResponse, parseCas1Response } from './response.js';
export type { CasValidation, CasAttributes } from './response.js';
export { parseLogoutRequest, sloXmlFromBody, MAX_SLO_BYTES, TICKET_PATTERN } from './slo.js';
export { parseXmlDocument, decodeXmlText, XmlError } from './xml.js';

/** The `cas` provider kind, listed in src/idp/kinds.ts (imported only when a provider uses it). */
export const createProvider: ProviderFactory = async (name, settings, deps) => {
  const parsed = casProviderSchema.safeParse(settings);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(provider)'}: ${issue.message}`).join('; ');
    throw new Error(`providers.${name}: ${problems}`);
  }
  return createCasProvider(name, parsed.data, { log: deps.logger });
};
