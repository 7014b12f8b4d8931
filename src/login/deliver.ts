import type { PageRenderer } from '../pages/renderer.js';
import type { JitsiTarget, RoomLocation } from '../tokens/target.js';
import { page, redirect, type Outcome } from './flow.js';
import type { ReturnMode } from './request.js';

/**
 * Pure: how a minted token reaches Jitsi. The destination is always the configured target's URL;
 * the token is always in the URL hash (`#jwt="…"`, which Jitsi JSON-parses), never in a query.
 *
 * - redirect: `<target>/<tenant>/<room>#jwt="…"&config.…` (web).
 * - ios / android: the same URL with the app's scheme (`org.jitsi.meet://host/tenant/room#jwt=…`):
 *   the Jitsi Meet apps open `tokenAuthUrl` in the system browser and treat a link with their
 *   scheme like the https one (base/util/uri.ts `_fixURIStringScheme`), reading `#jwt` from it.
 * - electron: `jitsi-meet://host/tenant/room#jwt=…`: the desktop app opens tokenAuthUrl in the
 *   system browser; its `jitsi-meet://` protocol handler opens the meeting and takes `jwt` and
 *   `config.*` from the hash (jitsi-meet-electron, Conference.tsx).
 * - inline (tokenAuthInline): a page posting `{type: 'oauth-success', accessToken, refreshToken}`
 *   to the popup's opener, with the Jitsi origin as the exact target origin.
 */

/** jitsi-meet-electron's `appProtocolPrefix`. */
export const ELECTRON_SCHEME = 'jitsi-meet';

export interface Delivery {
  target: JitsiTarget;
  location: RoomLocation;
  /** Undefined: back to the meeting without a token (a guest; see policy.hosts). */
  token: string | undefined;
  mode: ReturnMode;
  hashParams: ReadonlyArray<[string, string]>;
  /** The gateway refresh handle (inline mode only). */
  refreshToken?: string | undefined;
  acceptLanguage: string;
}

/** The target's URL with another scheme: https://meet.example.com/x → org.jitsi.meet://meet.example.com/x. */
export function withScheme(url: string, scheme: string): string {
  return url.replace(/^https?:/, `${scheme}:`);
}

export function targetOrigin(target: JitsiTarget): string {
  return new URL(target.config.url).origin;
}

export function deliver(pages: PageRenderer, delivery: Delivery): Outcome {
  const { target, location, token, hashParams } = delivery;
  const joinUrl = target.joinUrl(location, token, hashParams);
  switch (delivery.mode) {
    case 'redirect':
      return redirect(joinUrl);
    case 'ios':
    case 'android':
      return redirect(withScheme(joinUrl, target.config.appScheme));
    case 'electron':
      return redirect(withScheme(joinUrl, ELECTRON_SCHEME));
    case 'inline': {
      if (token === undefined) throw new Error('inline delivery needs a token');
      const message: { type: 'oauth-success'; accessToken: string; refreshToken?: string } = { type: 'oauth-success', accessToken: token };
      if (delivery.refreshToken) message.refreshToken = delivery.refreshToken;
      return page(pages.inlineResultPage({ to: 'opener', origin: targetOrigin(target), message, fallbackUrl: joinUrl, acceptLanguage: delivery.acceptLanguage }));
    }
    case 'sso':
      throw new Error('mode sso is answered with a code by the token service (src/token-service/authorize.ts), never with a token here');
  }
}
