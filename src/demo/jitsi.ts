import { Router } from '@koa/router';
import type { Context } from 'koa';
import type { Config } from '../config/schema.js';
import { diagnose, DoctorSettingsError, type ProsodySettings } from '../doctor/prosody.js';
import type { RouteFactory } from '../http/app.js';
import { readJsonObject } from '../http/body.js';
import { GatewayError } from '../errors/gateway-error.js';
import { extendPagePolicy } from '../http/middleware/headers.js';
import { html, jsonForScript, trusted } from '../pages/html.js';
import { createPages, ThemedPages } from '../pages/pages.js';
import { scriptHash } from '../pages/scripts.js';
import type { PageRenderer } from '../pages/renderer.js';
import { backendSafeRoomName, RoomNameError } from '../tokens/room.js';
import type { JitsiTarget } from '../tokens/target.js';
import { DEMO_ROOM } from './room.js';

/**
 * The demo's stand-in for a Jitsi Meet server, at `<publicUrl>/demo-jitsi/<tenant>/<room>` (the
 * demo target's url). It behaves like Jitsi's web client where the gateway is concerned:
 *
 * - without a token it offers the tokenAuthUrl sign-in, as a redirect (`{room}` and a JSON
 *   `{state}` with room, roomSafe and tenant) or, like `tokenAuthInline`, in a popup that waits for
 *   `oauth-success` / `oauth-error` messages from its own origin only;
 * - it reads the token from `#jwt=` (JSON-parsed, as Jitsi does), shows it decoded, and asks
 *   src/doctor whether Prosody would accept it for this room.
 */

export const STAND_IN_PATH = '/demo-jitsi';

/** The page's script: static text, allowed by hash; its inputs come from a JSON data block. */
export const STAND_IN_SCRIPT = `(function () {
  var config = JSON.parse(document.getElementById('jitsi-config').textContent || '{}');
  var $ = function (id) { return document.getElementById(id); };
  function decodePart(part) {
    var base64 = part.replace(/-/g, '+').replace(/_/g, '/');
    while (base64.length % 4) base64 += '=';
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
    return JSON.parse(new TextDecoder().decode(bytes));
  }
  function tokenFromHash() {
    var raw = new URLSearchParams(window.location.hash.slice(1)).get('jwt');
    if (!raw) return null;
    try { return JSON.parse(raw); } catch (e) { return raw; }
  }
  function item(text, ok) {
    var li = document.createElement('li');
    li.className = ok ? 'ok' : 'bad';
    li.textContent = text;
    return li;
  }
  function check(token) {
    var verdict = $('verdict');
    var rules = $('rules');
    verdict.textContent = config.texts.checking;
    fetch(config.checkUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ token: token, room: config.room, tenant: config.tenant })
    }).then(function (response) { return response.json(); }).then(function (report) {
      verdict.textContent = report.verdict || report.message || 'error';
      verdict.className = 'status ' + (report.verdict === 'ACCEPT' ? 'ok' : 'bad');
      verdict.setAttribute('data-verdict', report.verdict || 'error');
      rules.textContent = '';
      (report.rules || []).forEach(function (rule) { rules.appendChild(item(rule.rule + ': ' + rule.message, rule.ok)); });
    }).catch(function (error) { verdict.textContent = String(error); });
  }
  function show(token) {
    var parts = String(token).split('.');
    try {
      $('token-header').textContent = JSON.stringify(decodePart(parts[0]), null, 2);
      $('token-payload').textContent = JSON.stringify(decodePart(parts[1]), null, 2);
    } catch (e) {
      $('token-payload').textContent = String(e);
    }
    $('token-raw').textContent = token;
    $('no-token').hidden = true;
    $('with-token').hidden = false;
    check(token);
  }
  $('sign-in-popup').addEventListener('click', function () {
    var nonce = Array.prototype.map.call(crypto.getRandomValues(new Uint8Array(16)), function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
    var popup = window.open(config.loginUrl + '&nonce=' + nonce, 'Auth-' + Date.now(), 'width=500,height=640');
    if (!popup) { $('popup-result').textContent = config.texts.popupBlocked; return; }
    function onMessage(event) {
      if (event.origin !== window.location.origin) return;
      var data = event.data || {};
      if (data.type === 'oauth-success') {
        window.removeEventListener('message', onMessage);
        popup.close();
        $('popup-result').textContent = data.refreshToken ? config.texts.withRefresh : '';
        window.history.replaceState(null, '', '#jwt=' + encodeURIComponent(JSON.stringify(data.accessToken)));
        show(data.accessToken);
      } else if (data.type === 'oauth-error') {
        window.removeEventListener('message', onMessage);
        popup.close();
        $('popup-result').textContent = config.texts.loginFailed + ' (' + data.error + ')';
      }
    }
    window.addEventListener('message', onMessage);
  });
  $('sign-out-silent').addEventListener('click', function () {
    var frame = document.createElement('iframe');
    frame.hidden = true;
    frame.title = 'logout';
    function onMessage(event) {
      if (event.origin !== window.location.origin || !event.data || event.data.type !== 'logout-success') return;
      window.removeEventListener('message', onMessage);
      frame.parentNode.removeChild(frame);
      $('logout-result').textContent = config.texts.signedOut;
    }
    window.addEventListener('message', onMessage);
    frame.src = config.logoutUrl;
    document.body.appendChild(frame);
  });
  var token = tokenFromHash();
  if (token) show(token);
})();`;

