import { Router } from '@koa/router';
import type { Context } from 'koa';
import { assertModerates, createInvite, listInvites, locateFor, principalOf, revokeInvite, type ApiDeps, type Caller } from './operations.js';
import { enforcePersonRateLimit } from './auth.js';
import { createApiDeps } from './routes.js';
import { MAX_INVITE_LABEL, targetFromQuery } from './schemas.js';
import { readBody } from '../http/body.js';
import { GatewayError } from '../errors/gateway-error.js';
import { answerOf, statusOf } from '../http/errors.js';
import type { InviteManagerPageInput } from '../pages/renderer.js';
import type { ApiRouteDeps } from './deps.js';
import type { JitsiTarget, RoomLocation } from '../tokens/target.js';
import { FORM_TTL_SECONDS, InviteFormTokens } from '../invites/csrf.js';
import { requestLog } from '../invites/page-support.js';
import { readableRoomName } from '../tokens/room.js';
import { readManageForm, validityChoices, type EnteredInvite, type RoomRequest } from './invite-manager-form.js';
import { gatewaySessionReader } from './session-reader.js';

/**
 * The moderator's side of invite links, for people in a browser: GET /invites/<tenant>/<room>
 * (`-` for a room without tenant; `?target=<name>` for another than the default target) shows a
 * form that creates an invite link for the room and the person's links for it, each with a
 * "withdraw" button. It needs the gateway session of someone the policy makes moderator of the
 * room: without a session 401 (join the meeting first), otherwise 403.
 *
 * Creating, listing and withdrawing are the API's own operations (createInvite, listInvites,
 * revokeInvite with the session person as caller): the page adds no rule of its own.
 *
 * CSRF exactly like the guest form (src/invites/routes.ts): each page carries a fresh
 * InviteFormTokens token bound to the person and the room, also set as a SameSite=Strict,
 * HttpOnly cookie scoped to the page's path; a POST needs both copies to agree, the token to be
 * fresh, and it is accepted once.
 */
export const MANAGE_COOKIE = 'jsg_invites';
const FORM_LIMIT_BYTES = 4096;

/** The room a request is about, and who asks. */
interface ManagedRoom {
  caller: Extract<Caller, { kind: 'person' }>;
  target: JitsiTarget;
  location: RoomLocation;
  /** The room as the invite body names it (normalized: the page's address cannot widen it). */
  request: RoomRequest;
  /** Canonical path of the page: the cookie's Path, and the forms' action with `query`. */
  path: string;
  action: string;
  /** What the form tokens are bound to. */
  formId: string;
}

interface Outcome {
  status: number;
  error?: string | undefined;
  entered?: EnteredInvite | undefined;
  created?: InviteManagerPageInput['created'];
}

