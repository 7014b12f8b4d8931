import { childrenNamed, parseXmlDocument, XmlError, type XmlElement } from '../cas/xml.js';

/**
 * Reading SAML documents with the hardened XML reader (no DTD, no entities), after or around the
 * signature check done by node-saml:
 *
 * - `screenDocument` runs first on the raw, still unverified bytes and refuses what no IdP sends
 *   and every attack needs: DTDs and entity declarations (XXE, entity expansion), XML comments
 *   (a comment splits a signed NameID: `bob@example.org<!---->.evil.com`, and canonicalization
 *   drops it, so the signature still holds), processing instructions, and several roots.
 * - `readResponseEnvelope` reads the Response's own attributes and status (unsigned when only the
 *   assertion is signed: used for routing and for refusals, never to grant anything).
 * - `readAssertion` reads the assertion that the signature covers — node-saml hands back exactly
 *   the signed bytes — and is what the identity comes from.
 */

export class SamlDocumentError extends Error {
  override readonly name = 'SamlDocumentError';
}

const FORBIDDEN = /<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)/i;

export function screenDocument(xml: string): XmlElement {
  if (FORBIDDEN.test(xml)) throw new SamlDocumentError('the document has a DTD or entity declarations (refused: XXE / entity expansion)');
  if (xml.includes('<!--')) throw new SamlDocumentError('the document contains XML comments (refused: a comment can split signed text)');
  const withoutDeclaration = xml.replace(/^\uFEFF?\s*<\?xml\s[^?]*\?>/, '');
  if (withoutDeclaration.includes('<?')) throw new SamlDocumentError('the document contains processing instructions');
  try {
    return parseXmlDocument(xml.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new SamlDocumentError(error instanceof XmlError ? `XML ${error.message}` : 'XML cannot be parsed');
  }
}

export const STATUS_SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
export const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';

export interface ResponseEnvelope {
  id: string | undefined;
  destination: string | undefined;
  inResponseTo: string | undefined;
  issuer: string | undefined;
  status: string;
  /** The second-level status code, e.g. urn:…:status:AuthnFailed. */
  subStatus: string | undefined;
  statusMessage: string | undefined;
  assertions: number;
  encryptedAssertions: number;
}

export function readResponseEnvelope(root: XmlElement): ResponseEnvelope {
  if (root.local !== 'Response') throw new SamlDocumentError(`root element is ${root.qname.slice(0, 80)}, not a SAML Response`);
  const status = childrenNamed(root, 'Status')[0];
  const code = status ? childrenNamed(status, 'StatusCode')[0] : undefined;
  if (!code?.attributes.Value) throw new SamlDocumentError('the Response has no StatusCode');
  return {
    id: root.attributes.ID,
    destination: root.attributes.Destination,
    inResponseTo: root.attributes.InResponseTo,
    issuer: childrenNamed(root, 'Issuer')[0]?.text,
    status: code.attributes.Value,
    subStatus: childrenNamed(code, 'StatusCode')[0]?.attributes.Value,
    statusMessage: status ? childrenNamed(status, 'StatusMessage')[0]?.text.slice(0, 300) : undefined,
    assertions: childrenNamed(root, 'Assertion').length,
    encryptedAssertions: childrenNamed(root, 'EncryptedAssertion').length,
  };
}

export interface NameId {
  value: string;
  format: string | undefined;
  nameQualifier: string | undefined;
  spNameQualifier: string | undefined;
}

export interface SubjectConfirmationData {
  method: string;
  recipient: string | undefined;
  inResponseTo: string | undefined;
  notBefore: string | undefined;
  notOnOrAfter: string | undefined;
}

export interface SamlAttribute {
  name: string;
  friendlyName: string | undefined;
  values: string[];
}

export interface AssertionContent {
  id: string;
  issuer: string;
  issueInstant: string | undefined;
  nameId: NameId | undefined;
  confirmations: SubjectConfirmationData[];
  notBefore: string | undefined;
  notOnOrAfter: string | undefined;
  audiences: string[];
  sessionIndex: string | undefined;
  sessionNotOnOrAfter: string | undefined;
  hasAuthnStatement: boolean;
  attributes: SamlAttribute[];
}

function nameIdOf(element: XmlElement): NameId {
  return {
    value: element.text,
    format: element.attributes.Format,
    nameQualifier: element.attributes.NameQualifier,
    spNameQualifier: element.attributes.SPNameQualifier,
  };
}

/** eduPersonTargetedID carries a NameID as its value: written `idp!sp!value`, as Shibboleth does. */
function attributeValue(value: XmlElement): string {
  const nested = childrenNamed(value, 'NameID')[0];
  if (nested) return [nested.attributes.NameQualifier ?? '', nested.attributes.SPNameQualifier ?? '', nested.text].join('!');
  return value.text;
}

/** The signed assertion (as node-saml returns it after verification). */
export function readAssertion(xml: string): AssertionContent {
  let root: XmlElement;
  try {
    root = parseXmlDocument(xml);
  } catch (error) {
    throw new SamlDocumentError(error instanceof XmlError ? `assertion XML ${error.message}` : 'assertion cannot be parsed');
  }
  if (root.local !== 'Assertion') throw new SamlDocumentError('the signed element is not an Assertion');
  const id = root.attributes.ID;
  const issuer = childrenNamed(root, 'Issuer')[0]?.text;
  if (!id) throw new SamlDocumentError('the assertion has no ID');
  if (!issuer) throw new SamlDocumentError('the assertion has no Issuer');
  const subject = childrenNamed(root, 'Subject')[0];
  const nameIdElement = subject ? childrenNamed(subject, 'NameID')[0] : undefined;
  if (subject && childrenNamed(subject, 'EncryptedID').length > 0) throw new SamlDocumentError('encrypted NameIDs are not supported');
  const confirmations: SubjectConfirmationData[] = (subject ? childrenNamed(subject, 'SubjectConfirmation') : []).map((confirmation) => {
    const data = childrenNamed(confirmation, 'SubjectConfirmationData')[0];
    return {
      method: confirmation.attributes.Method ?? '',
      recipient: data?.attributes.Recipient,
      inResponseTo: data?.attributes.InResponseTo,
      notBefore: data?.attributes.NotBefore,
      notOnOrAfter: data?.attributes.NotOnOrAfter,
    };
  });
  const conditionsList = childrenNamed(root, 'Conditions');
  if (conditionsList.length > 1) throw new SamlDocumentError('the assertion has several Conditions');
  const conditions = conditionsList[0];
  const audiences = conditions ? childrenNamed(conditions, 'AudienceRestriction').flatMap((restriction) => childrenNamed(restriction, 'Audience').map((audience) => audience.text)) : [];
  const authn = childrenNamed(root, 'AuthnStatement');
  const attributes: SamlAttribute[] = [];
  for (const statement of childrenNamed(root, 'AttributeStatement')) {
    for (const attribute of childrenNamed(statement, 'Attribute')) {
      const name = attribute.attributes.Name;
      if (!name) continue;
      attributes.push({ name, friendlyName: attribute.attributes.FriendlyName, values: childrenNamed(attribute, 'AttributeValue').map(attributeValue) });
    }
  }
  return {
    id,
    issuer,
    issueInstant: root.attributes.IssueInstant,
    nameId: nameIdElement ? nameIdOf(nameIdElement) : undefined,
    confirmations,
    notBefore: conditions?.attributes.NotBefore,
    notOnOrAfter: conditions?.attributes.NotOnOrAfter,
    audiences,
    sessionIndex: authn[0]?.attributes.SessionIndex,
    sessionNotOnOrAfter: authn[0]?.attributes.SessionNotOnOrAfter,
    hasAuthnStatement: authn.length > 0,
    attributes,
  };
}

/** Parses an xs:dateTime; undefined when absent, NaN-safe (throws on garbage). */
export function instant(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new SamlDocumentError(`${what} is not a date`);
  return ms;
}
