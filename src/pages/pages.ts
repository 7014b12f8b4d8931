import type { PageLanguage, UiConfig } from '../config/ui.js';
import type { PublicErrorCode } from '../errors/gateway-error.js';
import { html, jsonForScript, safeHref, trusted, type Html } from './html.js';
import { negotiateLanguage, translator, type MessageKey, type Translate } from './i18n.js';
import { renderDocument } from './layout.js';
import type {
  ChooserPageInput,
  DiscoveryPageInput,
  ErrorPageInput,
  InlineResultPageInput,
  InviteGonePageInput,
  InviteManagerPageInput,
  InvitePageInput,
  LoggedOutPageInput,
  LogoutConfirmPageInput,
  PageRenderer,
} from './renderer.js';
import { POST_RESULT_SCRIPT } from './scripts.js';
import { createTheme, type Theme } from './theme.js';

/** What the landing page shows (collected by src/pages/routes.ts from the services). */
export interface LandingPageInput {
  acceptLanguage?: string | undefined;
  /** When false, only the explanation is shown (ui.landingDetails). */
  details: boolean;
  targets: Array<{ name: string; url: string; tenants: string[] }>;
  providers: Array<{ name: string; displayName: string }>;
  status: { ready: boolean; checks: Array<{ name: string; ok: boolean }> };
  demo?: DemoGuide | undefined;
}

/** The "what to click" section of the landing page in demo mode. */
export interface DemoGuide {
  /** The stand-in Jitsi page of the demo room. */
  meetingUrl: string;
  meetingLabel: string;
  errorUrl: string;
  logoutUrl: string;
  /** The moderators' invite page of the demo room (src/api/invite-manager.ts). */
  inviteUrl: string;
  users: Array<{ username: string; password: string; name: string; groups: string[] }>;
}

export interface PagesOptions {
  /** Path of publicUrl ('' or e.g. '/sso'): where the stylesheet is served. */
  basePath?: string;
}

/** Error codes whose page offers "start again" when the error carries a retryUrl. */
const RESTARTABLE = new Set<PublicErrorCode>([
  'invalid_request',
  'login_expired',
  'login_mismatch',
  'idp_error',
  'idp_unavailable',
  'unknown_provider',
  'store_unavailable',
  'store_not_replicated',
  'not_ready',
  'rate_limited',
  'internal_error',
  'access_denied',
]);

/**
 * A `context.reason` that makes a code's general text precise: the person is told what to do
 * (join the meeting first; ask a moderator) instead of the code's generic explanation.
 */
const REASON_TEXT: Readonly<Record<string, MessageKey>> = {
  'unauthorized:signin': 'manage.signInFirst',
  'forbidden:moderator': 'manage.moderatorsOnly',
  'idp_error:misconfigured': 'error.misconfigured.body',
  'login_expired:used': 'error.loginUsed.body',
};

/** A `context.reason` that also changes the page's title (the code's title would mislead). */
const REASON_TITLE: Readonly<Record<string, MessageKey>> = {
  'idp_error:misconfigured': 'error.misconfigured.title',
  'login_expired:used': 'error.loginUsed.title',
};

/** Reasons for which starting again cannot help: no "start again" button. */
const FINAL_REASONS = new Set(['access_denied:policy', 'idp_error:misconfigured']);

/** Invite statuses as the moderator reads them. */
const STATUS_TEXT: Readonly<Record<InviteManagerPageInput['invites'][number]['status'], MessageKey>> = {
  active: 'manage.status.active',
  used_up: 'manage.status.used_up',
  expired: 'manage.status.expired',
  revoked: 'manage.status.revoked',
};

/**
 * Every code the gateway can produce (exhaustive: a new PublicErrorCode fails tsc here). Each has a
 * title and a text in every catalogue: `error.<code>.title` / `.body` are checked against the
 * message keys wherever they are used.
 */
const EVERY_CODE: Record<PublicErrorCode, true> = {
  invalid_request: true, invalid_room: true, unknown_tenant: true, unknown_target: true, unknown_provider: true, login_expired: true,
  login_mismatch: true, idp_error: true, idp_unavailable: true, access_denied: true, unauthorized: true, forbidden: true, not_found: true,
  method_not_allowed: true, client_closed_request: true, gone: true, payload_too_large: true, unsupported_media_type: true, rate_limited: true, store_unavailable: true,
  store_not_replicated: true, not_ready: true, internal_error: true,
};

