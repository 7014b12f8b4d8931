import { POST_RESULT_SCRIPT } from './scripts.js';

/**
 * What the HTTP layer needs from the pages concern. The default implementation is deliberately
 * plain; src/pages/ provides the themed, translated one.
 */
export interface ErrorPageInput {
  status: number;
  code: string;
  message: string;
  /** Accept-Language header of the request, for the page language. */
  acceptLanguage?: string | undefined;
  /**
   * Safe extra values (GatewayError.context). The themed renderer (src/pages/pages.ts) reads:
   * - `retryUrl`: "Start again" (same-origin path or http(s) URL), e.g. back to /login for the room;
   * - `meetingUrl`: "Back to the meeting" (the Jitsi room URL, without token);
   * - `room`: the room as people read it;
   * - `reason: 'policy'`: an access_denied from the policy, whose `message` is the operator's
   *   message to the person (shown as "Message from your organisation");
   * - `inlineOrigin`: the Jitsi origin of a tokenAuthInline popup: the page posts
   *   `{type: 'oauth-error', error: <code>}` to the opener with that exact target origin.
   */
  context?: Record<string, string> | undefined;
}

/** The guest invite page (/invite/<id>): asks for a display name. */
export interface InvitePageInput {
  /** Where the form POSTs (application/x-www-form-urlencoded) its fields `name` and `csrf`. */
  action: string;
  /** Value of the hidden `csrf` field. */
  csrfToken: string;
  /** The room name as people read it (decoded), and its tenant. */
  room: string;
  tenant?: string | undefined;
  role: 'moderator' | 'participant';
  /** What the inviter called the invite, if anything. */
  label?: string | undefined;
  /** The name entered before, shown again with `error`. */
  name?: string | undefined;
  error?: string | undefined;
  /** Longest display name accepted (the input's maxlength). */
  maxNameLength: number;
  acceptLanguage?: string | undefined;
}

/**
 * The moderator's invite page (/invites/<tenant>/<room>): a form that creates an invite link for
 * the room and the list of the person's links for it, each with a button to withdraw it. Every
 * form POSTs (application/x-www-form-urlencoded) to `action` with `csrf` and `action`
 * (`create`: role, uses, ttlSeconds, label; `revoke`: id).
 */
export interface InviteManagerPageInput {
  action: string;
  /** Value of the hidden `csrf` field of every form on the page. */
  csrfToken: string;
  /** The room name as people read it (decoded), and its tenant. */
  room: string;
  tenant?: string | undefined;
  /** Largest number of uses (api.invites.maxUses); the smallest is 1. */
  maxUses: number;
  /** Longest note (label). */
  maxLabelLength: number;
  /** Lifetimes offered, in seconds; `entered.ttlSeconds` is selected. */
  validity: number[];
  /** The form's values: the defaults, or what was entered before a problem. */
  entered: { role: 'moderator' | 'participant'; uses: string; ttlSeconds: string; label: string };
  /** The link just created, shown in a read-only field to copy. */
  created?: { url: string; role: 'moderator' | 'participant' } | undefined;
  /** The person's invites for this room, newest first. */
  invites: Array<{
    id: string;
    url: string;
    role: 'moderator' | 'participant';
    label?: string | undefined;
    uses: number;
    used: number;
    status: 'active' | 'used_up' | 'expired' | 'revoked';
    /** ISO 8601. */
    expiresAt: string;
  }>;
  /** What went wrong with the last POST (English, from the gateway). */
  error?: string | undefined;
  acceptLanguage?: string | undefined;
}

/** Why an invite link no longer works (HTTP 410; unknown is 404). */
export interface InviteGonePageInput {
  reason: 'used_up' | 'expired' | 'revoked' | 'unknown';
  acceptLanguage?: string | undefined;
}

/** Several identity providers can sign the person in: they pick one (GET /login). */
export interface ChooserPageInput {
  /** In configuration order; `url` is a same-origin path that continues the login with that provider. */
  providers: Array<{ name: string; displayName: string; url: string }>;
  acceptLanguage?: string | undefined;
}

/** A federation's discovery page: the person picks their institution (src/login/discovery.ts). */
export interface DiscoveryPageInput {
  /** The provider's display name (the federation). */
  federation: string;
  /** Where the search form GETs (the login entry), with `hidden` fields and `q`. */
  action: string;
  hidden: Array<[string, string]>;
  search: string;
  /** Same-origin URLs that continue the login at that institution. */
  results: Array<{ id: string; displayName: string; domains: readonly string[]; url: string }>;
  /** Matches beyond those shown. */
  more: number;
  /** Whether a search was made (no results then means "nothing found"). */
  searched: boolean;
  lastChoice?: { id: string; displayName: string; domains: readonly string[]; url: string } | undefined;
  acceptLanguage?: string | undefined;
}

