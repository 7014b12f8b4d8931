import type { Store } from '../store/store.js';
import type { RoomLocation } from '../tokens/target.js';
import type { Policy, PreparedDecision } from './policy.js';
import { RoomRegistry, roomDecision, type RegistryLog } from './rooms.js';
import { compilePolicy, toSubject, type CompiledPolicy } from './rules.js';
import { providerScope, type PolicySettings, type ProviderScope } from './scope.js';
import { compileHosts } from './hosts.js';

export interface ConfiguredPolicy extends Policy {
  readonly compiled: CompiledPolicy;
  prepare(location: RoomLocation): PreparedDecision;
  readonly rooms: RoomRegistry;
  /** Whose values a bare id, e-mail or group means (rules and registry entries). */
  readonly scope: ProviderScope;
}

/**
 * The configured policy: the rules of `policy:` (compiled once here), then the room registry entry
 * of the room, when there is one (one store read per decision, started early by `prepare` where
 * the caller can: the login callback sends it with the session write).
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
    prepare(location) {
      const room = rooms.get(location);
      // Awaited by decide, which reports a failure; until then it must not count as unhandled.
      room.catch(() => undefined);
      return { location, room };
    },
    async decide({ identity, location, prepared }) {
      const subject = toSubject(identity, location);
      const generic = compiled.evaluate(subject);
      const entry = prepared?.location === location ? await prepared.room : await rooms.get(location);
      const decision = entry ? roomDecision(entry, identity, generic) : generic;
      return hosts ? hosts.apply(decision, subject) : decision;
    },
  };
}
