import { DOMParser } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import { MetadataError } from './metadata.js';

/**
 * Federation metadata (an aggregate of many IdPs, or one entity from an MDQ service) is trusted
 * because the federation signed it, not because of where it was downloaded from: the document's
 * root must carry exactly one enveloped XML signature, by one of the configured federation
 * certificates (KeyInfo in the document is ignored), covering the whole root. What is returned is
 * the signed content itself (canonical form), and only that is parsed afterwards, so nothing
 * outside the signature can be slipped in.
 */

const DSIG = 'http://www.w3.org/2000/09/xmldsig#';
const FORBIDDEN = /<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)/i;

export function verifyMetadataSignature(xml: string, certificates: readonly string[]): string {
  if (FORBIDDEN.test(xml)) throw new MetadataError('metadata with a DTD or entity declarations is refused');
  let problem: string | undefined;
  const doc = new DOMParser({
    errorHandler: {
      warning: () => undefined,
      error: (message: string) => {
        problem ??= message;
      },
      fatalError: (message: string) => {
        problem ??= message;
      },
    },
  }).parseFromString(xml, 'text/xml');
  const root = doc?.documentElement;
  if (problem || !root) throw new MetadataError(`metadata XML cannot be parsed${problem ? ` (${String(problem).slice(0, 120)})` : ''}`);
  const signatures: Element[] = [];
  for (let node = root.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === 1 && (node as Element).localName === 'Signature' && (node as Element).namespaceURI === DSIG) signatures.push(node as Element);
  }
  if (signatures.length === 0) throw new MetadataError('the metadata is not signed (a signature by the federation certificate is required)');
  if (signatures.length > 1) throw new MetadataError('the metadata has several signatures');
  const rootId = root.getAttribute('ID');
  for (const certificate of certificates) {
    const signature = new SignedXml({ publicCert: certificate });
    signature.loadSignature(signatures[0] as Element);
    const references = signature.getReferences();
    const uri = references[0]?.uri ?? '';
    if (references.length !== 1 || !(uri === '' || (rootId && uri === `#${rootId}`))) throw new MetadataError('the metadata signature does not cover the whole document');
    try {
      if (signature.checkSignature(xml)) {
        const signed = signature.getSignedReferences();
        if (signed.length === 1 && signed[0]) return signed[0];
      }
    } catch {
      // another certificate may verify it
    }
  }
  throw new MetadataError('the metadata signature does not verify with the federation certificate');
}
