import { randomBase64url } from '../security/random.js';
import { z } from 'zod';
import type { ApiConfig } from '../config/api.js';
import type { Audit } from '../observability/audit.js';
import type { Store } from '../store/store.js';
import type { JitsiClaims } from '../tokens/claims.js';
import type { JitsiTarget, RoomLocation } from '../tokens/target.js';
import { guestUserId, inviteReference } from './reference.js';

/**
 * Guest invite links. An invite names one room, a role, a number of uses and an expiry; it lives in
 * the store as `invite:<id>` and is redeemed by an atomic counter `invite-uses:<id>` (store
 * increment): of any number of concurrent redemptions across all replicas, exactly `uses` get a
 * token. Expired, used-up and revoked invites are kept for a grace period so the guest sees why
 * the link no longer works, then vanish.
 */

export const INVITE_ROLES = ['participant', 'moderator'] as const;
export type InviteRole = (typeof INVITE_ROLES)[number];
export type InviteStatus = 'active' | 'used_up' | 'expired' | 'revoked';
export type InviteGoneReason = Exclude<InviteStatus, 'active'> | 'unknown';

/** How long a finished invite is remembered (to explain the 410 page and in listings). */
export const INVITE_GRACE_SECONDS = 86400;
export const INVITE_ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;

const recordSchema = z.strictObject({
  id: z.string().regex(INVITE_ID_PATTERN),
  target: z.string(),
  tenant: z.string().optional(),
  room: z.string(),
  role: z.enum(INVITE_ROLES),
  uses: z.number().int().positive(),
  createdBy: z.string(),
  createdAt: z.number().int(),
  expiresAt: z.number().int(),
  label: z.string().optional(),
  lobbyBypass: z.boolean().optional(),
  features: z.record(z.string(), z.boolean()).optional(),
  revokedAt: z.number().int().optional(),
});
export type InviteRecord = z.infer<typeof recordSchema>;

export interface InviteView extends InviteRecord {
  status: InviteStatus;
  used: number;
  usesLeft: number;
  /** The link to hand to guests. */
  url: string;
}

export interface NewInvite {
  location: RoomLocation;
  role: InviteRole;
  uses: number;
  ttlSeconds: number;
  label?: string | undefined;
  lobbyBypass?: boolean | undefined;
  features?: Record<string, boolean> | undefined;
}

export class InviteGoneError extends Error {
  override readonly name = 'InviteGoneError';
  constructor(readonly reason: InviteGoneReason) {
    super(`invite ${reason}`);
  }
}

export interface RedeemedInvite {
  joinUrl: string;
  claims: JitsiClaims;
  invite: InviteRecord;
}

export interface InvitesDeps {
  store: Store;
  targets: ReadonlyMap<string, JitsiTarget>;
  audit: Audit;
  settings: ApiConfig['invites'];
  publicUrl: string;
  now?: () => number;
}

const recordKey = (id: string) => `invite:${id}`;
const usesKey = (id: string) => `invite-uses:${id}`;
const creatorIndex = (createdBy: string) => `invites-by:${createdBy}`;

export class Invites {
  private readonly now: () => number;

  constructor(private readonly deps: InvitesDeps) {
    this.now = deps.now ?? (() => Math.floor(Date.now() / 1000));
  }

  url(id: string): string {
    return `${this.deps.publicUrl}/invite/${id}`;
  }

  async create(input: NewInvite, createdBy: string): Promise<InviteView> {
    const now = this.now();
    const record: InviteRecord = {
      id: randomBase64url(16),
      target: input.location.target,
      ...(input.location.tenant !== undefined ? { tenant: input.location.tenant } : {}),
      room: input.location.room,
      role: input.role,
      uses: input.uses,
      createdBy,
      createdAt: now,
      expiresAt: now + input.ttlSeconds,
      ...(input.label !== undefined ? { label: input.label } : {}),
      ...(input.lobbyBypass !== undefined ? { lobbyBypass: input.lobbyBypass } : {}),
      ...(input.features !== undefined && Object.keys(input.features).length > 0 ? { features: input.features } : {}),
    };
    const stored = await this.deps.store.putIfAbsent(recordKey(record.id), JSON.stringify(record), input.ttlSeconds + INVITE_GRACE_SECONDS);
    if (!stored) throw new Error('invite id collision');
    await this.deps.store.indexAdd(creatorIndex(createdBy), record.id, this.deps.settings.maxTtlSeconds + INVITE_GRACE_SECONDS);
    return this.view(record, 0, now);
  }

