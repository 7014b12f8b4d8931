import { loadKeyring } from '../keys/keyring.js';
import { secretWeakness } from '../security/secret-strength.js';
import type { ConfigIssue } from '../settings/issues.js';
import { PROSODY_ALGORITHMS, type TargetConfig } from './settings.js';

/**
 * Checks of the targets' settings that need more than one field, or knowledge of Prosody (run by
 * src/config/checks.ts when the configuration loads): algorithm, secret strength, keyring, token
 * lifetimes, tenants, and what must be unique across targets (kids, Jitsi's sso client ids).
 */

/** Problems and warnings of `targets` (and of `defaultTarget`, which must name one of them). */
export function targetIssues(targets: Readonly<Record<string, TargetConfig>>, defaultTarget: string | undefined): { issues: ConfigIssue[]; warnings: string[] } {
  const issues: ConfigIssue[] = [];
  const warnings: string[] = [];
  const targetNames = Object.keys(targets);
  if (targetNames.length === 0) {
    issues.push({ path: 'targets', problem: 'no Jitsi target is configured', fix: 'add one under targets: (url, xmppDomain, appId, algorithm, secret or keys)' });
  }
  if (defaultTarget !== undefined && !targets[defaultTarget]) {
    issues.push({ path: 'defaultTarget', problem: `names no configured target ("${defaultTarget}")`, fix: `use one of ${targetNames.join(', ')}` });
  }
  const kids = new Map<string, string>();
  for (const [name, target] of Object.entries(targets)) {
    const path = `targets.${name}`;
    const algorithm = target.algorithm;
    if (!(PROSODY_ALGORITHMS as readonly string[]).includes(algorithm)) {
      issues.push({
        path: `${path}.algorithm`,
        problem: `"${algorithm}" is not accepted by Prosody's token plugin (no ES*, EdDSA, PS* or none)`,
        fix: `use one of ${PROSODY_ALGORITHMS.join(', ')}`,
      });
      continue;
    }
    if (algorithm.startsWith('HS')) {
      if (target.keys.length > 0) {
        issues.push({ path: `${path}.keys`, problem: `keys are for RS* algorithms; ${algorithm} uses secret`, fix: 'remove keys or switch algorithm to RS256' });
      }
      const secret = target.secret;
      if (secret === undefined || secret === '') {
        issues.push({ path: `${path}.secret`, problem: `${algorithm} needs Prosody's app_secret`, fix: 'set secretFile (or JSG_TARGETS__<NAME>__SECRET_FILE) to a file holding at least 32 random bytes, e.g. `openssl rand -base64 48`' });
      } else {
        const weakness = secretWeakness(secret);
        if (weakness) {
          issues.push({ path: `${path}.secret`, problem: weakness, fix: 'generate a new one with `openssl rand -base64 48` and set the same value as Prosody\'s app_secret' });
        }
      }
    } else {
      if (target.secret !== undefined) {
        issues.push({ path: `${path}.secret`, problem: `a secret is for HS* algorithms; ${algorithm} signs with keys`, fix: 'remove secret' });
      }
      const { keyring, issues: keyIssues } = loadKeyring(target.keys, algorithm, `${path}.keys`);
      issues.push(...keyIssues);
      for (const key of keyring?.published ?? []) {
        const other = kids.get(key.kid);
        if (other) issues.push({ path: `${path}.keys`, problem: `kid "${key.kid}" is also used by target ${other}`, fix: 'kids must be unique: /asap serves all targets from one namespace' });
        kids.set(key.kid, name);
      }
    }
    if (target.tokenTtlSeconds > target.maxTokenTtlSeconds) {
      issues.push({ path: `${path}.tokenTtlSeconds`, problem: `(${target.tokenTtlSeconds}) is above maxTokenTtlSeconds (${target.maxTokenTtlSeconds})`, fix: 'lower it or raise the cap' });
    }
    if (target.maxTokenTtlSeconds > 86400) {
      issues.push({ path: `${path}.maxTokenTtlSeconds`, problem: 'is more than a day; tokens are meant to live minutes', fix: 'use at most 86400 (3600 or less recommended)' });
    } else if (target.maxTokenTtlSeconds > 3600) {
      warnings.push(`${path}.maxTokenTtlSeconds is ${target.maxTokenTtlSeconds} s; tokens that live hours cannot be revoked, 3600 or less is recommended`);
    }
    if (!target.rootRooms && target.tenants.length === 0) {
      issues.push({ path: `${path}.tenants`, problem: 'is empty while rootRooms is false: no room could ever be joined', fix: 'list the tenants or set rootRooms: true' });
    }
  }
  return { issues, warnings };
}

/** Each target's Jitsi is its own client of the token service; `clients`: how many targets have one. */
export function ssoClientIssues(targets: Readonly<Record<string, TargetConfig>>): { issues: ConfigIssue[]; clients: number } {
  const issues: ConfigIssue[] = [];
  const clientIds = new Map<string, string>();
  for (const [name, target] of Object.entries(targets)) {
    if (!target.sso) continue;
    const other = clientIds.get(target.sso.clientId);
    if (other) issues.push({ path: `targets.${name}.sso.clientId`, problem: `"${target.sso.clientId}" is also the client id of target ${other}`, fix: "give each target's Jitsi (config.sso.clientId) its own client id" });
    clientIds.set(target.sso.clientId, name);
  }
  return { issues, clients: clientIds.size };
}
