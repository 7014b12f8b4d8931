import { childrenNamed, parseXmlDocument, XmlError } from './xml.js';

/**
 * CAS single logout, back channel: the CAS server POSTs `logoutRequest=<XML>` (form-encoded) to the
 * service URL the ticket was validated for (LemonLDAP::NG always; Apereo CAS by default, or to the
 * service's registered `logoutUrl`). The XML looks like SAML but is CAS-specific and unsigned:
 *
 *   <samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="…" Version="2.0" IssueInstant="…">
 *     <saml:NameID xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">@NOT_USED@</saml:NameID>
 *     <samlp:SessionIndex>ST-…</samlp:SessionIndex>
 *   </samlp:LogoutRequest>
 *
 * The only thing used is the one SessionIndex: the service ticket of the login to end.
 */

/** SLO requests are a few hundred bytes; anything much larger is not one. */
export const MAX_SLO_BYTES = 16 * 1024;

/** Characters a CAS ticket may contain (CAS spec: letters, digits, `-`; servers also use `.` and `_`). */
export const TICKET_PATTERN = /^[A-Za-z0-9._-]{1,256}$/;

export class SloError extends Error {
  override readonly name = 'SloError';
}

/** Extracts the XML from the POST body (form field `logoutRequest`, or a raw XML body). */
export function sloXmlFromBody(body: string, contentType: string): string {
  if (Buffer.byteLength(body, 'utf8') > MAX_SLO_BYTES) throw new SloError(`body larger than ${MAX_SLO_BYTES} bytes`);
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === 'application/x-www-form-urlencoded') {
    const values = new URLSearchParams(body).getAll('logoutRequest');
    if (values.length !== 1) throw new SloError(values.length === 0 ? 'no logoutRequest field' : 'more than one logoutRequest field');
    return values[0] as string;
  }
  if (type === 'text/xml' || type === 'application/xml') return body;
  throw new SloError(`unsupported content type "${type.slice(0, 80)}"`);
}

/** Parses the LogoutRequest XML and returns its one SessionIndex (a service ticket). */
export function parseLogoutRequest(xml: string): string {
  let root;
  try {
    root = parseXmlDocument(xml.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new SloError(error instanceof XmlError ? `XML ${error.message}` : 'XML cannot be parsed');
  }
  if (root.local !== 'LogoutRequest') throw new SloError('root element is not LogoutRequest');
  const indexes = childrenNamed(root, 'SessionIndex');
  if (indexes.length !== 1) throw new SloError(indexes.length === 0 ? 'no SessionIndex' : 'more than one SessionIndex');
  const ticket = (indexes[0]?.text ?? '').trim();
  if (!TICKET_PATTERN.test(ticket)) throw new SloError('SessionIndex is not a service ticket');
  return ticket;
}
