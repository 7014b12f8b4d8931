import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A Jitsi web origin for the token service's browser tests, over HTTPS with a self-signed
 * certificate made here (Jitsi's sso.html calls `https://<config.sso.tokenService>/token`, never
 * http), on its own origin, so the journey runs without deploying the gateway on Jitsi's origin.
 *
 * Two pages, written for these tests after the contract of jitsi-meet's web client (not copied):
 *
 * `/<tenant>/<room>`: the meeting page's part of tokenAuthInline (react/features/authentication/
 *   functions.web.ts getTokenAuthUrl, actions.web.ts loginWithPopup):
 *   - the room is the path's last segment as it stands in the URL (percent-encoded: Jitsi's
 *     `parseURIString`), the tenant the segment before it;
 *   - state = {refreshToken?, room, roomSafe, tenant} as JSON, put into `{state}` URL-encoded once;
 *   - `{room}` replaced unencoded;
 *   - a 64-character code verifier in sessionStorage `code_verifier`, `{code_challenge}` =
 *     base64url(sha256(verifier));
 *   - a 64-hex nonce in sessionStorage `oauth_nonce`, appended as `&nonce=<nonce>`;
 *   - window.open(url) and accept only messages whose origin is its own: `oauth-success`
 *     {accessToken, idToken, refreshToken} or `oauth-error` {error}; then it closes the popup.
 *
 * `/static/sso.html`: the page the token service redirects to (static/sso.html):
 *   - state = JSON.parse(decodeURIComponent(params.get('state'))) — decoded twice;
 *   - state.refreshToken → POST https://<tokenService>/token form
 *     {grant_type: refresh_token, refresh_token, client_id}; otherwise `error` → oauth-error;
 *     otherwise POST {grant_type: authorization_code, code, redirect_uri: origin + pathname,
 *     client_id, code_verifier} — a simple form POST, no cookies, no preflight;
 *   - a non-2xx answer → oauth-error with error_description || error;
 *   - needs access_token and id_token; id_token's payload.nonce must equal oauth_nonce
 *     (for a refresh only a warning);
 *   - posts {type: 'oauth-success', accessToken, idToken, refreshToken} to window.opener with its
 *     own origin as target origin.
 *   For the tests it also records what it received in window.ssoSeen.
 */

export interface JitsiSsoSite {
  origin: string;
  /** A second origin on the same server (another site's page, for hostile requests). */
  otherOrigin: string;
  cert: string;
  /**
   * The next request for sso.html is answered with a blank page instead, so its code stays
   * unredeemed for a test to use; resolves with that request's URL.
   */
  holdNextSsoPage(): Promise<URL>;
  close(): Promise<void>;
}

