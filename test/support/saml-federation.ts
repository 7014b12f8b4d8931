import { SignedXml } from 'xml-crypto';
import { makeKeyPair, TestSamlIdp, type KeyPair } from './saml-idp.js';

/**
 * A test federation: member IdPs (test/support/saml-idp.ts) in one aggregate, signed with the
 * federation's own test key, as RENATER or InCommon publish theirs.
 */

export interface Member {
  idp: TestSamlIdp;
  names: Record<string, string>;
  scopes: string[];
}

const strip = (xml: string) => xml.replace(/^<\?xml[^>]*>\s*/, '');

/** One member's EntityDescriptor, with mdui display names. */
export function memberEntity(member: Member): string {
  const names = Object.entries(member.names)
    .map(([lang, name]) => `<mdui:DisplayName xml:lang="${lang}">${name}</mdui:DisplayName>`)
    .join('');
  return strip(member.idp.metadata({ scopes: member.scopes })).replace('</md:Extensions>', `<mdui:UIInfo xmlns:mdui="urn:oasis:names:tc:SAML:metadata:ui">${names}</mdui:UIInfo></md:Extensions>`);
}

export function aggregate(members: Member[], options: { validUntil?: string | null; id?: string } = {}): string {
  const validUntil = options.validUntil === undefined ? new Date(Date.now() + 7 * 86_400_000).toISOString() : options.validUntil;
  return `<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" ID="${options.id ?? '_fed'}" Name="urn:example:federation"${validUntil ? ` validUntil="${validUntil}"` : ''}>${members.map(memberEntity).join('')}</md:EntitiesDescriptor>`;
}

export function signAggregate(xml: string, signer: KeyPair, id = '_fed'): string {
  const sig = new SignedXml({ privateKey: signer.key, publicCert: signer.cert, signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#' });
  sig.addReference({ xpath: `/*[@ID='${id}']`, transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'], digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256' });
  sig.computeSignature(xml, { location: { reference: `/*[@ID='${id}']`, action: 'prepend' } });
  return sig.getSignedXml();
}

/** Alpha and Beta (each with its own keys) and `fillers` more members sharing one key. */
export function testFederation(fillers = 30): { federationKeys: KeyPair; alpha: Member; beta: Member; members: Member[] } {
  const federationKeys = makeKeyPair('federation');
  const alpha: Member = { idp: new TestSamlIdp({ baseUrl: 'https://idp.alpha.example.org/idp', keys: makeKeyPair('alpha') }), names: { en: 'Alpha University', fr: 'Université Alpha' }, scopes: ['alpha.example.org'] };
  const beta: Member = { idp: new TestSamlIdp({ baseUrl: 'https://login.beta.example.net/idp', keys: makeKeyPair('beta') }), names: { en: 'Beta Institute of Technology' }, scopes: ['beta.example.net'] };
  const shared = makeKeyPair('filler');
  const members = [alpha, beta];
  for (let i = 0; i < fillers; i += 1) {
    members.push({ idp: new TestSamlIdp({ baseUrl: `https://idp.school${i}.example.edu/idp`, keys: shared, rogue: shared }), names: { en: `School number ${i}` }, scopes: [`school${i}.example.edu`] });
  }
  return { federationKeys, alpha, beta, members };
}