export const STAND_IN_SCRIPT_HASH = scriptHash(STAND_IN_SCRIPT);

const TENANT = /^[a-z0-9][a-z0-9._-]{0,62}$/i;

/** The target whose url is this stand-in page, else the default target. */
/** What the stand-in Jitsi page uses of the gateway's services. */
export interface StandInDeps {
  config: Config;
  publicUrl: string;
  basePath: string;
  pages: PageRenderer;
  targets: ReadonlyMap<string, JitsiTarget>;
  defaultTarget: JitsiTarget;
}

function standInTarget(services: StandInDeps): JitsiTarget {
  const own = `${services.publicUrl}${STAND_IN_PATH}`;
  for (const target of services.targets.values()) if (target.config.url === own) return target;
  return services.defaultTarget;
}

/** Prosody's settings for the target, as a Prosody configured for it would have them. */
function prosodyFor(services: StandInDeps, target: JitsiTarget, room: string, tenant: string | undefined): ProsodySettings {
  const { config } = target;
  const common = {
    appId: config.appId,
    acceptedIssuers: [target.issuer],
    acceptedAudiences: [config.audience],
    xmppDomain: config.xmppDomain,
    room,
    tenant,
    signatureAlgorithm: config.algorithm as ProsodySettings['signatureAlgorithm'],
  };
  return config.algorithm.startsWith('HS') ? { ...common, appSecret: config.secret } : { ...common, asapKeyServer: `${services.publicUrl}/asap` };
}