export const ERROR_CODES = Object.keys(EVERY_CODE) as PublicErrorCode[];

function isErrorCode(code: string): code is PublicErrorCode {
  return Object.hasOwn(EVERY_CODE, code);
}

/**
 * The themed, translated pages. Built once from `ui` config; every method is a pure function of
 * its input. Language: Accept-Language among the configured languages.
 */
export class ThemedPages implements PageRenderer {
  readonly theme: Theme;

  constructor(
    readonly ui: UiConfig,
    options: PagesOptions = {},
  ) {
    this.theme = createTheme(ui.colours, options.basePath ?? '');
  }

  /** Language and translator for a request. */
  language(acceptLanguage: string | undefined): { language: PageLanguage; t: Translate } {
    const language = negotiateLanguage(acceptLanguage, this.ui.languages);
    return { language, t: translator(language) };
  }

  /** A whole page with the common frame (also used by the demo's pages). */
  document(language: PageLanguage, t: Translate, title: string, body: Html, extra: { scripts?: Html; support?: boolean } = {}): string {
    return renderDocument(this.ui, this.theme, { language, t, title, body, scripts: extra.scripts, support: extra.support ?? false });
  }

  errorPage(input: ErrorPageInput): string {
    const { language, t } = this.language(input.acceptLanguage);
    const code: PublicErrorCode = isErrorCode(input.code) ? input.code : input.status >= 500 ? 'internal_error' : 'invalid_request';
    const context = input.context ?? {};
    const reason = `${code}:${context.reason ?? ''}`;
    const title = t(REASON_TITLE[reason] ?? `error.${code}.title`);
    // Starting again cannot change a policy's answer for the same person, nor fix a misconfigured
    // sign-in: no such button then.
    const policyDenial = code === 'access_denied' && context.reason === 'policy';
    const retry = RESTARTABLE.has(code) && !FINAL_REASONS.has(reason) ? safeHref(context.retryUrl) : undefined;
    const meeting = safeHref(context.meetingUrl);
    const room = context.room;
    const foreign = language !== 'en' ? 'en' : undefined;
    // A policy denial carries the operator's own message (in their language): shown as such.
    // Other refusals (cancelled at the IdP) show the gateway's explanation just as prominently.
    const message =
      code === 'access_denied' && input.message
        ? policyDenial
          ? html`<div class="policy"><p class="small">${t('error.policyMessage')}</p><p>${input.message}</p></div>`
          : html`<p class="policy"${foreign ? html` lang="${foreign}"` : ''}>${input.message}</p>`
        : code !== 'internal_error' && input.message
          ? html`<details><summary>${t('error.details')}</summary><p class="detail"${foreign ? html` lang="${foreign}"` : ''}>${input.message}</p></details>`
          : '';
    const actions =
      retry || meeting
        ? html`<div class="actions">${retry ? html`<a class="button" href="${retry}">${t('common.startAgain')}</a>` : ''}${meeting ? html`<a class="button${retry ? ' secondary' : ''}" href="${meeting}">${t('common.backToMeeting')}</a>` : ''}</div>`
        : '';
    const body = html`<div class="card" data-error="${code}">
<p class="small">${t('error.heading', { status: input.status })}</p>
<h1>${title}</h1>
<p>${t(REASON_TEXT[reason] ?? `error.${code}.body`)}</p>
${room ? html`<p>${t('common.meeting')} <strong>${room}</strong></p>` : ''}
${message}
${actions}
</div>`;
    // A failed tokenAuthInline login: tell the Jitsi window (it rejects its login promise).
    const inlineOrigin = exactOrigin(context.inlineOrigin);
    const scripts = inlineOrigin ? postScripts({ to: 'opener', origin: inlineOrigin, message: { type: 'oauth-error', error: code } }) : undefined;
    return this.document(language, t, title, body, scripts ? { support: true, scripts } : { support: true });
  }