export function selfSignedCertificate(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'jsg-tls-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const MEETING_PAGE = (settings: { tokenAuthUrl: string }) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>meeting</title></head><body>
<button id="sign-in">I'm the host</button><pre id="result"></pre><script>
const TOKEN_AUTH_URL = ${JSON.stringify(settings.tokenAuthUrl)};
const CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
window.results = [];
window.sentStates = [];
window.nextRefreshToken = undefined;
function random(n, alphabet) { const bytes = crypto.getRandomValues(new Uint8Array(n)); return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join(''); }
function b64url(bytes) { return btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/=/g, '').replace(/\\+/g, '-').replace(/\\//g, '_'); }
async function tokenAuthUrl() {
  // Jitsi's room is the last path segment as it stands in the URL (still percent-encoded).
  const parts = location.pathname.split('/').filter(Boolean);
  const room = parts[parts.length - 1];
  const tenant = parts.length > 1 ? parts[0] : undefined;
  let decoded = room;
  try { decoded = decodeURIComponent(room); } catch (e) { /* Jitsi carries on with the raw name */ }
  const state = { refreshToken: window.nextRefreshToken, room: room, roomSafe: encodeURIComponent(decoded.normalize('NFKC').toLowerCase()).toLowerCase(), tenant: tenant };
  window.sentStates.push(JSON.stringify(state));
  let url = TOKEN_AUTH_URL.replace('{state}', encodeURIComponent(JSON.stringify(state))).replace('{room}', room);
  const verifier = random(64, CHARS);
  sessionStorage.setItem('code_verifier', verifier);
  const challenge = b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  return url.replace('{code_challenge}', challenge);
}
async function signIn() {
  const url = await tokenAuthUrl();
  const nonce = Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => b.toString(16).padStart(2, '0')).join('');
  sessionStorage.setItem('oauth_nonce', nonce);
  const popup = window.open(url + '&nonce=' + nonce, 'Auth-' + Date.now(), 'width=500,height=600');
  const handler = (event) => {
    if (event.origin !== location.origin) return;
    if (event.data.type !== 'oauth-success' && event.data.type !== 'oauth-error') return;
    window.removeEventListener('message', handler);
    popup && popup.close();
    window.results.push(Object.assign({ nonce: nonce }, event.data));
    document.getElementById('result').textContent = event.data.type;
  };
  window.addEventListener('message', handler);
}
document.getElementById('sign-in').addEventListener('click', () => { signIn(); });
</script></body></html>`;

const SSO_PAGE = (settings: { tokenService: string; clientId: string }) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>sso</title></head><body><p id="status">working</p><script>
const config = { sso: ${JSON.stringify(settings)} };
window.ssoSeen = { search: location.search };
function payload(token) { return JSON.parse(decodeURIComponent(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')).split('').map((c) => '%' + ('00' + c.charCodeAt(0).toString(16)).slice(-2)).join(''))); }
function post(message) { document.getElementById('status').textContent = message.type; if (window.opener) window.opener.postMessage(message, location.origin); }
async function exchange(body) {
  const response = await fetch('https://' + config.sso.tokenService + '/token', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(body) });
  if (!response.ok) { const error = await response.json().catch(() => ({})); throw new Error(error.error_description || error.error || 'Token exchange failed'); }
  return response.json();
}
(async () => {
  try {
    const params = new URLSearchParams(location.search);
    const raw = params.get('state');
    if (!raw) throw new Error('No state parameter received');
    const state = JSON.parse(decodeURIComponent(raw));
    window.ssoSeen.state = state;
    if (state.refreshToken) {
      const tokens = await exchange({ grant_type: 'refresh_token', refresh_token: state.refreshToken, client_id: config.sso.clientId });
      if (!tokens.access_token || !tokens.id_token) throw new Error('Missing tokens in refresh response');
      post({ type: 'oauth-success', accessToken: tokens.access_token, idToken: tokens.id_token, refreshToken: tokens.refresh_token || state.refreshToken });
      return;
    }
    if (params.get('error')) { post({ type: 'oauth-error', error: params.get('error_description') || params.get('error') }); return; }
    const code = params.get('code');
    if (!code) throw new Error('No authorization code received');
    const verifier = sessionStorage.getItem('code_verifier');
    const nonce = sessionStorage.getItem('oauth_nonce');
    if (!verifier || !nonce) throw new Error('No PKCE code verifier or nonce found in session');
    const tokens = await exchange({ grant_type: 'authorization_code', code: code, redirect_uri: location.origin + location.pathname, client_id: config.sso.clientId, code_verifier: verifier });
    if (!tokens.access_token || !tokens.id_token) throw new Error('Missing tokens in response');
    if (payload(tokens.id_token).nonce !== nonce) throw new Error('Nonce validation failed');
    post({ type: 'oauth-success', accessToken: tokens.access_token, idToken: tokens.id_token, refreshToken: tokens.refresh_token });
  } catch (error) {
    post({ type: 'oauth-error', error: error.message });
  }
})();
</script></body></html>`;

/** Starts the site on two free ports of 127.0.0.1 (https://localhost:<port> and https://127.0.0.1:<other>). */
export async function startJitsiSsoSite(
  tls: { key: string; cert: string },
  settings: { tokenAuthUrl: string; tokenService: string; clientId: string },
): Promise<JitsiSsoSite> {
  let hold: ((url: URL) => void) | undefined;
  const handler = (request: { url?: string | undefined }, response: import('node:http').ServerResponse) => {
    const url = new URL(request.url ?? '/', 'https://x');
    const path = url.pathname;
    let body = path === '/static/sso.html' ? SSO_PAGE(settings) : path === '/blank' ? '<!doctype html><title>blank</title>' : MEETING_PAGE(settings);
    if (path === '/static/sso.html' && hold) {
      hold(url);
      hold = undefined;
      body = '<!doctype html><title>held</title>';
    }
    response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    response.end(body);
  };
  const servers: Server[] = [createServer(tls, handler), createServer(tls, handler)];
  const ports = await Promise.all(
    servers.map((server) => new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)))),
  );
  return {
    origin: `https://localhost:${ports[0]}`,
    otherOrigin: `https://127.0.0.1:${ports[1]}`,
    cert: tls.cert,
    holdNextSsoPage: () => new Promise<URL>((resolve) => (hold = resolve)),
    close: async () => {
      await Promise.all(servers.map((server) => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); })));
    },
  };
}
