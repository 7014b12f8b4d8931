import type { JitsiTarget } from '../tokens/target.js';

/**
 * The token service's clients: each Jitsi target with `sso` configured is one public client (no
 * secret: the web client runs in browsers). Jitsi's authorization request carries neither
 * client_id nor redirect_uri, so both come from here: the client is the one of the target the
 * login is for, and the code goes to its redirect URI (default `<Jitsi origin>/static/sso.html`).
 * The origins are where that sso.html runs; only they may redeem the client's codes and refresh
 * tokens, and only they get CORS answers.
 */
export interface SsoClient {
  id: string;
  target: JitsiTarget;
  redirectUri: string;
  origins: ReadonlySet<string>;
}

export class SsoClients {
  private readonly byId = new Map<string, SsoClient>();
  private readonly byTarget = new Map<string, SsoClient>();
  /** Every client's origins: who gets Access-Control-Allow-Origin. */
  readonly origins = new Set<string>();

  constructor(targets: Iterable<JitsiTarget>) {
    for (const target of targets) {
      const sso = target.config.sso;
      if (!sso) continue;
      const redirectUri = sso.redirectUri ?? `${new URL(target.config.url).origin}/static/sso.html`;
      const origins = new Set(sso.origins ?? [new URL(redirectUri).origin]);
      const client: SsoClient = { id: sso.clientId, target, redirectUri, origins };
      this.byId.set(client.id, client);
      this.byTarget.set(target.name, client);
      for (const origin of origins) this.origins.add(origin);
    }
  }

  get ids(): string[] {
    return [...this.byId.keys()];
  }

  get size(): number {
    return this.byId.size;
  }

  get(clientId: string): SsoClient | undefined {
    return this.byId.get(clientId);
  }

  forTarget(target: string): SsoClient | undefined {
    return this.byTarget.get(target);
  }
}