  landingPage(input: LandingPageInput): string {
    const { language, t } = this.language(input.acceptLanguage);
    const title = t('landing.title', { organisation: this.ui.organisation });
    const demo = input.demo ? this.demoGuide(t, input.demo) : '';
    const details = input.details
      ? html`<div class="card">
<h2>${t('landing.servers')}</h2>
<ul class="plain">${input.targets.map(
          (target) =>
            html`<li><a href="${target.url}/">${target.url}</a>${target.tenants.length > 0 ? html` <span class="small">(${t('landing.tenants', { tenants: target.tenants.join(', ') })})</span>` : ''}</li>`,
        )}</ul>
<h2>${t('landing.providers')}</h2>
${
  input.providers.length > 0
    ? html`<ul class="plain">${input.providers.map((provider) => html`<li>${provider.displayName}</li>`)}</ul>`
    : html`<p>${t('landing.noProviders')}</p>`
}
<h2>${t('landing.status')}</h2>
<p class="status ${input.status.ready ? 'ok' : 'bad'}" data-ready="${String(input.status.ready)}">${t(input.status.ready ? 'landing.statusReady' : 'landing.statusNotReady')}</p>
${
  input.status.ready
    ? ''
    : html`<ul class="plain small">${input.status.checks.map((check) => html`<li>${check.name}: ${t(check.ok ? 'landing.checkOk' : 'landing.checkFailed')}</li>`)}</ul>`
}
</div>`
      : '';
    const body = html`<div class="card">
<h1>${title}</h1>
<p>${t('landing.lead')}</p>
<p>${t('landing.nothingToDo')}</p>
</div>
${demo}
${details}`;
    return this.document(language, t, title, body);
  }

  private demoGuide(t: Translate, demo: DemoGuide): Html {
    return html`<section class="card" aria-labelledby="demo-title">
<h2 id="demo-title">${t('demo.title')}</h2>
<p class="notice">${t('demo.warning')}</p>
<ol class="steps">
<li>${t('demo.step1', { room: demo.meetingLabel })}<br><a class="button" href="${demo.meetingUrl}" data-demo="meeting">${t('demo.step1Link')}</a></li>
<li>${t('demo.step2')}</li>
<li>${t('demo.step3')}
<div class="table-wrap" tabindex="0" role="region" aria-labelledby="demo-users"><table>
<caption id="demo-users">${t('demo.usersCaption')}</caption>
<thead><tr><th scope="col">${t('demo.username')}</th><th scope="col">${t('demo.password')}</th><th scope="col">${t('demo.person')}</th><th scope="col">${t('demo.groups')}</th></tr></thead>
<tbody>${demo.users.map(
      (user) =>
        html`<tr><td><code>${user.username}</code></td><td><code>${user.password}</code></td><td>${user.name}</td><td>${user.groups.length > 0 ? user.groups.join(', ') : t('demo.none')}</td></tr>`,
    )}</tbody>
</table></div></li>
<li>${t('demo.step4')}</li>
<li>${t('demo.step5')}</li>
</ol>
<p>${t('demo.invite')}<br><a href="${demo.inviteUrl}" data-demo="invite">${t('demo.inviteLink')}</a></p>
<p><a href="${demo.errorUrl}">${t('demo.errorLink')}</a> · <a href="${demo.logoutUrl}">${t('demo.signOutLink')}</a></p>
</section>`;
  }

  chooserPage(input: ChooserPageInput): string {
    const { language, t } = this.language(input.acceptLanguage);
    const choices = input.providers.flatMap((provider) => {
      const href = safeHref(provider.url);
      return href ? [{ ...provider, href }] : [];
    });
    const body = html`<div class="card">
<h1>${t('chooser.title')}</h1>
<p>${t('chooser.lead')}</p>
<ul class="choices">${choices.map(
      (choice) =>
        html`<li><a class="button" href="${choice.href}" data-provider="${choice.name}">${t('chooser.continueWith', { provider: choice.displayName })}</a></li>`,
    )}</ul>
</div>`;
    return this.document(language, t, t('chooser.title'), body);
  }

