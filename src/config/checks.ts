import { readIdTokenKey } from '../keys/id-token-key.js';
import { hostsIssues } from '../policy/hosts.js';
import { providerScopeIssues } from '../policy/scope.js';
import { secretWeakness } from '../security/secret-strength.js';
import type { ConfigIssue } from '../settings/issues.js';
import { storeIssues } from '../store/settings.js';
import { ssoClientIssues, targetIssues } from '../tokens/checks.js';
import type { Config } from './schema.js';

/**
 * Checks that need more than one field, or knowledge of Prosody. Returns problems and warnings, in
 * a fixed order. Each concern checks its own settings (targets: src/tokens/checks.ts, the ID-token
 * key: src/keys/id-token-key.ts, store: src/store/settings.ts, policy: src/policy/hosts.ts and
 * scope.ts); the settings written here (server, gate, publicUrl) are checked here.
 */
export function checkConfig(config: Config): { issues: ConfigIssue[]; warnings: string[] } {
  const issues: ConfigIssue[] = [];
  const warnings: string[] = [];
  const collect = (found: { issues: ConfigIssue[]; warnings: string[] }) => {
    issues.push(...found.issues);
    warnings.push(...found.warnings);
  };
  collect(targetIssues(config.targets, config.defaultTarget));
  issues.push(...hostsIssues(config));
  const sso = ssoClientIssues(config.targets);
  issues.push(...sso.issues);
  if (config.tokenService.signingKey) {
    issues.push(...readIdTokenKey(config.tokenService.signingKey, 'tokenService.signingKey').issues);
  } else if (sso.clients > 0 && config.store.kind === 'redis') {
    warnings.push('tokenService.signingKey is not set: every replica signs ID tokens with its own start-up key; set it (EC P-256 or RSA) when running more than one');
  }
  collect(storeIssues(config.store));
  const management = config.server.management.port;
  if (management !== undefined && management !== 0 && management === config.server.port) {
    issues.push({ path: 'server.management.port', problem: `is the same port as server.port (${management})`, fix: 'use another port, e.g. 9090, or leave it unset' });
  }
  if (management === undefined && config.mode === 'production') {
    warnings.push('server.management.port is not set: /metrics (which names API clients) and the detailed /readyz?verbose are served on the main port to anyone who reaches it; set server.management.port (e.g. 9090) and keep that port private');
  }
  issues.push(...providerScopeIssues(config));
  issues.push(...gateIssues(config));
  const publicUrl = new URL(config.publicUrl);
  if (config.mode === 'production' && publicUrl.protocol === 'http:' && !['localhost', '127.0.0.1', '[::1]'].includes(publicUrl.hostname)) {
    warnings.push(`publicUrl ${config.publicUrl} is plain http: session cookies are not marked Secure; use https in production`);
  }
  return { issues, warnings };
}

/** The gate (src/gate/): its pass cookies are signed with gate.cookieSecret. */
function gateIssues(config: Config): ConfigIssue[] {
  if (!config.gate) return [];
  const issues: ConfigIssue[] = [];
  const secret = config.gate.cookieSecret;
  const weakness = secret === undefined || secret === '' ? 'is missing: the gate signs its pass cookies with it' : secretWeakness(secret);
  if (weakness) {
    issues.push({ path: 'gate.cookieSecret', problem: weakness, fix: 'set gate.cookieSecretFile to a file holding at least 32 random bytes (`openssl rand -base64 48`), the same on every replica' });
  }
  if (config.gate.cookieName.startsWith(config.session.cookieName)) {
    issues.push({ path: 'gate.cookieName', problem: `starts with session.cookieName ("${config.session.cookieName}")`, fix: 'keep the default jsg_gate or choose another prefix' });
  }
  return issues;
}
