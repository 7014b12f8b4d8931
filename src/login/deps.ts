import type { Config } from '../config/schema.js';
import type { IdentityProvider } from '../idp/provider.js';
import type { PageRenderer } from '../pages/renderer.js';
import type { SessionDeps } from '../session/session.js';
import type { JitsiTarget } from '../tokens/target.js';
import type { TokenServiceDeps } from '../token-service/deps.js';
import type { LoginStartLimiter } from './login-starts.js';

/**
 * What the login flows use: the providers to sign in with, the targets to mint for, sessions,
 * the pages they answer with, and the token service for Jitsi's inline sign-in. The composition
 * root's Services provides it.
 */
export interface LoginDeps extends SessionDeps, TokenServiceDeps {
  config: Config;
  /** `publicUrl` without trailing slash, and its path ('' or '/sso'). */
  publicUrl: string;
  basePath: string;
  targets: ReadonlyMap<string, JitsiTarget>;
  defaultTarget: JitsiTarget;
  providers: ReadonlyMap<string, IdentityProvider>;
  pages: PageRenderer;
  /** New login transactions per client address (session.loginStartsPerMinute). */
  loginStarts: LoginStartLimiter;
}
