import { childrenNamed, parseXmlDocument, XmlError, type XmlElement } from './xml.js';

/**
 * Reading CAS validation answers (protocol 1.0, 2.0 and 3.0) into a neutral result. Pure functions:
 * no I/O, no GatewayError; the provider maps the outcome to errors.
 */

export type CasAttributes = Map<string, string[]>;

export type CasValidation =
  | { ok: true; user: string; attributes: CasAttributes }
  | { ok: false; code: string; message: string }
  | { ok: 'malformed'; reason: string };

const MAX_ATTRIBUTES = 500;
const MAX_VALUES = 2000;

/** `/p3/serviceValidate` (3.0) and `/serviceValidate` (2.0): `<cas:serviceResponse>`. */
export function parseServiceResponse(xml: string): CasValidation {
  // LemonLDAP::NG 2.16 answers a failed `renew=true` check at /serviceValidate and
  // /p3/serviceValidate with the CAS 1.0 body "no\n\n" instead of XML (and destroys the ticket).
  if (xml.trim() === 'no') return { ok: false, code: 'INVALID_TICKET', message: 'plain "no" answer (LemonLDAP::NG: renew check failed)' };
  let root: XmlElement;
  try {
    root = parseXmlDocument(xml.replace(/^\uFEFF/, ''));
  } catch (error) {
    return { ok: 'malformed', reason: error instanceof XmlError ? error.message : 'cannot be parsed' };
  }
  if (root.local !== 'serviceResponse') return { ok: 'malformed', reason: `unexpected root element <${clip(root.qname, 64)}>` };
  const successes = childrenNamed(root, 'authenticationSuccess');
  const failures = childrenNamed(root, 'authenticationFailure');
  if (successes.length + failures.length !== 1) {
    return { ok: 'malformed', reason: 'expected exactly one authenticationSuccess or authenticationFailure' };
  }
  const failure = failures[0];
  if (failure) {
    const code = (failure.attributes.code ?? '').trim();
    return { ok: false, code: /^[A-Za-z0-9_]{1,64}$/.test(code) ? code.toUpperCase() : 'UNKNOWN', message: clip(failure.text, 300) };
  }
  const success = successes[0] as XmlElement;
  const users = childrenNamed(success, 'user');
  if (users.length !== 1) return { ok: 'malformed', reason: 'authenticationSuccess without exactly one user' };
  const user = (users[0] as XmlElement).text;
  if (!user) return { ok: 'malformed', reason: 'empty user' };

  const attributes: CasAttributes = new Map();
  let values = 0;
  const add = (name: string, value: string) => {
    if (!name) return;
    const list = attributes.get(name);
    if (list) list.push(value);
    else {
      if (attributes.size >= MAX_ATTRIBUTES) throw new XmlError('too many attributes');
      attributes.set(name, [value]);
    }
    if (++values > MAX_VALUES) throw new XmlError('too many attribute values');
  };
  try {
    for (const block of childrenNamed(success, 'attributes')) {
      for (const attribute of block.children) {
        // Name-value style some servers use: <cas:attribute name="mail" value="a@b"/>
        if (attribute.local === 'attribute' && attribute.attributes.name !== undefined && attribute.attributes.value !== undefined) {
          add(attribute.attributes.name, attribute.attributes.value);
        } else if (attribute.children.length === 0) {
          add(attribute.local, attribute.text);
        }
        // Structured values (child elements) are not attributes a person mapping can use: skipped.
      }
    }
    // Some CAS 2.0 servers (the RubyCAS / phpCAS-server style) put attributes directly under
    // authenticationSuccess: <cas:mail>..</cas:mail>. Accept those that are not protocol elements.
    for (const child of success.children) {
      if (['user', 'attributes', 'proxyGrantingTicket', 'proxies'].includes(child.local)) continue;
      if (child.children.length === 0 && !attributes.has(child.local)) add(child.local, child.text);
    }
  } catch (error) {
    return { ok: 'malformed', reason: error instanceof Error ? error.message : 'bad attributes' };
  }
  return { ok: true, user, attributes };
}

/** `/validate` (1.0): `yes\n<user>\n` or `no\n`. */
export function parseCas1Response(body: string): CasValidation {
  const lines = body.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n').split('\n');
  const first = lines[0]?.trim();
  if (first === 'no') return { ok: false, code: 'INVALID_TICKET', message: 'CAS 1.0 answered "no"' };
  if (first === 'yes') {
    const user = lines[1]?.trim() ?? '';
    if (!user || lines.slice(2).some((line) => line.trim() !== '')) return { ok: 'malformed', reason: 'CAS 1.0 "yes" without exactly one user line' };
    if (/[\u0000-\u001f\u007f<>]/.test(user) || user.length > 512) return { ok: 'malformed', reason: 'CAS 1.0 user name with control characters or too long' };
    return { ok: true, user, attributes: new Map() };
  }
  return { ok: 'malformed', reason: 'CAS 1.0 answer is neither "yes" nor "no"' };
}

function clip(value: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  const clean = value.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}