/**
 * The end of an inline flow: the page posts `message` to the Jitsi window with `origin` as the
 * exact postMessage target origin (POST_RESULT_SCRIPT in src/pages/scripts.ts, allowed by hash).
 * `to: 'opener'` is the tokenAuthInline login popup, `to: 'parent'` the silent logout iframe.
 */
export interface InlineResultPageInput {
  to: 'opener' | 'parent';
  /** The Jitsi origin, e.g. https://meet.example.com (never `*`). */
  origin: string;
  message:
    | { type: 'oauth-success'; accessToken: string; refreshToken?: string }
    /** A failed inline login: Jitsi rejects the popup's promise with `error` (an error code). */
    | { type: 'oauth-error'; error: string }
    | { type: 'logout-success' };
  /** Shown (as a link) only when the page has no Jitsi window to post to, e.g. opened directly. */
  fallbackUrl?: string | undefined;
  acceptLanguage?: string | undefined;
}

/** After GET /logout (and the IdP's logout, when it has one). */
export interface LoggedOutPageInput {
  /** Back to the meetings: the Jitsi target's URL. */
  returnUrl?: string | undefined;
  acceptLanguage?: string | undefined;
}

export interface PageRenderer {
  errorPage(input: ErrorPageInput): string;
  invitePage(input: InvitePageInput): string;
  inviteGonePage(input: InviteGonePageInput): string;
  inviteManagerPage(input: InviteManagerPageInput): string;
  chooserPage(input: ChooserPageInput): string;
  discoveryPage(input: DiscoveryPageInput): string;
  inlineResultPage(input: InlineResultPageInput): string;
  loggedOutPage(input: LoggedOutPageInput): string;
  logoutConfirmPage(input: LogoutConfirmPageInput): string;
}

/** "Sign out?" with a button that POSTs the logout (a GET never signs anyone out by itself). */
export interface LogoutConfirmPageInput {
  /** Where the form posts (the gateway's /logout, with its query). */
  action: string;
  csrfToken: string;
  returnUrl?: string | undefined;
  acceptLanguage?: string | undefined;
}

const escapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (char) => escapes[char] ?? char);

