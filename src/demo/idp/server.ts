import { createHash, generateKeyPairSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { UiConfig } from '../../config/ui.js';
import { createPages } from '../../pages/pages.js';
import type { DemoUser } from '../users.js';
import { DemoAdapter, DemoStorage } from './adapter.js';
import { DevIdpPages } from './pages.js';

/**
 * The demo's development OpenID provider: the npm package `oidc-provider` (a devDependency, so
 * present after `npm ci`), on its own port on 127.0.0.1, with the demo users, one client (the
 * gateway), PKCE required, and login / logout pages in the gateway's look.
 *
 * It refuses to start unless the gateway runs in demo mode: it shows passwords and accepts them
 * from anyone.
 */

export class DevIdpRefusedError extends Error {
  override readonly name = 'DevIdpRefusedError';
}

export interface DevIdpClient {
  clientId: string;
  clientSecret: string;
  /** Shown on the login page ("… asks you to sign in"). */
  clientName: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  /** OIDC back-channel logout: signing out at the IdP ends the gateway session too. */
  backchannelLogoutUri?: string;
}

export interface DevIdpOptions {
  /** The gateway's mode; anything but 'demo' is refused. */
  mode: string;
  users: readonly DemoUser[];
  client: DevIdpClient;
  /**
   * Where a sign-in form here may end up after its redirects (CSP form-action applies to the whole
   * chain): the gateway's origin, and the Jitsi origins the gateway redirects on to.
   */
  formActionOrigins: readonly string[];
  ui: UiConfig;
  /** 0 (default): any free port. Always on 127.0.0.1. */
  port?: number;
  log?: { warn(fields: Record<string, unknown>, message: string): void };
}

export interface DevIdp {
  issuer: string;
  close(): Promise<void>;
}

export function assertDemoMode(mode: string): void {
  if (mode !== 'demo') {
    throw new DevIdpRefusedError(
      `the development IdP (provider kind "dev") only runs in demo mode (jitsi-sso-gateway serve --demo); this gateway runs in mode "${mode}". Configure a real OpenID Connect or CAS provider instead.`,
    );
  }
}

/** Minimal view of oidc-provider's API used here (the package ships no type declarations). */
interface OidcProviderInstance {
  proxy: boolean;
  use(middleware: (ctx: KoaLikeContext, next: () => Promise<unknown>) => Promise<unknown>): void;
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  on(event: string, listener: (...args: unknown[]) => void): void;
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
  interactionFinished(req: IncomingMessage, res: ServerResponse, result: Record<string, unknown>, options?: { mergeWithLastSubmission?: boolean }): Promise<void>;
  Grant: new (properties: { accountId: string; clientId: string }) => GrantInstance;
}
interface GrantInstance {
  addOIDCScope(scope: string): void;
  addOIDCClaims(claims: string[]): void;
  addResourceScope(indicator: string, scope: string): void;
  save(): Promise<string>;
}
interface GrantModel {
  find(id: string): Promise<GrantInstance | undefined>;
}
interface InteractionDetails {
  uid: string;
  prompt: { name: string; details: Record<string, unknown> };
  params: Record<string, unknown>;
  session?: { accountId?: string };
  grantId?: string;
}
interface KoaLikeContext {
  path: string;
  method: string;
  req: IncomingMessage;
  res: ServerResponse;
  status: number;
  body: unknown;
  type: string;
  respond: boolean;
  get(name: string): string;
  set(name: string, value: string): void;
}
type ProviderConstructor = new (issuer: string, configuration: Record<string, unknown>) => OidcProviderInstance;

/** Typed as string: loaded at run time only, and only in demo mode. */
const PACKAGE: string = 'oidc-provider';

/** Loads oidc-provider, or explains how to get it. `specifier` is for tests. */
export async function loadOidcProvider(specifier: string = PACKAGE): Promise<ProviderConstructor> {
  // oidc-provider warns on import that it prefers Node 22; the project targets Node 20, where the
  // demo's use of it is tested. Drop that one line so the demo's first screen shows no false alarm.
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].includes('oidc-provider WARNING: Unsupported runtime')) return;
    warn(...args);
  };
  try {
    const module = (await import(specifier)) as { Provider?: ProviderConstructor; default?: ProviderConstructor };
    const Provider = module.Provider ?? module.default;
    if (!Provider) throw new Error('no Provider export');
    return Provider;
  } catch (error) {
    throw new Error(
      `the demo's development IdP needs the npm package "oidc-provider" (a devDependency): run \`npm ci\` (not \`npm ci --omit=dev\`) in the project, then start the demo again (${(error as Error).message})`,
      { cause: error },
    );
  } finally {
    console.warn = warn;
  }
}

const MAX_FORM_BYTES = 4096;

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) throw Object.assign(new Error('form too large'), { status: 413, expose: true });
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

const sha = (value: string) => createHash('sha256').update(value).digest();

function checkPassword(users: readonly DemoUser[], username: string, password: string): DemoUser | undefined {
  const user = users.find((candidate) => candidate.username === username);
  const matches = timingSafeEqual(sha(user?.password ?? randomBytes(16).toString('hex')), sha(password));
  return user && matches ? user : undefined;
}

