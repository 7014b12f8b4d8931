import type { Config } from '../config/schema.js';
import type { Store } from '../store/store.js';
import type { Policy } from './policy.js';
import { RoomRegistry, roomDecision } from './rooms.js';
import { compilePolicy, toSubject, type CompiledPolicy } from './rules.js';

export interface ConfiguredPolicy extends Policy {
  readonly compiled: CompiledPolicy;
  readonly rooms: RoomRegistry;
}

/**
 * The configured policy: the rules of `policy:` (compiled once here), then the room registry entry
 * of the room, when there is one (one store read per decision).
 */
export function createPolicy(config: Pick<Config, 'policy'>, store: Store): ConfiguredPolicy {
  const compiled = compilePolicy(config.policy);
  const rooms = new RoomRegistry(store);
  return {
    compiled,
    rooms,
    async decide({ identity, location }) {
      const generic = compiled.evaluate(toSubject(identity, location));
      const entry = await rooms.get(location);
      return entry ? roomDecision(entry, identity, generic) : generic;
    },
  };
}
