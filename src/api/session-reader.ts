import type { Context } from 'koa';
import type { Identity } from '../identity/identity.js';
import { parseCookies } from '../session/cookies.js';
import { loadSession, type SessionDeps } from '../session/session.js';

/**
 * The person behind the browser's gateway session (src/session/session.ts), if any: lets a moderator
 * create, list and revoke invites without API credentials.
 */
export interface SessionReader {
  identity(ctx: Context): Promise<Identity | undefined>;
}

export function gatewaySessionReader(services: Pick<SessionDeps, 'config' | 'store'>): SessionReader {
  return {
    async identity(ctx) {
      const loaded = await loadSession(services, parseCookies(ctx.get('cookie') || undefined));
      return loaded?.session.identity;
    },
  };
}
