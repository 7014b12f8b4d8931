import type { LoginDeps } from './deps.js';
import { digest, randomValue } from '../session/cookies.js';
import { loadSessionById, remainingSeconds, type LoadedSession } from '../session/session.js';

/**
 * Jitsi's `refreshToken`: with tokenAuthInline the popup hands Jitsi `{accessToken, refreshToken}`
 * and, on CONNECTION_TOKEN_EXPIRED, Jitsi runs tokenAuthUrl again with the refreshToken in
 * `{state}`. The gateway's refresh token is an opaque 256-bit handle, stored as
 * `refresh:<sha256(handle)>` → the session and the target it was issued for. It is valid only while
 * that session lives (logout and back-channel logout end it) and only for that target; each use
 * takes it and hands out a new one (rotation). It never reaches the IdP.
 */

interface RefreshRecord {
  v: 1;
  session: string;
  target: string;
}

const key = (handle: string) => `refresh:${digest(handle)}`;

export async function issueRefreshHandle(services: Pick<LoginDeps, 'store'>, session: LoadedSession, target: string): Promise<string> {
  const handle = randomValue();
  const record: RefreshRecord = { v: 1, session: session.id, target };
  await services.store.put(key(handle), JSON.stringify(record), remainingSeconds(session.session));
  return handle;
}

/** Takes the handle; returns its session when the handle is valid for this target and the session is alive. */
export async function redeemRefreshHandle(services: Pick<LoginDeps, 'store'>, handle: string, target: string): Promise<LoadedSession | undefined> {
  const raw = await services.store.take(key(handle));
  if (raw === null) return undefined;
  let record: RefreshRecord;
  try {
    record = JSON.parse(raw) as RefreshRecord;
  } catch {
    return undefined;
  }
  if (record.v !== 1 || record.target !== target || typeof record.session !== 'string') return undefined;
  return loadSessionById(services.store, record.session);
}
