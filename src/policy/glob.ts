/**
 * Room-name globs: `*` matches any run of characters (also none), `?` exactly one character, every
 * other character itself. Patterns and rooms are compared in Jitsi's normalised form (decoded, NFKC,
 * lowercase), which is the backend-safe name (`roomSafe`) before its final percent-encoding, so
 * `Ärger-*`, `ärger-*` and `%c3%a4rger-*` are the same pattern and match `/Ärger-Team`.
 *
 * Matching is a linear-space, O(room × pattern) walk with no regular expression, so a pattern with
 * many stars cannot make a request slow. Patterns are compiled once at start-up.
 */
import { readableRoomName } from '../tokens/room.js';
export const MAX_GLOB_LENGTH = 200;

// The characters a room name can never contain (src/tokens/room.ts), minus the two wildcards.
// eslint-disable-next-line no-control-regex
const FORBIDDEN_IN_PATTERN = /[\u0000-\u001f\u007f-\u009f/\\#@"'<>]/u;

export class GlobError extends Error {
  override readonly name = 'GlobError';
}

export interface RoomGlob {
  /** The pattern as configured. */
  readonly source: string;
  /** The normalised pattern (what is actually matched). */
  readonly normalized: string;
  /** True for `*`: every room. */
  readonly matchesEverything: boolean;
  /** True when the pattern has no wildcard: it names exactly one room. */
  readonly literal: boolean;
  /** Matches a normalised room name (see normalizeRoomForGlob). */
  test(room: string): boolean;
}

/** decodeURIComponent (when it is valid percent-encoding) → NFKC → lowercase. */
export function normalizeGlobText(text: string): string {
  let decoded = text;
  try {
    decoded = decodeURIComponent(text);
  } catch {
    // Not percent-encoded: use as written.
  }
  return decoded.normalize('NFKC').toLowerCase();
}

/** A backend-safe room name (as in RoomLocation.room) in the form globs are matched against. */
export const normalizeRoomForGlob = readableRoomName;

/** Why a pattern cannot be used, or undefined when it is fine (for config validation). */
export function globProblem(pattern: string): string | undefined {
  if (pattern.length === 0) return 'is empty';
  if (pattern.length > MAX_GLOB_LENGTH) return `is longer than ${MAX_GLOB_LENGTH} characters`;
  const normalized = normalizeGlobText(pattern);
  if (FORBIDDEN_IN_PATTERN.test(normalized)) {
    return 'contains a character no room name can contain (/ \\ # @ < > quotes or control characters); only * and ? are wildcards';
  }
  if (normalized.trim() !== normalized) return 'cannot start or end with white space';
  return undefined;
}

export function compileGlob(pattern: string): RoomGlob {
  const problem = globProblem(pattern);
  if (problem) throw new GlobError(`room pattern "${pattern}" ${problem}`);
  const normalized = normalizeGlobText(pattern);
  const chars = Array.from(normalized);
  const literal = !chars.some((char) => char === '*' || char === '?');
  const matchesEverything = chars.length > 0 && chars.every((char) => char === '*');
  let test: (room: string) => boolean;
  if (matchesEverything) test = () => true;
  else if (literal) test = (room) => room === normalized;
  else if (chars.indexOf('*') === chars.length - 1 && !chars.includes('?')) {
    const prefix = normalized.slice(0, -1);
    test = (room) => room.startsWith(prefix);
  } else test = (room) => wildcardMatch(Array.from(room), chars);
  return { source: pattern, normalized, matchesEverything, literal, test };
}

/** Classic iterative wildcard matching with a single backtrack point: O(n·m) time, O(1) space. */
function wildcardMatch(text: readonly string[], pattern: readonly string[]): boolean {
  let t = 0;
  let p = 0;
  let starP = -1;
  let starT = 0;
  while (t < text.length) {
    const char = pattern[p];
    if (char === '*') {
      starP = p++;
      starT = t;
    } else if (char !== undefined && (char === '?' || char === text[t])) {
      p++;
      t++;
    } else if (starP >= 0) {
      p = starP + 1;
      t = ++starT;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

/**
 * Whether every room `inner` matches is also matched by `outer` (conservative: false when unsure).
 * Used to find rules that can never match.
 */
export function globCovers(outer: RoomGlob, inner: RoomGlob): boolean {
  if (outer.matchesEverything) return true;
  if (outer.normalized === inner.normalized) return true;
  if (inner.literal) return outer.test(inner.normalized);
  // A wildcard in `inner` is covered when `outer` has a `*` at the same place or later: test the
  // inner pattern's text with its wildcards taken literally only when outer's wildcards are stars.
  if (!outer.normalized.includes('?')) return outer.test(inner.normalized);
  return false;
}
