import { digest, randomValue } from '../session/cookies.js';
import type { PersonKey } from '../identity/person.js';
import type { Store } from '../store/store.js';
import type { RoomLocation } from '../tokens/target.js';

/**
 * Authorization codes: 256 random bits, handed to Jitsi's sso.html in the redirect and redeemed
 * once at /token. The store keeps `sso-code:<sha256(code)>` → what the code stands for, for
 * tokenService.codeTtlSeconds; `take` (GETDEL) makes it single-use under concurrency.
 */
export interface CodeGrant {
  v: 1;
  client: string;
  redirectUri: string;
  codeChallenge: string;
  nonce?: string | undefined;
  /** The gateway session of the person (store id); the person is read from it at /token. */
  session: string;
  /** The person the code was issued to, checked against the session at /token. */
  person: PersonKey;
  location: RoomLocation;
}

export const CODE = /^[A-Za-z0-9_-]{43}$/;

const key = (code: string) => `sso-code:${digest(code)}`;

export async function issueCode(store: Store, grant: CodeGrant, ttlSeconds: number): Promise<string> {
  const code = randomValue();
  await store.put(key(code), JSON.stringify(grant), ttlSeconds);
  return code;
}

/** The grant, once; undefined when unknown, used, expired or unreadable. */
export async function takeCode(store: Store, code: string): Promise<CodeGrant | undefined> {
  if (!CODE.test(code)) return undefined;
  const raw = await store.take(key(code));
  if (raw === null) return undefined;
  try {
    const grant = JSON.parse(raw) as CodeGrant;
    if (grant.v !== 1 || typeof grant.client !== 'string' || typeof grant.session !== 'string' || typeof grant.codeChallenge !== 'string') return undefined;
    return grant;
  } catch {
    return undefined;
  }
}
