import { describe, expect, it } from 'vitest';
import { backendSafeRoomName, RoomNameError } from '../../src/tokens/room.js';

/** jitsi-meet getBackendSafeRoomName: decodeURIComponent → NFKC → lowercase → encodeURIComponent → lowercase. */
function jitsiReference(room: string): string {
  let value = room;
  try {
    value = decodeURIComponent(value);
  } catch {
    /* Jitsi keeps the raw name */
  }
  return encodeURIComponent(value.normalize('NFKC').toLowerCase()).toLowerCase();
}

describe('backend-safe room names', () => {
  it.each([
    ['TeamSync', 'teamsync'],
    ['Team Sync', 'team%20sync'],
    ['Team%20Sync', 'team%20sync'],
    ['Ärger', '%c3%a4rger'],
    ['%C3%84rger', '%c3%a4rger'],
    ['%c3%a4rger', '%c3%a4rger'],
    ['Ａｂｃ', 'abc'], // full-width letters (NFKC)
    ['ﬁle', 'file'], // ligature (NFKC)
    ['Ⅻ', 'xii'], // roman numeral (NFKC) lowercased
    ['100%25', '100%25'], // a literal percent sign
    ['café', 'caf%c3%a9'], // precomposed
    ['cafe\u0301', 'caf%c3%a9'], // decomposed → NFKC composes
    ['meeting🎉', 'meeting%f0%9f%8e%89'], // emoji
    ['a(b)!~', 'a(b)!~'], // characters encodeURIComponent keeps
    ['A&B', 'a%26b'],
  ])('%s → %s (same as Jitsi)', (input, expected) => {
    expect(backendSafeRoomName(input)).toBe(expected);
    expect(jitsiReference(input)).toBe(expected);
  });

  it('is idempotent: the safe name maps to itself', () => {
    for (const room of ['Team Sync', 'Ärger', 'meeting🎉', '100%25']) {
      const safe = backendSafeRoomName(room);
      expect(backendSafeRoomName(safe)).toBe(safe);
    }
  });

  it.each([
    ['', 'empty'],
    ['   ', 'empty'],
    ['%', 'percent-encoding'],
    ['%E0%A4%A', 'percent-encoding'],
    ['%C3', 'percent-encoding'],
    ['../x', 'character'],
    ['a/b', 'character'],
    ['a%2Fb', 'character'],
    ['a%5Cb', 'character'],
    ['*', 'character'],
    ['room*', 'character'],
    ['a\u0000b', 'character'],
    ['a%00b', 'character'],
    ['a\nb', 'character'],
    ['a?b', 'character'],
    ['a#b', 'character'],
    ['a@b', 'character'],
    ["it's", 'character'],
    ['..', 'dots'],
    [' padded', 'white space'],
    ['x'.repeat(1025), 'longer than 1024'],
    ['🎉'.repeat(300), 'encoded room name is longer'],
  ])('rejects %j (%s)', (input, reason) => {
    expect(() => backendSafeRoomName(input)).toThrow(RoomNameError);
    expect(() => backendSafeRoomName(input)).toThrow(new RegExp(reason.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  });
});
