import { describe, expect, it } from 'vitest';
import { MetadataSource } from '../../../src/idp/saml/metadata-source.js';
import { OFF_THREAD_FROM_BYTES } from '../../../src/idp/saml/metadata-read.js';
import { aggregate, signAggregate, testFederation } from '../../support/saml-federation.js';

/**
 * Federation metadata is verified and parsed off the event loop (issue 14: a 5,000-IdP aggregate
 * held it for 3.8 s): a large document is read in a worker thread, and only the compact index comes
 * back. These tests check on which thread the work happened (worker_threads' threadId: 0 is the
 * main thread), not how long it took; the timing is `npm run bench` (SAML federation aggregate).
 */

const federation = testFederation(150);
const log = { info: () => undefined, warn: () => undefined };
const settings = (metadata: string) => ({ metadata, metadataSigningCertificates: [federation.federationKeys.cert], refreshSeconds: 3600, timeoutMs: 1000, maxMetadataBytes: 50_000_000 });

async function load(metadata: string, offThreadFromBytes?: number): Promise<MetadataSource> {
  const source = new MetadataSource(settings(metadata), { provider: 'fed', displayName: 'Federation', log, ...(offThreadFromBytes === undefined ? {} : { offThreadFromBytes }) });
  await source.start();
  return source;
}

describe('federation metadata off the event loop', () => {
  const signed = signAggregate(aggregate(federation.members), federation.federationKeys);

  it('a large aggregate is verified and parsed in a worker thread; the index comes back whole', async () => {
    expect(signed.length).toBeGreaterThan(OFF_THREAD_FROM_BYTES);
    const source = await load(signed);
    expect(source.problem()).toBeUndefined();
    expect(source.lastReadThread()).toBeGreaterThan(0);
    expect(source.members()?.size).toBe(152);
    const alpha = source.get(federation.alpha.idp.entityId);
    expect(alpha).toMatchObject({ entityId: federation.alpha.idp.entityId, ssoRedirectUrl: federation.alpha.idp.ssoUrl, displayName: 'Alpha University', scopes: [{ value: 'alpha.example.org', regexp: false }] });
    expect(alpha?.signingCertificates[0]?.replace(/\s/g, '')).toBe(federation.alpha.idp.keys.cert.replace(/\s/g, ''));
  });

  it('the worker refuses what the main thread refuses: unsigned, tampered, foreign-signed', async () => {
    const unsigned = await load(aggregate(federation.members), 0);
    expect(unsigned.problem()).toMatch(/not signed/);
    expect(unsigned.lastReadThread()).toBeGreaterThan(0);
    const tampered = await load(signed.replace(federation.alpha.idp.ssoUrl, 'https://evil.example.net/sso'), 0);
    expect(tampered.problem()).toMatch(/does not verify/);
    const foreign = await load(signAggregate(aggregate(federation.members), federation.beta.idp.keys), 0);
    expect(foreign.problem()).toMatch(/does not verify/);
    expect(foreign.members()).toBeUndefined();
  });

  it('a small document (one IdP) stays on the main thread: a worker would cost more than it saves', async () => {
    const single = await load(signAggregate(aggregate([federation.alpha]), federation.federationKeys));
    expect(single.lastReadThread()).toBe(0);
    expect(single.get()?.entityId).toBe(federation.alpha.idp.entityId);
  });
});
