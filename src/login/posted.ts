import { GatewayError } from '../errors/gateway-error.js';
import { randomBase64url } from '../security/random.js';
import type { Store } from '../store/store.js';

/**
 * Callbacks that arrive as a POST (SAML's HTTP-POST binding, an auto-submitted form from the IdP's
 * origin). Such a cross-site POST carries no SameSite=Lax cookie, so the browser binding of the
 * login transaction could not be checked on it. The POSTed fields are therefore parked in the
 * store for a minute under a random handle and the browser is sent on with a 303 to
 * `GET <callback>?posted=<handle>`: a top-level GET, which carries the cookies, and where the
 * usual callback runs with the parked fields as its parameters (taken once).
 */

export const POSTED_TTL_SECONDS = 60;
const HANDLE = /^[A-Za-z0-9_-]{22}$/;

export async function parkPostedAnswer(store: Store, body: string): Promise<string> {
  const handle = randomBase64url(16);
  await store.put(`posted:${handle}`, body, POSTED_TTL_SECONDS);
  return handle;
}

/** The parked fields named by `?posted=`; unknown, used and expired handles are the same answer. */
export async function takePostedAnswer(store: Store, query: URLSearchParams): Promise<URLSearchParams> {
  const handles = query.getAll('posted');
  const handle = handles[0];
  const expired = (reason: string) =>
    new GatewayError('login_expired', 'This sign-in answer has expired or was already used. Please go back to the meeting link and sign in again.', {
      detail: { reason },
    });
  if (handles.length !== 1 || handle === undefined || !HANDLE.test(handle)) throw expired(handles.length === 0 ? 'no posted answer (this provider answers by POST)' : 'malformed posted handle');
  const body = await store.take(`posted:${handle}`);
  if (body === null) throw expired('unknown, used or expired posted answer');
  return new URLSearchParams(body);
}