export const plainPages: PageRenderer = {
  errorPage({ status, message, context }) {
    const again = context?.retryUrl ? `<p><a href="${escapeHtml(context.retryUrl)}">Start again</a></p>` : '';
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Error ${status}</title></head><body><main><h1>Sign-in problem</h1><p>${escapeHtml(message)}</p>${again}</main></body></html>`;
  },
  invitePage({ action, csrfToken, room, tenant, role, label, name, error, maxNameLength }) {
    const where = tenant ? `${escapeHtml(tenant)}/${escapeHtml(room)}` : escapeHtml(room);
    const problem = error ? `<p role="alert" id="name-error">${escapeHtml(error)}</p>` : '';
    const described = error ? ' aria-invalid="true" aria-describedby="name-error"' : '';
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Join ${where}</title></head><body><main><h1>You are invited to ${where}</h1>${label ? `<p>${escapeHtml(label)}</p>` : ''}<p>You will join as ${role === 'moderator' ? 'a moderator' : 'a guest'}.</p>${problem}<form method="post" action="${escapeHtml(action)}"><input type="hidden" name="csrf" value="${escapeHtml(csrfToken)}"><label for="name">Your name, as others will see it</label> <input id="name" name="name" type="text" required maxlength="${maxNameLength}" autocomplete="name" value="${escapeHtml(name ?? '')}"${described}> <button type="submit">Join the meeting</button></form></main></body></html>`;
  },
  inviteGonePage({ reason }) {
    const why: Record<InviteGonePageInput['reason'], string> = {
      used_up: 'This invite link has already been used as often as it allows.',
      expired: 'This invite link has expired.',
      revoked: 'This invite link was withdrawn by the person who created it.',
      unknown: 'This invite link is not valid. Check that you copied all of it.',
    };
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Invite no longer valid</title></head><body><main><h1>This invite cannot be used</h1><p>${why[reason]}</p><p>Ask the person who invited you for a new link.</p></main></body></html>`;
  },
  inviteManagerPage({ action, csrfToken, room, tenant, maxUses, maxLabelLength, validity, entered, created, invites, error }) {
    const where = tenant ? `${escapeHtml(tenant)}/${escapeHtml(room)}` : escapeHtml(room);
    const hidden = (name: string, value: string) => `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`;
    const problem = error ? `<p role="alert" id="create-error">${escapeHtml(error)}</p>` : '';
    const link = created ? `<h2>Your new link</h2><label for="created-link">Invitation link</label> <input id="created-link" type="text" readonly value="${escapeHtml(created.url)}">` : '';
    const options = validity.map((seconds) => `<option value="${seconds}"${String(seconds) === entered.ttlSeconds ? ' selected' : ''}>${seconds / 3600} h</option>`).join('');
    const roles = (['participant', 'moderator'] as const)
      .map((role) => `<input type="radio" id="role-${role}" name="role" value="${role}"${entered.role === role ? ' checked' : ''}> <label for="role-${role}">${role === 'moderator' ? 'Moderator' : 'Guest'}</label>`)
      .join(' ');
    const rows = invites
      .map(
        (invite) =>
          `<li><code>${escapeHtml(invite.url)}</code> ${escapeHtml(invite.label ?? '')} (${invite.role}, ${invite.used}/${invite.uses}, ${invite.status}, until ${escapeHtml(invite.expiresAt)})${invite.status === 'active' ? ` <form method="post" action="${escapeHtml(action)}">${hidden('csrf', csrfToken)}${hidden('action', 'revoke')}${hidden('id', invite.id)}<button type="submit">Withdraw</button></form>` : ''}</li>`,
      )
      .join('');
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Invite guests to ${where}</title></head><body><main><h1>Invite guests to ${where}</h1>${link}${problem}<form method="post" action="${escapeHtml(action)}">${hidden('csrf', csrfToken)}${hidden('action', 'create')}<fieldset><legend>Guests join as</legend>${roles}</fieldset><label for="uses">Number of guests (1 to ${maxUses})</label> <input id="uses" name="uses" type="number" min="1" max="${maxUses}" value="${escapeHtml(entered.uses)}"> <label for="ttl">Valid for</label> <select id="ttl" name="ttlSeconds">${options}</select> <label for="label">Note for your guests (optional)</label> <input id="label" name="label" type="text" maxlength="${maxLabelLength}" value="${escapeHtml(entered.label)}"> <button type="submit">Create link</button></form><h2>Your links for this meeting</h2><ul>${rows}</ul></main></body></html>`;
  },
  chooserPage({ providers }) {
    const items = providers.map((provider) => `<li><a href="${escapeHtml(provider.url)}">${escapeHtml(provider.displayName)}</a></li>`).join('');
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Choose how to sign in</title></head><body><main><h1>Choose how to sign in</h1><ul>${items}</ul></main></body></html>`;
  },
  discoveryPage({ federation, action, hidden, search, results, more, searched, lastChoice }) {
    const item = (choice: { displayName: string; url: string }) => `<li><a href="${escapeHtml(choice.url)}">${escapeHtml(choice.displayName)}</a></li>`;
    const last = lastChoice ? `<h2>Last used</h2><ul>${item(lastChoice)}</ul>` : '';
    const fields = hidden.map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`).join('');
    const list = results.length > 0 ? `<ul>${results.map(item).join('')}</ul>${more > 0 ? `<p>${more} more: refine the search.</p>` : ''}` : searched ? '<p role="status">No institution matches.</p>' : '';
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Choose your institution</title></head><body><main><h1>Choose your institution</h1><p>${escapeHtml(federation)}</p>${last}<form method="get" action="${escapeHtml(action)}" role="search">${fields}<label for="q">Name or domain of your institution</label> <input id="q" name="q" type="search" value="${escapeHtml(search)}"> <button type="submit">Search</button></form>${list}</main></body></html>`;
  },
  inlineResultPage({ to, origin, message, fallbackUrl }) {
    const data = JSON.stringify({ to, origin, message }).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
    const done = message.type === 'logout-success' ? 'You are signed out.' : message.type === 'oauth-error' ? 'Sign-in failed.' : 'You are signed in.';
    const link = fallbackUrl ? ` <a href="${escapeHtml(fallbackUrl)}">Continue to the meeting</a>` : '';
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${done}</title></head><body><main><h1>${done}</h1><p id="jsg-no-opener" hidden>This window was not opened by the meeting.${link}</p></main><script type="application/json" id="jsg-post">${data}</script><script>${POST_RESULT_SCRIPT}</script></body></html>`;
  },
  logoutConfirmPage({ action, csrfToken }) {
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Sign out?</title></head><body><main><h1>Sign out?</h1><form method="post" action="${escapeHtml(action)}"><input type="hidden" name="csrf" value="${escapeHtml(csrfToken)}"><button type="submit">Sign out</button></form></main></body></html>`;
  },
  loggedOutPage({ returnUrl }) {
    const back = returnUrl ? `<p><a href="${escapeHtml(returnUrl)}">Back to the meetings</a></p>` : '';
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Signed out</title></head><body><main><h1>You are signed out</h1>${back}</main></body></html>`;
  },
};