export const standInJitsiRoutes: RouteFactory<StandInDeps> = (services) => {
  const router = new Router({ prefix: STAND_IN_PATH });
  const pages = services.pages instanceof ThemedPages ? services.pages : createPages(services.config.ui, { basePath: services.basePath });

  const render = (ctx: Context, tenant: string | undefined, room: string) => {
    const { language, t } = pages.language(ctx.get('accept-language'));
    let roomSafe: string;
    try {
      roomSafe = backendSafeRoomName(room);
    } catch (error) {
      throw new GatewayError('invalid_room', `This room name cannot be used: ${error instanceof RoomNameError ? error.message : 'invalid'}.`);
    }
    // Jitsi's tokenAuthUrl with its {room} and {state} placeholders filled in.
    const state = JSON.stringify(tenant ? { room, roomSafe, tenant } : { room, roomSafe });
    const loginUrl = `${services.publicUrl}/login?room=${encodeURIComponent(room)}&state=${encodeURIComponent(state)}`;
    const config = {
      loginUrl,
      checkUrl: `${services.publicUrl}${STAND_IN_PATH}/check`,
      logoutUrl: `${services.publicUrl}/logout?inline=1`,
      room,
      tenant: tenant ?? null,
      texts: { checking: t('jitsi.checking'), popupBlocked: t('jitsi.popupBlocked'), loginFailed: t('inline.errorTitle'), withRefresh: t('jitsi.withRefresh'), signedOut: t('jitsi.signedOut') },
    };
    const where = tenant ? `${tenant}/${room}` : room;
    const nextRoom = `${STAND_IN_PATH}/${tenant ? `${encodeURIComponent(tenant)}/` : ''}`;
    const body = html`<div class="card">
<h1>${t('jitsi.title')}: ${where}</h1>
<p>${t('jitsi.lead')}</p>
<dl><dt>${t('jitsi.room')}</dt><dd><code data-room>${room}</code> (<code>${roomSafe}</code>)</dd>${tenant ? html`<dt>${t('jitsi.tenant')}</dt><dd><code>${tenant}</code></dd>` : ''}</dl>
<div id="no-token">
<p>${t('jitsi.noToken')}</p>
<div class="actions"><a class="button" id="sign-in" href="${loginUrl}">${t('jitsi.signIn')}</a><button class="button secondary" type="button" id="sign-in-popup">${t('jitsi.signInPopup')}</button></div>
<p id="popup-result" role="status"></p>
</div>
<div id="with-token" hidden>
<h2>${t('jitsi.checkTitle')}</h2>
<p id="verdict" role="status"></p>
<ul id="rules" class="plain small"></ul>
<h2>${t('jitsi.tokenTitle')}</h2>
<pre id="token-header"></pre>
<pre id="token-payload"></pre>
<details><summary>JWT</summary><pre id="token-raw"></pre></details>
<div class="actions"><button class="button secondary" type="button" id="sign-out-silent">${t('jitsi.signOutSilent')}</button></div>
<p id="logout-result" role="status"></p>
</div>
<h2>${t('jitsi.otherRoom')}</h2>
<ul class="plain"><li><a href="${nextRoom}Retro">${tenant ? `${tenant}/` : ''}Retro</a></li><li><a href="${nextRoom}${encodeURIComponent('Café Zürich')}">${tenant ? `${tenant}/` : ''}Café Zürich</a></li><li><a href="${services.publicUrl}/">${t('common.home')}</a></li></ul>
</div>`;
    const scripts = html`<script type="application/json" id="jitsi-config">${jsonForScript(config)}</script>
<script>${trusted(STAND_IN_SCRIPT)}</script>`;
    extendPagePolicy(ctx, { scriptHashes: [STAND_IN_SCRIPT_HASH], connectSrc: ["'self'"], frameSrc: ["'self'"] });
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = pages.document(language, t, `${t('jitsi.title')}: ${where}`, body, { scripts });
  };

  // Jitsi's welcome page: straight to the demo room.
  router.get('/', (ctx) => {
    const target = standInTarget(services);
    const tenant = target.config.tenants[0];
    ctx.status = 303;
    ctx.redirect(`${services.publicUrl}${STAND_IN_PATH}/${tenant ? `${encodeURIComponent(tenant)}/` : ''}${encodeURIComponent(DEMO_ROOM)}`);
  });

  router.get('/:tenant/:room', (ctx) => {
    const tenant = ctx.params.tenant ?? '';
    if (!TENANT.test(tenant)) throw new GatewayError('not_found', 'There is nothing at this address.');
    render(ctx, tenant.toLowerCase(), ctx.params.room ?? '');
  });

  router.get('/:room', (ctx) => {
    const room = ctx.params.room ?? '';
    if (room === 'check') throw new GatewayError('method_not_allowed', 'Use POST.');
    render(ctx, undefined, room);
  });

  /** What Prosody would say about a token for a room of the stand-in target (src/doctor). */
  router.post('/check', async (ctx) => {
    const body = await readJsonObject(ctx, 16 * 1024);
    const token = typeof body.token === 'string' ? body.token : '';
    const room = typeof body.room === 'string' ? body.room : '';
    const tenant = typeof body.tenant === 'string' && body.tenant !== '' ? body.tenant : undefined;
    if (!token || !room) throw new GatewayError('invalid_request', 'token and room are required.');
    const target = standInTarget(services);
    try {
      const report = await diagnose(token, prosodyFor(services, target, room, tenant));
      ctx.body = { verdict: report.verdict, rules: report.rules.map(({ rule, ok, message }) => ({ rule, ok, message })) };
    } catch (error) {
      if (error instanceof DoctorSettingsError) throw new GatewayError('invalid_request', error.message);
      throw error;
    }
  });

  return router;
};