export async function startDevIdp(options: DevIdpOptions): Promise<DevIdp> {
  assertDemoMode(options.mode);
  const Provider = await loadOidcProvider();

  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;
  try {
    const pages = createPages(options.ui);
    const views = new DevIdpPages(pages, options.users);
    const storage = new DemoStorage();
    const language = (ctx: KoaLikeContext) => ctx.get('accept-language');
    const html = (ctx: KoaLikeContext, status: number, body: string) => {
      ctx.status = status;
      ctx.type = 'text/html; charset=utf-8';
      ctx.body = body;
    };
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: `dev-${randomBytes(6).toString('hex')}`, alg: 'RS256', use: 'sig' };

    const provider = new Provider(issuer, {
      adapter: (model: string) => new DemoAdapter(model, storage),
      clients: [
        {
          client_id: options.client.clientId,
          client_secret: options.client.clientSecret,
          client_name: options.client.clientName,
          redirect_uris: options.client.redirectUris,
          post_logout_redirect_uris: options.client.postLogoutRedirectUris,
          response_types: ['code'],
          grant_types: ['authorization_code'],
          token_endpoint_auth_method: 'client_secret_basic',
          ...(options.client.backchannelLogoutUri
            ? { backchannel_logout_uri: options.client.backchannelLogoutUri, backchannel_logout_session_required: true }
            : {}),
        },
      ],
      jwks: { keys: [signingKey] },
      cookies: { keys: [randomBytes(32).toString('base64url')] },
      pkce: { required: () => true },
      scopes: ['openid', 'profile', 'email', 'groups'],
      claims: { openid: ['sub'], profile: ['name', 'preferred_username'], email: ['email', 'email_verified'], groups: ['groups'] },
      // Every claim in the ID token: one round trip less, and the gateway's userinfo fallback is not needed.
      conformIdTokenClaims: false,
      async findAccount(_ctx: unknown, sub: string) {
        const user = options.users.find((candidate) => candidate.username === sub);
        if (!user) return undefined;
        return {
          accountId: sub,
          async claims() {
            const claims: Record<string, unknown> = { sub, name: user.name, preferred_username: user.username, groups: user.groups };
            if (user.email) Object.assign(claims, { email: user.email, email_verified: true });
            return claims;
          },
        };
      },
      features: {
        devInteractions: { enabled: false },
        backchannelLogout: { enabled: true },
        rpInitiatedLogout: {
          enabled: true,
          async logoutSource(ctx: KoaLikeContext, form: string) {
            html(ctx, 200, views.logoutConfirm(language(ctx), form));
          },
          async postLogoutSuccessSource(ctx: KoaLikeContext) {
            html(ctx, 200, views.loggedOut(language(ctx)));
          },
        },
      },
      interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
      async renderError(ctx: KoaLikeContext, out: Record<string, unknown>) {
        html(ctx, ctx.status >= 400 ? ctx.status : 400, views.error(language(ctx), out));
      },
      clientBasedCORS: () => false,
      ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 8 * 3600, Grant: 8 * 3600 },
    });
    provider.on('server_error', (_ctx, error) => options.log?.warn({ err: error }, 'development IdP: server error'));

    const Grant = provider.Grant as unknown as (new (properties: { accountId: string; clientId: string }) => GrantInstance) & GrantModel;

    provider.use(async (ctx, next) => {
      if (ctx.path === pages.theme.path && ctx.method === 'GET') {
        ctx.type = 'text/css; charset=utf-8';
        ctx.set('Cache-Control', 'public, max-age=31536000, immutable');
        ctx.body = pages.theme.css;
        return;
      }
      const match = /^\/interaction\/([A-Za-z0-9_-]{1,64})(\/login|\/abort)?$/.exec(ctx.path);
      if (!match) return next();
      ctx.set('Cache-Control', 'no-store');
      const details = await provider.interactionDetails(ctx.req, ctx.res);
      const action = match[2];
      const client = options.client.clientName;
      if (ctx.method === 'GET' && !action) {
        if (details.prompt.name === 'login') {
          html(ctx, 200, views.login({ acceptLanguage: language(ctx), uid: details.uid, client }));
          return;
        }
        // Consent: the gateway is the only client; grant what it asked for.
        const accountId = details.session?.accountId;
        const clientId = String(details.params.client_id);
        if (!accountId) throw Object.assign(new Error('no session for consent'), { status: 400 });
        const grant = (details.grantId ? await Grant.find(details.grantId) : undefined) ?? new Grant({ accountId, clientId });
        const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
        if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
        if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
        for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
        const grantId = await grant.save();
        ctx.respond = false;
        await provider.interactionFinished(ctx.req, ctx.res, { consent: { grantId } }, { mergeWithLastSubmission: true });
        return;
      }
      if (ctx.method === 'POST' && action === '/login') {
        const form = await readForm(ctx.req);
        const username = (form.get('username') ?? '').trim().toLowerCase().slice(0, 64);
        const user = checkPassword(options.users, username, form.get('password') ?? '');
        if (!user) {
          html(ctx, 401, views.login({ acceptLanguage: language(ctx), uid: details.uid, client, username, failed: true }));
          return;
        }
        ctx.respond = false;
        await provider.interactionFinished(ctx.req, ctx.res, { login: { accountId: user.username } }, { mergeWithLastSubmission: false });
        return;
      }
      if (ctx.method === 'POST' && action === '/abort') {
        ctx.respond = false;
        await provider.interactionFinished(
          ctx.req,
          ctx.res,
          { error: 'access_denied', error_description: 'The person cancelled the sign-in at the development IdP.' },
          { mergeWithLastSubmission: false },
        );
        return;
      }
      ctx.status = 405;
      ctx.body = '';
    });

    const csp = [
      "default-src 'none'",
      "style-src 'self'",
      "img-src 'self' data: https:",
      `form-action 'self' ${[...new Set(options.formActionOrigins)].join(' ')}`,
      "frame-ancestors 'none'",
      "base-uri 'none'",
    ].join('; ');
    const handle = provider.callback();
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      res.setHeader('Content-Security-Policy', csp);
      res.setHeader('Referrer-Policy', 'no-referrer');
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.setHeader('X-Frame-Options', 'DENY');
      handle(req, res);
    });

  } catch (error) {
    server.close();
    throw error;
  }

  return {
    issuer,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