  /**
   * A federation's discovery page: a GET search form (works without script), the last choice first,
   * the matches as a list of links; the result count is announced (role=status).
   */
  discoveryPage(input: DiscoveryPageInput): string {
    const { language, t } = this.language(input.acceptLanguage);
    const linked = <T extends { url: string }>(choice: T) => {
      const href = safeHref(choice.url);
      return href ? [{ ...choice, href }] : [];
    };
    const choice = (item: { id: string; displayName: string; domains: readonly string[]; href: string }) =>
      html`<li><a class="button" href="${item.href}" data-idp="${item.id}">${item.displayName}${item.domains.length > 0 ? html` <span class="small">(${item.domains.join(', ')})</span>` : ''}</a></li>`;
    const last = input.lastChoice ? linked(input.lastChoice) : [];
    const results = input.results.flatMap(linked);
    const action = safeHref(input.action) ?? '';
    const status = input.searched
      ? results.length === 0
        ? t('discovery.none', { search: input.search })
        : input.more > 0
          ? t('discovery.more', { count: input.more })
          : t('discovery.count', { count: results.length })
      : '';
    const body = html`<div class="card">
<h1>${t('discovery.title')}</h1>
<p>${t('discovery.lead', { federation: input.federation })}</p>
${last.length > 0 ? html`<h2 id="last-choice">${t('discovery.last')}</h2><ul class="choices" aria-labelledby="last-choice">${last.map(choice)}</ul>` : ''}
<form method="get" action="${action}" role="search">
${input.hidden.map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}
<label for="q">${t('discovery.searchLabel')}</label>
<p id="q-hint" class="small">${t('discovery.searchHint')}</p>
<input id="q" name="q" type="search" value="${input.search}" aria-describedby="q-hint" autocomplete="organization" maxlength="200">
<button type="submit">${t('discovery.search')}</button>
</form>
<p role="status">${status}</p>
${results.length > 0 ? html`<h2 id="results">${t('discovery.results')}</h2><ul class="choices" aria-labelledby="results">${results.map(choice)}</ul>` : ''}
</div>`;
    return this.document(language, t, t('discovery.title'), body);
  }

  logoutConfirmPage(input: LogoutConfirmPageInput): string {
    const { language, t } = this.language(input.acceptLanguage);
    const back = safeHref(input.returnUrl);
    const body = html`<div class="card">
<h1>${t('logoutConfirm.title')}</h1>
<p>${t('logoutConfirm.body')}</p>
<form method="post" action="${input.action}">
<input type="hidden" name="csrf" value="${input.csrfToken}">
<div class="actions"><button class="button" type="submit">${t('logoutConfirm.button')}</button>${back ? html` <a class="button secondary" href="${back}">${t('common.backToMeetings')}</a>` : ''}</div>
</form>
</div>`;
    return this.document(language, t, t('logoutConfirm.title'), body);
  }

  loggedOutPage(input: LoggedOutPageInput): string {
    const { language, t } = this.language(input.acceptLanguage);
    const back = safeHref(input.returnUrl);
    const body = html`<div class="card">
<h1>${t('loggedOut.title')}</h1>
<p>${t('loggedOut.body')}</p>
${back ? html`<div class="actions"><a class="button" href="${back}">${t('common.backToMeetings')}</a></div>` : ''}
</div>`;
    return this.document(language, t, t('loggedOut.title'), body);
  }

  /**
   * The end of an inline flow. `to: 'opener'`: the tokenAuthInline login popup posts
   * oauth-success/oauth-error to the Jitsi window; `to: 'parent'`: the silent logout iframe posts
   * logout-success. The target origin is the exact Jitsi origin, so the browser drops the message
   * for a window of any other origin; and Jitsi itself only accepts messages from its own origin,
   * so this needs the gateway on Jitsi's origin (e.g. under /sso/, the sidecar deployment).
   */
  inlineResultPage(input: InlineResultPageInput): string {
    const { language, t } = this.language(input.acceptLanguage);
    const type = input.message.type;
    const [titleKey, bodyKey]: [MessageKey, MessageKey] =
      type === 'oauth-success' ? ['inline.successTitle', 'inline.successBody'] : type === 'logout-success' ? ['loggedOut.title', 'loggedOut.body'] : ['inline.errorTitle', 'inline.errorBody'];
    const fallback = safeHref(input.fallbackUrl);
    const body = html`<div class="card" data-inline="${type}">
<h1>${t(titleKey)}</h1>
<p>${t(bodyKey)}</p>
<div id="jsg-no-opener" hidden><p>${t('inline.noOpener')}</p>${fallback ? html`<div class="actions"><a class="button" href="${fallback}">${t('common.backToMeeting')}</a></div>` : ''}</div>
</div>`;
    return this.document(language, t, t(titleKey), body, { scripts: postScripts({ to: input.to, origin: input.origin, message: pruneMessage(input.message) }) });
  }

