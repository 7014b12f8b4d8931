/**
 * Jitsi's backend-safe room name (jitsi-meet `getBackendSafeRoomName`, base/util/uri.ts):
 * decodeURIComponent → NFKC → lowercase → encodeURIComponent → lowercase. Prosody compares the
 * token's `room` claim with this form, so `/Ärger` needs `%c3%a4rger`.
 *
 * Unlike Jitsi we reject instead of passing odd input through: the gateway signs what it returns.
 */
export const MAX_ROOM_INPUT_LENGTH = 1024;
/** An XMPP localpart is at most 1023 bytes; the safe name is ASCII. */
export const MAX_SAFE_ROOM_LENGTH = 1023;

export class RoomNameError extends Error {
  override readonly name = 'RoomNameError';
}

// Control characters, path separators, wildcards and characters XMPP forbids in a localpart.
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f/\\*?#@"'<>]/u;

/** A backend-safe room name as people read it (and as room globs match it); odd input as it is. */
export function readableRoomName(roomSafe: string): string {
  try {
    return decodeURIComponent(roomSafe);
  } catch {
    return roomSafe;
  }
}

export function backendSafeRoomName(room: string): string {
  if (typeof room !== 'string' || room.length === 0) throw new RoomNameError('the room name is empty');
  if (room.length > MAX_ROOM_INPUT_LENGTH) {
    throw new RoomNameError(`the room name is longer than ${MAX_ROOM_INPUT_LENGTH} characters`);
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(room);
  } catch {
    throw new RoomNameError('the room name is not valid percent-encoding');
  }
  const normalized = decoded.normalize('NFKC').toLowerCase();
  if (normalized.trim().length === 0) throw new RoomNameError('the room name is empty');
  if (FORBIDDEN.test(normalized)) {
    throw new RoomNameError('the room name contains a character that cannot be part of a room name (/ \\ * ? # @ < > quotes or control characters)');
  }
  if (/^\.+$/.test(normalized)) throw new RoomNameError('the room name cannot consist of dots only');
  if (normalized !== normalized.trim()) throw new RoomNameError('the room name cannot start or end with white space');
  let safe: string;
  try {
    safe = encodeURIComponent(normalized).toLowerCase();
  } catch {
    throw new RoomNameError('the room name contains an unpaired surrogate');
  }
  if (safe.length > MAX_SAFE_ROOM_LENGTH) {
    throw new RoomNameError(`the encoded room name is longer than ${MAX_SAFE_ROOM_LENGTH} characters`);
  }
  return safe;
}

/** Tenants are compared lowercase, like Jitsi's getBackendSafePath. */
export function normalizeTenant(tenant: string): string {
  return tenant.normalize('NFKC').toLowerCase();
}
