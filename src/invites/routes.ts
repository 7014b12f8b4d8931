import { Router } from '@koa/router';
import type { Context } from 'koa';
import { readBody } from '../http/body.js';
import { extendPagePolicy } from '../http/middleware/headers.js';
import type { Config } from '../config/schema.js';
import type { Audit } from '../observability/audit.js';
import type { Metrics } from '../observability/metrics.js';
import type { PageRenderer } from '../pages/renderer.js';
import type { Store } from '../store/store.js';
import type { JitsiTarget } from '../tokens/target.js';
import { FORM_TTL_SECONDS, InviteFormTokens } from './csrf.js';
import { requestLog } from './page-support.js';
import { readableRoomName } from '../tokens/room.js';
import { InviteGoneError, Invites, INVITE_ID_PATTERN, type InviteRecord } from './invites.js';
import { loggablePath } from './reference.js';

/**
 * The guest side of invite links: GET /invite/<id> asks for a display name; POST redeems one use
 * and redirects into the room with a guest token. Used-up, expired and revoked invites get a clear
 * 410 page (unknown ids 404).
 *
 * CSRF: the form carries a per-page token (src/invites/csrf.ts) that is also set as a
 * SameSite=Strict, HttpOnly cookie scoped to this invite's path; a POST needs both copies to
 * agree, the token to be valid for this invite and fresh, and it is accepted once.
 */
export const INVITE_COOKIE = 'jsg_invite';
export const MAX_DISPLAY_NAME = 80;

/** What the guest pages use: the invites (in the replicated store), form tokens, pages. */
export interface InviteRouteDeps {
  config: Pick<Config, 'api'>;
  publicUrl: string;
  basePath: string;
  metrics: Metrics;
  audit: Audit;
  pages: PageRenderer;
  /** Form tokens (transient). */
  store: Store;
  /** Invites and their use counters: writes wait for replicas (docs/store.md). */
  replicatedStore: Store;
  targets: ReadonlyMap<string, JitsiTarget>;
}

export function inviteRoutes(services: InviteRouteDeps): Router {
  const invites = new Invites({ store: services.replicatedStore, targets: services.targets, audit: services.audit, settings: services.config.api.invites, publicUrl: services.publicUrl });
  const { pages } = services;
  const formTokens = new InviteFormTokens(services.store);
  const secure = services.publicUrl.startsWith('https:');
  const router = new Router();

  const gone = (ctx: Context, error: InviteGoneError) => {
    services.metrics.errors.inc({ kind: error.reason === 'unknown' ? 'not_found' : 'gone' });
    requestLog(ctx)?.info({ code: 'gone', reason: error.reason, path: loggablePath(ctx.path) }, 'invite cannot be used');
    ctx.status = error.reason === 'unknown' ? 404 : 410;
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = pages.inviteGonePage({ reason: error.reason, acceptLanguage: ctx.get('accept-language') });
  };

  const showForm = async (ctx: Context, invite: InviteRecord, problem?: { error: string; name: string }) => {
    const token = await formTokens.issue(invite.id);
    const cookiePath = `${services.basePath}/invite/${invite.id}`;
    ctx.append('Set-Cookie', `${INVITE_COOKIE}=${token}; Path=${cookiePath}; Max-Age=${FORM_TTL_SECONDS}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`);
    // The form's POST is answered with a redirect to Jitsi: form-action must allow that origin.
    const jitsiUrl = services.targets.get(invite.target)?.config.url;
    if (jitsiUrl) extendPagePolicy(ctx, { formAction: [new URL(jitsiUrl).origin] });
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = pages.invitePage({
      action: `${services.publicUrl}/invite/${invite.id}`,
      csrfToken: token,
      room: readableRoomName(invite.room),
      tenant: invite.tenant,
      role: invite.role,
      label: invite.label,
      name: problem?.name,
      error: problem?.error,
      maxNameLength: MAX_DISPLAY_NAME,
      acceptLanguage: ctx.get('accept-language'),
    });
  };

  router.get('/invite/:id', async (ctx) => {
    const id = ctx.params.id ?? '';
    try {
      await showForm(ctx, await invites.redeemable(id));
    } catch (error) {
      if (error instanceof InviteGoneError) return gone(ctx, error);
      throw error;
    }
  });

  router.post('/invite/:id', async (ctx) => {
    const id = ctx.params.id ?? '';
    if (!INVITE_ID_PATTERN.test(id)) return gone(ctx, new InviteGoneError('unknown'));
    const form = new URLSearchParams(await readBody(ctx, { limit: 4096, types: ['application/x-www-form-urlencoded'] }));
    try {
      const invite = await invites.redeemable(id);
      const csrf = form.get('csrf') ?? '';
      const cookie = ctx.cookies.get(INVITE_COOKIE) ?? '';
      // A stale, replayed or forged form starts over with a fresh page.
      if (!(await formTokens.redeem(id, csrf, cookie))) {
        services.metrics.errors.inc({ kind: 'login_mismatch' });
        requestLog(ctx)?.info({ code: 'login_mismatch', path: loggablePath(ctx.path) }, 'invite form without a matching CSRF token');
        ctx.status = 400;
        return await showForm(ctx, invite, { error: 'This page had expired. Please enter your name again.', name: cleanName(form.get('name') ?? '').name ?? '' });
      }
      const { name, problem } = cleanName(form.get('name') ?? '');
      if (name === undefined) {
        services.metrics.errors.inc({ kind: 'invalid_request' });
        ctx.status = 400;
        return await showForm(ctx, invite, { error: problem, name: (form.get('name') ?? '').slice(0, MAX_DISPLAY_NAME) });
      }
      const requestId = typeof ctx.state.requestId === 'string' ? (ctx.state.requestId as string) : undefined;
      const redeemed = await invites.redeem(id, name, requestId);
      ctx.append('Set-Cookie', `${INVITE_COOKIE}=; Path=${services.basePath}/invite/${id}; Max-Age=0; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`);
      ctx.redirect(redeemed.joinUrl);
      ctx.status = 303;
    } catch (error) {
      if (error instanceof InviteGoneError) return gone(ctx, error);
      throw error;
    }
  });

  return router;
}

/** A display name: trimmed, NFC, printable, 1–80 characters. */
export function cleanName(raw: string): { name: string; problem?: undefined } | { name?: undefined; problem: string } {
  const name = raw.normalize('NFC').replace(/\s+/gu, ' ').trim();
  if (name.length === 0) return { problem: 'Please enter your name.' };
  if (Array.from(name).length > MAX_DISPLAY_NAME) return { problem: `Please use at most ${MAX_DISPLAY_NAME} characters.` };
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/u.test(name)) return { problem: 'Please use only visible characters.' };
  return { name };
}