  invitePage(input: InvitePageInput): string {
    const { language, t } = this.language(input.acceptLanguage);
    const where = input.tenant ? `${input.tenant}/${input.room}` : input.room;
    const invalid = input.error !== undefined && input.error !== '';
    const body = html`<div class="card">
<h1>${t('invite.title')}</h1>
<p>${t('common.meeting')} <strong>${where}</strong></p>
${input.label ? html`<p><q>${input.label}</q></p>` : ''}
<p>${t(input.role === 'moderator' ? 'invite.role.moderator' : 'invite.role.participant')}</p>
<p>${t('invite.lead')}</p>
<form method="post" action="${input.action}" novalidate>
<input type="hidden" name="csrf" value="${input.csrfToken}">
<label for="name">${t('invite.nameLabel')}</label>
<input id="name" name="name" type="text" required maxlength="${String(input.maxNameLength)}" autocomplete="name" value="${input.name ?? ''}" aria-describedby="name-hint${invalid ? ' name-error' : ''}"${invalid ? trusted(' aria-invalid="true"') : ''}>
<p class="hint" id="name-hint">${t('invite.nameHint')}</p>
${
  invalid
    ? language === 'en'
      ? html`<p class="problem" id="name-error" role="alert">${input.error}</p>`
      : html`<p class="problem" id="name-error" role="alert">${t('invite.problem')}<br><span lang="en">${input.error}</span></p>`
    : ''
}
<div class="actions"><button class="button" type="submit">${t('invite.join')}</button></div>
</form>
</div>`;
    return this.document(language, t, t('invite.title'), body);
  }

  inviteManagerPage(input: InviteManagerPageInput): string {
    const { language, t } = this.language(input.acceptLanguage);
    const where = input.tenant ? `${input.tenant}/${input.room}` : input.room;
    const title = t('manage.title');
    const invalid = input.error !== undefined && input.error !== '';
    const hidden = (action: 'create' | 'revoke') => html`<input type="hidden" name="csrf" value="${input.csrfToken}">
<input type="hidden" name="action" value="${action}">`;
    const created = input.created
      ? html`<section class="card" aria-labelledby="created-title" data-created>
<h2 id="created-title">${t('manage.createdHeading')}</h2>
<p>${t(input.created.role === 'moderator' ? 'manage.createdModerator' : 'manage.createdParticipant')}</p>
<label for="created-link">${t('manage.linkLabel')}</label>
<input id="created-link" type="text" readonly value="${input.created.url}" aria-describedby="created-hint">
<p class="hint" id="created-hint">${t('manage.createdHint')}</p>
</section>`
      : '';
    const problem = invalid
      ? language === 'en'
        ? html`<p class="problem" id="create-error" role="alert">${input.error}</p>`
        : html`<p class="problem" id="create-error" role="alert">${t('manage.problem')}<br><span lang="en">${input.error}</span></p>`
      : '';
    const roleChoice = (role: 'participant' | 'moderator') =>
      html`<div class="choice"><input type="radio" id="role-${role}" name="role" value="${role}"${input.entered.role === role ? trusted(' checked') : ''}><label for="role-${role}">${t(`manage.role.${role}`)}</label></div>`;
    const form = html`<section class="card" aria-labelledby="create-title">
<h2 id="create-title">${t('manage.createHeading')}</h2>
${problem}
<form method="post" action="${input.action}" novalidate${invalid ? trusted(' aria-describedby="create-error"') : ''}>
${hidden('create')}
<fieldset>
<legend>${t('manage.roleLegend')}</legend>
${roleChoice('participant')}
${roleChoice('moderator')}
</fieldset>
<label for="uses">${t('manage.usesLabel')}</label>
<input id="uses" name="uses" type="number" inputmode="numeric" required min="1" max="${String(input.maxUses)}" step="1" value="${input.entered.uses}" aria-describedby="uses-hint">
<p class="hint" id="uses-hint">${t('manage.usesHint', { max: input.maxUses })}</p>
<label for="ttl">${t('manage.validityLabel')}</label>
<select id="ttl" name="ttlSeconds">${input.validity.map(
      (seconds) => html`<option value="${String(seconds)}"${String(seconds) === input.entered.ttlSeconds ? trusted(' selected') : ''}>${duration(t, seconds)}</option>`,
    )}</select>
<label for="label">${t('manage.labelLabel')}</label>
<input id="label" name="label" type="text" maxlength="${String(input.maxLabelLength)}" value="${input.entered.label}" aria-describedby="label-hint">
<p class="hint" id="label-hint">${t('manage.labelHint')}</p>
<div class="actions"><button class="button" type="submit">${t('manage.create')}</button></div>
</form>
</section>`;
    const list =
      input.invites.length === 0
        ? html`<p>${t('manage.none')}</p>`
        : html`<div class="table-wrap" tabindex="0" role="region" aria-labelledby="list-title"><table>
<thead><tr><th scope="col">${t('manage.col.invite')}</th><th scope="col">${t('manage.col.uses')}</th><th scope="col">${t('manage.col.status')}</th><th scope="col">${t('manage.col.action')}</th></tr></thead>
<tbody>${input.invites.map(
            (invite) => html`<tr data-invite="${invite.id}">
<td>${invite.label ? html`<q>${invite.label}</q><br>` : ''}<span class="small">${t(`manage.role.${invite.role}`)}</span><br><code>${invite.url}</code></td>
<td class="nowrap">${t('manage.usesValue', { used: invite.used, uses: invite.uses })}</td>
<td data-status="${invite.status}">${t(STATUS_TEXT[invite.status])}${invite.status === 'active' ? html`<br><span class="small nowrap">${t('manage.until', { time: utcTime(invite.expiresAt) })}</span>` : ''}</td>
<td>${
              invite.status === 'active'
                ? html`<form method="post" action="${input.action}">
${hidden('revoke')}
<input type="hidden" name="id" value="${invite.id}">
<button class="button secondary" type="submit" aria-label="${t('manage.revokeNamed', { link: invite.label ?? invite.id })}">${t('manage.revoke')}</button>
</form>`
                : ''
            }</td>
</tr>`,
          )}</tbody>
</table></div>`;
    const body = html`<div class="card">
<h1>${title}</h1>
<p>${t('common.meeting')} <strong>${where}</strong></p>
<p>${t('manage.lead')}</p>
</div>
${created}
${form}
<section class="card" aria-labelledby="list-title">
<h2 id="list-title">${t('manage.listHeading')}</h2>
${list}
</section>`;
    return this.document(language, t, title, body);
  }

