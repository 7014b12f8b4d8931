import { createHash } from 'node:crypto';

/**
 * What guest tokens, audit lines, logs and metrics say about an invite, without the invite: the id
 * in /invite/<id> IS the link's secret (whoever knows it may redeem the remaining uses), and Jitsi
 * shows every participant the others' `context.user`. The reference is SHA-256 of the id under a
 * label, shortened: one-way (the id is 128 random bits, so nobody finds an id for a reference),
 * stable (the creator, who has the id from the API, can compute it to tell which invite a guest
 * came through), and never redeemable. No key is needed for that, so there is none to manage.
 */
export function inviteReference(id: string): string {
  return createHash('sha256').update(`jsg-invite-reference\u0000${id}`).digest('base64url').slice(0, 16);
}

/** `context.user.id` of the n-th guest of an invite. */
export const guestUserId = (inviteId: string, use: number): string => `guest:${inviteReference(inviteId)}:${use}`;

/**
 * A request path for logs: whatever follows `/invite/` or `/api/v1/invites/` becomes its reference
 * (also a near miss: an id with a character too many still holds the id).
 */
export function loggablePath(path: string): string {
  return path.replace(/(\/invite\/|\/api\/v1\/invites\/)([^/]+)/g, (_whole, prefix: string, id: string) => `${prefix}ref:${inviteReference(id)}`);
}
