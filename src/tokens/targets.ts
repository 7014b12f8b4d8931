import { loadKeyring } from '../keys/keyring.js';
import type { TargetConfig } from './settings.js';
import { JitsiTarget } from './target.js';

/** Builds targets from config; keys are imported once here, never on the request path. */
export function createTargets(config: { targets: Readonly<Record<string, TargetConfig>> }): Map<string, JitsiTarget> {
  const targets = new Map<string, JitsiTarget>();
  for (const [name, target] of Object.entries(config.targets)) {
    const keyring = target.algorithm.startsWith('RS') ? loadKeyring(target.keys, target.algorithm, `targets.${name}.keys`).keyring : undefined;
    targets.set(name, new JitsiTarget(name, target, keyring));
  }
  return targets;
}
