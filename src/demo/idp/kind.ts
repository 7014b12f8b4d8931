import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { BackchannelLogout, IdentityProvider, LoginFinish, LoginRequest, LoginResult, LoginStart } from '../../idp/provider.js';
import type { Config } from '../../config/schema.js';
import type { ProviderFactory } from '../../idp/registry.js';
import type { DemoGuideDeps, DemoGuideSource } from '../../pages/demo-guide.js';
import type { DemoGuide } from '../../pages/pages.js';
import { DEMO_ROOM } from '../room.js';
import { DEMO_USERS, demoUserSchema, type DemoUser } from '../users.js';
import { assertDemoMode, startDevIdp, type DevIdp } from './server.js';

/**
 * Provider kind `dev`: the demo's development IdP. It starts an embedded OpenID provider (see
 * server.ts) and signs people in through the real `oidc` provider kind pointed at it, so the demo
 * runs the very code path production uses. Refused unless the gateway runs in mode demo.
 *
 *   providers:
 *     demo: { kind: dev }            # users: the demo users unless listed
 */
export const devProviderSchema = z.strictObject({
  kind: z.literal('dev'),
  displayName: z.string().min(1).max(200).default('Demo sign-in (development IdP)'),
  users: z.array(demoUserSchema).min(1).max(50).default(DEMO_USERS),
  /** Port of the development IdP on 127.0.0.1; 0 picks a free one. */
  port: z.number().int().min(0).max(65535).default(0),
});
export type DevProviderSettings = z.output<typeof devProviderSchema>;

export class DevProvider implements IdentityProvider, DemoGuideSource {
  readonly kind = 'dev' as const;

  constructor(
    private readonly oidc: IdentityProvider,
    private readonly idp: DevIdp,
    readonly users: readonly DemoUser[],
  ) {}

  get name(): string {
    return this.oidc.name;
  }

  get displayName(): string {
    return this.oidc.displayName;
  }

  /** The development IdP's issuer URL (http://127.0.0.1:<port>). */
  get issuer(): string {
    return this.idp.issuer;
  }

  transactionId(params: URLSearchParams): string | undefined {
    return this.oidc.transactionId(params);
  }

  startLogin(request: LoginRequest): Promise<LoginStart> {
    return this.oidc.startLogin(request);
  }

  finishLogin(finish: LoginFinish): Promise<LoginResult> {
    return this.oidc.finishLogin(finish);
  }

  async logoutUrl(session: { logoutHint?: string }, returnUrl: string): Promise<string | undefined> {
    return this.oidc.logoutUrl?.(session, returnUrl);
  }

  async backchannelLogout(body: string, contentType: string): Promise<BackchannelLogout> {
    if (!this.oidc.backchannelLogout) throw new Error('oidc provider without back-channel logout');
    return this.oidc.backchannelLogout(body, contentType);
  }

  ready(): Promise<{ ok: boolean; detail?: string }> {
    return this.oidc.ready();
  }

  async close(): Promise<void> {
    await this.oidc.close?.();
    await this.idp.close();
  }

  demoGuide(services: DemoGuideDeps): DemoGuide {
    const target = services.defaultTarget;
    const tenant = target.config.tenants[0];
    const path = tenant ? `${encodeURIComponent(tenant)}/${encodeURIComponent(DEMO_ROOM)}` : encodeURIComponent(DEMO_ROOM);
    return {
      meetingUrl: `${target.config.url}/${path}`,
      meetingLabel: tenant ? `${tenant}/${DEMO_ROOM}` : DEMO_ROOM,
      // A room name with a character Jitsi rooms cannot have: the invalid_room page.
      errorUrl: `${services.publicUrl}/login?room=${encodeURIComponent('team/../admin')}`,
      logoutUrl: `${services.publicUrl}/logout`,
      inviteUrl: `${services.publicUrl}/invites/${tenant ? encodeURIComponent(tenant) : '-'}/${encodeURIComponent(DEMO_ROOM)}`,
      users: this.users.map((user) => ({ username: user.username, password: user.password, name: user.name, groups: user.groups })),
    };
  }
}

/** The `dev` kind for one configuration (src/gateway.ts supplies it to the provider registry). */
export function devProviderFactory(config: Config): ProviderFactory {
  return async (name, settings, deps) => {
    assertDemoMode(config.mode);
    const parsed = devProviderSchema.safeParse(settings);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(provider)'}: ${issue.message}`).join('; ');
      throw new Error(`providers.${name}: ${problems}`);
    }
    const { publicUrl } = config;
    const client = {
      clientId: 'jitsi-sso-gateway',
      clientSecret: randomBytes(32).toString('base64url'),
      clientName: config.ui.organisation === 'Jitsi Meet' ? 'jitsi-sso-gateway' : config.ui.organisation,
      redirectUris: [`${publicUrl}/auth/${name}/callback`],
      postLogoutRedirectUris: [`${publicUrl}/logout/done`],
      backchannelLogoutUri: `${publicUrl}/auth/${name}/backchannel-logout`,
    };
    const idp = await startDevIdp({
      mode: config.mode,
      users: parsed.data.users,
      client,
      // The callback redirects on to Jitsi: to the meeting, or to its sso.html (config.sso).
      formActionOrigins: [
        new URL(publicUrl).origin,
        ...Object.values(config.targets).flatMap((target) => [new URL(target.url).origin, ...(target.sso?.redirectUri ? [new URL(target.sso.redirectUri).origin] : [])]),
      ],
      ui: config.ui,
      port: parsed.data.port,
      log: deps.logger,
    });
    try {
      const { createProvider: createOidcProvider } = await import('../../idp/oidc/index.js');
      const oidc = await createOidcProvider(
        name,
        {
          kind: 'oidc',
          displayName: parsed.data.displayName,
          issuer: idp.issuer,
          clientId: client.clientId,
          clientSecret: client.clientSecret,
          scopes: ['openid', 'profile', 'email', 'groups'],
          userinfo: 'never',
          emailsAuthoritative: true, // the demo's own users
          timeoutMs: 3000,
        },
        deps,
      );
      deps.logger.warn({ issuer: idp.issuer, users: parsed.data.users.map((user) => user.username) }, 'development IdP running (demo mode only: it shows and accepts demo passwords)');
      return new DevProvider(oidc, idp, parsed.data.users);
    } catch (error) {
      await idp.close();
      throw error;
    }
  };
}
