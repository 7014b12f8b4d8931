/**
 * Real-browser support for the login tests: the Debian Chromium driven by playwright-core (see
 * chromium.ts; never a downloaded browser) and a stand-in Jitsi Meet web frontend on 127.0.0.1.
 *
 * The stand-in does what jitsi-meet's web client does around authentication, in a few lines:
 * - a room page without `#jwt` builds the tokenAuthUrl from the pattern exactly as
 *   react/features/authentication/functions.web.ts does (`{state}` = encodeURIComponent(JSON) with
 *   room, roomSafe, tenant and config.* overrides; `{room}` raw) and navigates there;
 * - with tokenAuthInline it opens the URL in a popup (`&nonce=` appended, as loginWithPopup does)
 *   and accepts `{type: 'oauth-success'}` only from its own origin, as Jitsi does; logout loads the
 *   tokenLogoutUrl in a hidden iframe and waits for `{type: 'logout-success'}`;
 * - a room page with `#jwt="…"` parses the hash like parseURLParams and shows the decoded token.
 * It can also serve the gateway under its own origin (`/sso/`, the sidecar deployment) by proxying.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export { launchChromium, newContext } from './chromium.js';

export interface StandInJitsi {
  url: string;
  /** Sets the tokenAuthUrl / tokenLogoutUrl patterns the pages use. */
  configure(config: { tokenAuthUrl: string; tokenLogoutUrl?: string; inline?: boolean }): void;
  stop(): Promise<void>;
}

function page(config: { tokenAuthUrl: string; tokenLogoutUrl?: string; inline?: boolean }): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Stand-in Jitsi</title>
<style>body{font-family:sans-serif;margin:2rem}dt{font-weight:bold}</style></head><body>
<h1>Stand-in Jitsi Meet</h1>
<p id="status">loading</p>
<dl><dt>Room (token)</dt><dd id="room">-</dd><dt>Tenant (token sub)</dt><dd id="sub">-</dd><dt>Person</dt><dd id="name">-</dd>
<dt>Moderator</dt><dd id="moderator">-</dd><dt>Overrides</dt><dd id="overrides">-</dd><dt>Refresh token</dt><dd id="refresh">-</dd></dl>
<button id="popup-login" type="button">Log in (popup)</button> <button id="iframe-logout" type="button">Log out (iframe)</button>
<script>
var config = ${JSON.stringify(config)};
function parseHash() {
  var out = {};
  location.hash.slice(1).split('&').forEach(function (part) {
    var pair = part.split('=');
    if (!pair[0]) return;
    try { out[pair[0]] = JSON.parse(decodeURIComponent(pair[1])); } catch (e) { out[pair[0]] = decodeURIComponent(pair[1]); }
  });
  return out;
}
function show(token, refresh) {
  var payload = JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
  document.getElementById('room').textContent = payload.room;
  document.getElementById('sub').textContent = payload.sub;
  document.getElementById('name').textContent = payload.context.user.name || payload.context.user.id;
  document.getElementById('moderator').textContent = String(payload.context.user.moderator);
  if (refresh) document.getElementById('refresh').textContent = refresh;
  document.getElementById('status').textContent = 'joined';
  window.jitsiToken = token;
}
var segments = location.pathname.split('/').filter(Boolean).map(decodeURIComponent);
var room = segments[segments.length - 1] || '';
var tenant = segments.length > 1 ? segments[0] : undefined;
function authUrl() {
  var state = { room: room, roomSafe: encodeURIComponent(room.normalize('NFKC').toLowerCase()).toLowerCase(), tenant: tenant, 'config.startWithAudioMuted': true };
  return config.tokenAuthUrl.replace('{state}', encodeURIComponent(JSON.stringify(state))).replace('{room}', room);
}
var params = parseHash();
if (params.jwt) {
  show(params.jwt);
  var overrides = Object.keys(params).filter(function (k) { return k.indexOf('config.') === 0; });
  document.getElementById('overrides').textContent = overrides.map(function (k) { return k + '=' + JSON.stringify(params[k]); }).join(', ') || 'none';
} else if (!config.inline) {
  document.getElementById('status').textContent = 'redirecting to sign-in';
  location.href = authUrl();
} else {
  document.getElementById('status').textContent = 'waiting for popup sign-in';
}
window.addEventListener('message', function (event) {
  if (event.origin !== window.location.origin) return;
  if (event.data.type === 'oauth-success') show(event.data.accessToken, event.data.refreshToken);
  if (event.data.type === 'logout-success') document.getElementById('status').textContent = 'logged out';
});
document.getElementById('popup-login').addEventListener('click', function () {
  window.open(authUrl() + '&nonce=' + Math.random().toString(16).slice(2), 'Auth-' + Date.now(), 'width=500,height=600');
});
document.getElementById('iframe-logout').addEventListener('click', function () {
  var frame = document.createElement('iframe');
  frame.style.display = 'none';
  frame.src = config.tokenLogoutUrl;
  document.body.appendChild(frame);
});
</script></body></html>`;
}

/** Starts the stand-in; requests under `/sso/` are proxied to `gateway` when given. */
export async function startStandInJitsi(options: { gateway?: string } = {}): Promise<StandInJitsi> {
  let config: { tokenAuthUrl: string; tokenLogoutUrl?: string; inline?: boolean } = { tokenAuthUrl: '' };
  const upstream = options.gateway ? new URL(options.gateway) : undefined;
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    if (upstream && (path === '/sso' || path.startsWith('/sso/'))) {
      const forward = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      forward.on('error', () => {
        res.statusCode = 502;
        res.end();
      });
      req.pipe(forward);
      return;
    }
    if (path === '/favicon.ico') {
      res.statusCode = 404;
      res.end();
      return;
    }
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(page(config));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    configure(next) {
      config = next;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