export function inviteManagerRoutes(services: ApiRouteDeps): Router {
  const deps: ApiDeps = createApiDeps(services);
  const sessions = gatewaySessionReader(services);
  const formTokens = new InviteFormTokens(services.store);
  const settings = services.config.api.invites;
  const validity = validityChoices(settings);
  const secure = services.publicUrl.startsWith('https:');
  const { pages } = services;
  const router = new Router();

  const defaults = (): EnteredInvite => ({ role: 'participant', uses: '1', ttlSeconds: String(settings.defaultTtlSeconds), label: '' });

  /** Who asks about which room: 401 without a session, 4xx for a room that cannot be, 403 unless moderator. */
  const open = async (ctx: Context & { params: Record<string, string> }): Promise<ManagedRoom> => {
    const asked = roomOf(ctx);
    const identity = await sessions.identity(ctx);
    if (!identity) {
      const meetingUrl = meetingOf(deps, asked);
      throw new GatewayError('unauthorized', 'Join the meeting (sign in) first, then open this page again.', {
        context: { reason: 'signin', ...(meetingUrl ? { meetingUrl } : {}) },
      });
    }
    await enforcePersonRateLimit(services.counterStore, identity);
    const { target, location } = locateFor(deps, undefined, asked);
    try {
      await assertModerates(deps, identity, location);
    } catch (error) {
      if (!(error instanceof GatewayError) || statusOf(error) !== 403) throw error;
      throw new GatewayError('forbidden', error.message, {
        detail: error.detail,
        context: { reason: 'moderator', room: display(location), meetingUrl: target.joinUrl(location, undefined) },
      });
    }
    const caller: ManagedRoom['caller'] = { kind: 'person', identity };
    const tenant = location.tenant ?? '-';
    const path = `${services.basePath}/invites/${encodeURIComponent(tenant)}/${location.room}`;
    return {
      caller,
      target,
      location,
      request: { target: asked.target, tenant: location.tenant, room: location.room },
      path,
      action: asked.target !== undefined ? `${path}?target=${asked.target}` : path,
      formId: `manage:${principalOf(caller)}:${location.target}/${tenant}/${location.room}`,
    };
  };

  const render = async (ctx: Context, room: ManagedRoom, outcome: Outcome): Promise<void> => {
    const token = await formTokens.issue(room.formId);
    ctx.append('Set-Cookie', `${MANAGE_COOKIE}=${token}; Path=${room.path}; Max-Age=${FORM_TTL_SECONDS}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`);
    const { location } = room;
    const mine = (await listInvites(deps, room.caller)).invites.filter(
      (invite) => invite.target === location.target && invite.tenant === location.tenant && invite.room === location.room,
    );
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = pages.inviteManagerPage({
      action: room.action,
      csrfToken: token,
      room: readableRoomName(location.room),
      tenant: location.tenant,
      maxUses: settings.maxUses,
      maxLabelLength: MAX_INVITE_LABEL,
      validity,
      entered: outcome.entered ?? defaults(),
      created: outcome.created,
      invites: mine.map((invite) => ({
        id: invite.id,
        url: invite.url,
        role: invite.role,
        label: invite.label,
        uses: invite.uses,
        used: invite.used,
        status: invite.status,
        expiresAt: invite.expiresAt,
      })),
      error: outcome.error,
      acceptLanguage: ctx.get('accept-language'),
    });
    ctx.status = outcome.status;
  };

  /** A refused POST: counted and logged once, answered with the page and the reason. */
  const refused = async (ctx: Context, room: ManagedRoom, error: GatewayError, entered?: EnteredInvite): Promise<void> => {
    const answer = answerOf(error);
    services.metrics.errors.inc({ kind: answer.code });
    requestLog(ctx)?.[answer.level]({ code: answer.code, status: answer.status, path: ctx.path, ...error.detail }, error.message);
    await render(ctx, room, { status: answer.status, error: error.message, entered });
  };

  router.get('/invites/:tenant/:room', async (ctx) => {
    await render(ctx, await open(ctx), { status: 200 });
  });

  router.post('/invites/:tenant/:room', async (ctx) => {
    const room = await open(ctx);
    const form = new URLSearchParams(await readBody(ctx, { limit: FORM_LIMIT_BYTES, types: ['application/x-www-form-urlencoded'] }));
    const action = readManageForm(form, room.request);
    const entered = action.kind === 'create' ? action.entered : undefined;
    // A stale, replayed or forged form: nothing is done; the page again with a fresh token.
    if (!(await formTokens.redeem(room.formId, form.get('csrf') ?? '', ctx.cookies.get(MANAGE_COOKIE) ?? ''))) {
      return refused(ctx, room, new GatewayError('login_mismatch', 'This page had expired. Please try again.'), entered);
    }
    switch (action.kind) {
      case 'unknown':
        return refused(ctx, room, new GatewayError('invalid_request', 'This form cannot be used here.'));
      case 'revoke':
        try {
          await revokeInvite(deps, room.caller, action.id);
        } catch (error) {
          if (error instanceof GatewayError && statusOf(error) === 404) return refused(ctx, room, error);
          throw error;
        }
        ctx.redirect(room.action);
        ctx.status = 303;
        return;
      case 'create': {
        if ('problem' in action) return refused(ctx, room, new GatewayError('invalid_request', action.problem), entered);
        try {
          const invite = await createInvite(deps, room.caller, action.body);
          return await render(ctx, room, { status: 201, created: { url: invite.url, role: invite.role } });
        } catch (error) {
          if (error instanceof GatewayError && statusOf(error) === 400) return refused(ctx, room, error, entered);
          throw error;
        }
      }
    }
  });

  return router;
}

/** The room named by the address: tenant (`-`: none) and room from the path, target from the query. */
function roomOf(ctx: Context & { params: Record<string, string> }): RoomRequest {
  const tenant = ctx.params.tenant ?? '';
  return { target: targetFromQuery(ctx.query.target), tenant: tenant === '-' ? undefined : tenant, room: ctx.params.room ?? '' };
}

/** The meeting's address (without token), to join it and come back; undefined when the room cannot be. */
function meetingOf(deps: ApiDeps, asked: RoomRequest): string | undefined {
  try {
    const { target, location } = locateFor(deps, undefined, asked);
    return target.joinUrl(location, undefined);
  } catch {
    return undefined;
  }
}

function display(location: RoomLocation): string {
  const room = readableRoomName(location.room);
  return location.tenant !== undefined ? `${location.tenant}/${room}` : room;
}