  /** The invite and how often it was used, or null when unknown (or long gone). */
  async find(id: string): Promise<{ record: InviteRecord; used: number } | null> {
    if (!INVITE_ID_PATTERN.test(id)) return null;
    const [raw, used] = await Promise.all([this.deps.store.get(recordKey(id)), this.deps.store.get(usesKey(id))]);
    if (raw === null) return null;
    return { record: recordSchema.parse(JSON.parse(raw)), used: Number(used ?? 0) };
  }

  /** The invite if it can still be redeemed; otherwise throws InviteGoneError with the reason. */
  async redeemable(id: string): Promise<InviteRecord> {
    const found = await this.find(id);
    if (!found) throw new InviteGoneError('unknown');
    const status = inviteStatus(found.record, found.used, this.now());
    if (status !== 'active') throw new InviteGoneError(status);
    return found.record;
  }

  async list(createdBy: string): Promise<InviteView[]> {
    const now = this.now();
    const ids = await this.deps.store.indexMembers(creatorIndex(createdBy));
    const views: InviteView[] = [];
    for (const id of ids) {
      const found = await this.find(id);
      if (!found || found.record.createdBy !== createdBy) {
        await this.deps.store.indexRemove(creatorIndex(createdBy), id);
        continue;
      }
      views.push(this.view(found.record, found.used, now));
    }
    return views.sort((a, b) => b.createdAt - a.createdAt || a.id.localeCompare(b.id));
  }

  /** Revokes an invite of `createdBy`. False when there is no such invite of theirs. */
  async revoke(id: string, createdBy: string): Promise<boolean> {
    const found = await this.find(id);
    if (!found || found.record.createdBy !== createdBy) return false;
    const now = this.now();
    if (found.record.revokedAt === undefined) {
      const record: InviteRecord = { ...found.record, revokedAt: now };
      const ttl = Math.max(1, found.record.expiresAt - now) + INVITE_GRACE_SECONDS;
      await this.deps.store.put(recordKey(id), JSON.stringify(record), ttl);
    }
    return true;
  }

  /**
   * Takes one use of the invite and mints the guest's token. The counter is the only arbiter: a
   * use is taken by INCR and only a value within `uses` gets a token, so concurrent redemptions on
   * any number of replicas never exceed it.
   */
  async redeem(id: string, displayName: string, requestId?: string): Promise<RedeemedInvite> {
    const invite = await this.redeemable(id);
    const target = this.deps.targets.get(invite.target);
    if (!target) throw new InviteGoneError('unknown'); // the target was removed from the config
    const now = this.now();
    const use = await this.deps.store.increment(usesKey(id), Math.max(1, invite.expiresAt - now) + INVITE_GRACE_SECONDS);
    if (use > invite.uses) throw new InviteGoneError('used_up');
    const location: RoomLocation = { target: invite.target, room: invite.room, ...(invite.tenant !== undefined ? { tenant: invite.tenant } : {}) };
    const moderator = invite.role === 'moderator';
    const { token, claims } = target.issue({
      location,
      user: {
        id: guestUserId(invite.id, use),
        name: displayName,
        moderator,
        ...(moderator ? { affiliation: 'owner' as const } : {}),
        ...(invite.lobbyBypass !== undefined ? { lobbyBypass: invite.lobbyBypass } : {}),
      },
      features: invite.features,
      ttlSeconds: this.deps.settings.guestTokenTtlSeconds,
    });
    this.deps.audit.tokenIssued({ target: target.name, provider: 'invite', invite: inviteReference(invite.id), claims, requestId });
    return { joinUrl: target.joinUrl(location, token), claims, invite };
  }

  view(record: InviteRecord, used: number, now = this.now()): InviteView {
    return { ...record, status: inviteStatus(record, used, now), used: Math.min(used, record.uses), usesLeft: Math.max(0, record.uses - used), url: this.url(record.id) };
  }
}

export function inviteStatus(record: InviteRecord, used: number, now: number): InviteStatus {
  if (record.revokedAt !== undefined) return 'revoked';
  if (now >= record.expiresAt) return 'expired';
  if (used >= record.uses) return 'used_up';
  return 'active';
}