  inviteGonePage(input: InviteGonePageInput): string {
    const { language, t } = this.language(input.acceptLanguage);
    const body = html`<div class="card" data-invite-gone="${input.reason}">
<h1>${t('inviteGone.title')}</h1>
<p>${t(`inviteGone.${input.reason}`)}</p>
<p>${t('inviteGone.ask')}</p>
</div>`;
    return this.document(language, t, t('inviteGone.title'), body, { support: true });
  }
}

/** A lifetime from the "valid for" choices, in whole days, hours or minutes. */
function duration(t: Translate, seconds: number): string {
  if (seconds % 86400 === 0) return seconds === 86400 ? t('manage.duration.day') : t('manage.duration.days', { count: seconds / 86400 });
  if (seconds % 3600 === 0) return seconds === 3600 ? t('manage.duration.hour') : t('manage.duration.hours', { count: seconds / 3600 });
  return t('manage.duration.minutes', { count: Math.max(1, Math.round(seconds / 60)) });
}

/** `2026-11-24 17:05 UTC`: the same for every reader, whatever the server's time zone. */
function utcTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** The data block read by POST_RESULT_SCRIPT, then the script (allowed by its hash). */
function postScripts(data: { to: 'opener' | 'parent'; origin: string; message: Record<string, unknown> }): Html {
  return html`<script type="application/json" id="jsg-post">${jsonForScript(data)}</script>
<script>${trusted(POST_RESULT_SCRIPT)}</script>`;
}

/** `scheme://host[:port]` exactly, or undefined: postMessage targets are never `*` or a path. */
function exactOrigin(value: string | undefined): string | undefined {
  if (!value) return undefined;
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Jitsi reads exactly these fields; absent values are left out, never null. */
function pruneMessage(message: InlineResultPageInput['message']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(message)) if (typeof value === 'string') out[key] = value;
  return out;
}

export function createPages(ui: UiConfig, options: PagesOptions = {}): ThemedPages {
  return new ThemedPages(ui, options);
}
