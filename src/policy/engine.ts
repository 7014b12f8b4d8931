import type { Store } from '../store/store.js';
import type { Policy } from './policy.js';
import { RoomRegistry, roomDecision, type RegistryLog } from './rooms.js';
import { compilePolicy, toSubject, type CompiledPolicy } from './rules.js';
import { providerScope, type PolicySettings, type ProviderScope } from './scope.js';
import { compileHosts } from './hosts.js';

export interface ConfiguredPolicy extends Policy {
  readonly compiled: CompiledPolicy;
  readonly rooms: RoomRegistry;
  /** Whose values a bare id, e-mail or group means (rules and registry entries). */
  readonly scope: ProviderScope;
}

/**
 * The configured policy: the rules of `policy:` (compiled once here), then the room registry entry
 * of the room, when there is one (one store read per decision).
 */
export function createPolicy(config: PolicySettings, store: Store, log?: RegistryLog): ConfiguredPolicy {
  const scope = providerScope(config);
  const compiled = compilePolicy(config.policy, scope);
  const rooms = new RoomRegistry(store, scope, log);
  const hosts = config.policy.hosts ? compileHosts(config.policy.hosts, scope) : undefined;
  return {
    compiled,
    rooms,
    scope,
    async decide({ identity, location }) {
      const subject = toSubject(identity, location);
      const generic = compiled.evaluate(subject);
      const entry = await rooms.get(location);
      const decision = entry ? roomDecision(entry, identity, generic) : generic;
      return hosts ? hosts.apply(decision, subject) : decision;
    },
  };
}
