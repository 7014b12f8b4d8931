import type { GateConfig } from '../config/gate.js';
import type { LoadedSession } from '../session/session.js';
import type { LoginDeps } from '../login/deps.js';
import type { JitsiTarget } from '../tokens/target.js';
import { GatePassSigner, type GatePass } from './pass.js';

/**
 * The gate's settings, built once at start-up: the pass signer and, per target, the pass cookie's
 * name and attributes and the gate's URLs on that Jitsi host.
 *
 * The pass cookie lives on the Jitsi host (host-only, no Domain), Path = the target's path,
 * HttpOnly, SameSite=Lax (arriving from a link or from the IdP is a top-level navigation), Secure
 * and `__Host-`-prefixed when the target is https at its root. Its name carries the target's name,
 * so two targets on one origin keep separate passes.
 */

interface TargetGate {
  cookieName: string;
  /** `; Path=…; HttpOnly; SameSite=Lax[; Secure]` */
  attributes: string;
}

const now = () => Math.floor(Date.now() / 1000);

export class Gate {
  readonly signer: GatePassSigner;
  readonly recheckSeconds: number;
  private readonly perTarget = new Map<string, TargetGate>();

  constructor(
    readonly services: LoginDeps,
    config: GateConfig,
  ) {
    if (!config.cookieSecret) throw new Error('gate.cookieSecret is required (checked at config load)');
    this.signer = new GatePassSigner(config.cookieSecret);
    this.recheckSeconds = config.recheckSeconds;
    for (const [name, target] of services.targets) {
      const url = new URL(target.config.url);
      const secure = url.protocol === 'https:';
      const path = url.pathname === '' ? '/' : url.pathname;
      const hostPrefix = secure && path === '/' ? '__Host-' : '';
      this.perTarget.set(name, {
        cookieName: `${hostPrefix}${config.cookieName}_${name}`,
        attributes: `; Path=${path}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`,
      });
    }
  }

  private of(target: string): TargetGate {
    const found = this.perTarget.get(target);
    if (!found) throw new Error(`gate: no target ${target}`);
    return found;
  }

  cookieName(target: string): string {
    return this.of(target).cookieName;
  }

  /** A fresh pass for this session on this target. */
  passFor(target: string, session: LoadedSession, issuedAt = now()): GatePass {
    const { identity } = session.session;
    return { target, sessionId: session.id, issuedAt, expiresAt: session.session.expiresAt, provider: identity.provider, user: identity.id };
  }

  /** The Set-Cookie value carrying `pass`; kept by the browser until the session ends. */
  setCookie(pass: GatePass, at = now()): string {
    const gate = this.of(pass.target);
    return `${gate.cookieName}=${this.signer.sign(pass)}; Max-Age=${Math.max(0, pass.expiresAt - at)}${gate.attributes}`;
  }

  /** Where the browser redeems a ticket: on the Jitsi host, under the gateway's base path. */
  enterUrl(target: JitsiTarget, ticket: string): string {
    return `${new URL(target.config.url).origin}${this.services.basePath}/gate/enter/${target.name}?ticket=${ticket}`;
  }

  /** The sign-in URL for a return URL on this target (what the check-redirect answer points to). */
  startUrl(target: JitsiTarget, returnPath: string): string {
    return `${this.services.publicUrl}/gate/start/${target.name}?rd=${encodeURIComponent(returnPath)}`;
  }
}
