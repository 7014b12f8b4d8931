import type { Identity } from '../identity/identity.js';
import type { Affiliation } from '../tokens/claims.js';
import type { RoomLocation } from '../tokens/target.js';
import type { RoomEntry } from './rooms.js';

/** What the login flows ask: may this person enter this room, and with which role? */
export interface PolicyInput {
  identity: Identity;
  location: RoomLocation;
  /** What Policy.prepare started reading for this location, when the caller started it. */
  prepared?: PreparedDecision | undefined;
}

/** Store reads that deciding for one room needs, started ahead by Policy.prepare. */
export interface PreparedDecision {
  readonly location: RoomLocation;
  /** The room's registry entry, or null; rejects as the read would have. */
  readonly room: Promise<RoomEntry | null>;
}

/** What decided: a configured rule, the room's registry entry, or policy.default. */
export type DecisionSource = 'rule' | 'room' | 'default';

export type Decision =
  | { allow: false; message: string; rule?: string; source?: DecisionSource }
  | {
      allow: true;
      role: 'moderator' | 'participant';
      affiliation?: Affiliation;
      features?: Record<string, boolean>;
      lobbyBypass?: boolean;
      ttlSeconds?: number;
      /** Which rule decided (for logs and check-config explanations). */
      rule?: string;
      source?: DecisionSource;
      /**
       * May this person host (open the room for guests waiting for a host)? Set only when
       * policy.hosts is configured: moderators, and people matching policy.hosts.when.
       */
      host?: boolean;
    };

export interface Policy {
  decide(input: PolicyInput): Promise<Decision>;
  /**
   * Starts the store reads a decision for this room needs (its registry entry) now, so that they
   * join the store round trip of whatever the caller sends in the same tick (the login callback's
   * session write); pass the result to decide as `prepared`. A policy without stored state has none.
   */
  prepare?(location: RoomLocation): PreparedDecision;
}

/** Until rules are configured: every authenticated person may enter as participant. */
export const participantsOnly: Policy = {
  async decide() {
    return { allow: true, role: 'participant', rule: 'default' };
  },
};

