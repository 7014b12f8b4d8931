import { XMLParser, XMLValidator } from 'fast-xml-parser';

/**
 * A deliberately small, hardened XML reader for the two documents a CAS client receives: the
 * validation answer (`cas:serviceResponse`) and the single-logout request (`samlp:LogoutRequest`).
 *
 * - Documents with a DTD (`<!DOCTYPE`) or an entity declaration (`<!ENTITY`) are refused before any
 *   parsing: no external entities (XXE), no entity expansion ("billion laughs"), no DTD fetches.
 * - fast-xml-parser runs with `processEntities: false` and `htmlEntities: false`; only the five
 *   predefined XML entities and numeric character references are decoded afterwards, by this module.
 *   Any other entity reference makes the document invalid.
 * - The document must be well-formed (fast-xml-parser's validator) with exactly one root element.
 * - Values stay strings (no number/boolean guessing: a user id "007" stays "007").
 */

export class XmlError extends Error {
  override readonly name = 'XmlError';
}

export interface XmlElement {
  /** Qualified name as written, e.g. `cas:user`. */
  qname: string;
  /** Name without namespace prefix, e.g. `user`. */
  local: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** Concatenated, decoded text content directly inside this element (trimmed). */
  text: string;
}

/** Refuses DTDs and entity declarations anywhere in the document (any case, any whitespace). */
const FORBIDDEN_MARKUP = /<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)/i;

const MAX_DEPTH = 32;

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: false,
  htmlEntities: false,
  cdataPropName: '#cdata',
  commentPropName: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  allowBooleanAttributes: false,
  maxNestedTags: MAX_DEPTH,
});

const ENTITY = /&(?:#x([0-9a-fA-F]{1,6})|#([0-9]{1,7})|(amp|lt|gt|quot|apos));|&/g;
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Decodes the predefined XML entities and numeric character references; anything else is an error. */
export function decodeXmlText(value: string): string {
  if (!value.includes('&')) return value;
  return value.replace(ENTITY, (match, hex: string | undefined, dec: string | undefined, named: string | undefined) => {
    if (named !== undefined) return NAMED[named] as string;
    if (hex === undefined && dec === undefined) throw new XmlError('unknown or malformed entity reference');
    const code = hex !== undefined ? Number.parseInt(hex, 16) : Number.parseInt(dec as string, 10);
    const allowed =
      code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff);
    if (!allowed) throw new XmlError(`character reference ${match} is not allowed in XML`);
    return String.fromCodePoint(code);
  });
}

type RawNode = Record<string, unknown>;

function convert(node: RawNode, depth: number): XmlElement | undefined {
  if (depth > MAX_DEPTH) throw new XmlError('nested too deeply');
  const keys = Object.keys(node).filter((key) => key !== ':@');
  const qname = keys[0];
  if (qname === undefined || keys.length !== 1 || qname === '#text' || qname === '#cdata') return undefined;
  if (qname.startsWith('?') || qname.startsWith('!')) return undefined;
  const rawChildren = node[qname];
  const rawAttributes = (node[':@'] ?? {}) as Record<string, unknown>;
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(rawAttributes)) {
    if (typeof value !== 'string') throw new XmlError(`attribute ${name} has no value`);
    Object.defineProperty(attributes, name, { value: decodeXmlText(value), enumerable: true, writable: true, configurable: true });
  }
  const children: XmlElement[] = [];
  const text: string[] = [];
  if (Array.isArray(rawChildren)) {
    for (const child of rawChildren as RawNode[]) {
      if ('#text' in child) {
        text.push(decodeXmlText(String(child['#text'])));
      } else if ('#cdata' in child) {
        const parts = child['#cdata'];
        if (Array.isArray(parts)) for (const part of parts as RawNode[]) text.push(String(part['#text'] ?? ''));
      } else {
        const element = convert(child, depth + 1);
        if (element) children.push(element);
      }
    }
  }
  const colon = qname.indexOf(':');
  return { qname, local: colon >= 0 ? qname.slice(colon + 1) : qname, attributes, children, text: text.join('').trim() };
}

/** Parses a complete XML document into its root element, or throws XmlError. */
export function parseXmlDocument(xml: string): XmlElement {
  if (FORBIDDEN_MARKUP.test(xml)) throw new XmlError('document type declarations and entities are not accepted');
  const validation = XMLValidator.validate(xml, { allowBooleanAttributes: false });
  if (validation !== true) {
    throw new XmlError(`not well-formed XML (${validation.err.code} at line ${validation.err.line})`);
  }
  let raw: unknown;
  try {
    raw = parser.parse(xml);
  } catch (error) {
    throw new XmlError(`cannot be parsed (${error instanceof Error ? error.message.slice(0, 120) : 'error'})`);
  }
  if (!Array.isArray(raw)) throw new XmlError('cannot be parsed');
  const roots = (raw as RawNode[]).map((node) => convert(node, 0)).filter((node): node is XmlElement => node !== undefined);
  if (roots.length !== 1) throw new XmlError(roots.length === 0 ? 'no root element' : 'more than one root element');
  return roots[0] as XmlElement;
}

/** Direct children with the given local name (namespace prefix ignored). */
export function childrenNamed(element: XmlElement, local: string): XmlElement[] {
  return element.children.filter((child) => child.local === local);
}
