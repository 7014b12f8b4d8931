import { REDIRECT_BINDING } from './metadata.js';

/**
 * The gateway's SP metadata, served at `<publicUrl>/auth/<name>/metadata` (which is also the default
 * entityID): what an IdP or a federation registers. One HTTP-POST AssertionConsumerService, one
 * HTTP-Redirect SingleLogoutService, the SP certificate(s) for signing and encryption (two during a
 * key rollover), the NameID formats the SP accepts.
 */

const POST_BINDING = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';

export interface SpMetadataInput {
  entityId: string;
  acsUrl: string;
  sloUrl: string;
  certificates: string[];
  authnRequestsSigned: boolean;
  wantAssertionsSigned: boolean;
  nameIdFormats: string[];
  displayName: string;
}

const escape = (value: string) => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The base64 body of a PEM certificate. */
export function certificateBody(pem: string): string {
  return pem
    .replace(/-----(BEGIN|END) CERTIFICATE-----/g, '')
    .replace(/\s+/g, '');
}

export function spMetadataXml(input: SpMetadataInput): string {
  const keys = input.certificates.flatMap((pem) =>
    ['signing', 'encryption'].map(
      (use) => `    <md:KeyDescriptor use="${use}">
      <ds:KeyInfo><ds:X509Data><ds:X509Certificate>${certificateBody(pem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>
    </md:KeyDescriptor>`,
    ),
  );
  return `<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" xmlns:mdui="urn:oasis:names:tc:SAML:metadata:ui" entityID="${escape(input.entityId)}">
  <md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" AuthnRequestsSigned="${input.authnRequestsSigned}" WantAssertionsSigned="${input.wantAssertionsSigned}">
    <md:Extensions>
      <mdui:UIInfo><mdui:DisplayName xml:lang="en">Jitsi (${escape(input.displayName)})</mdui:DisplayName></mdui:UIInfo>
    </md:Extensions>
${keys.join('\n')}
    <md:SingleLogoutService Binding="${REDIRECT_BINDING}" Location="${escape(input.sloUrl)}"/>
${input.nameIdFormats.map((format) => `    <md:NameIDFormat>${escape(format)}</md:NameIDFormat>`).join('\n')}
    <md:AssertionConsumerService Binding="${POST_BINDING}" Location="${escape(input.acsUrl)}" index="0" isDefault="true"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>
`;
}
