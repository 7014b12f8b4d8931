/**
 * Lua patterns (the `string.match` flavour Prosody applies to a `room` claim when the token has
 * `context.room.regex: true`), translated to a JavaScript RegExp. Covers classes (%a %d %w …),
 * sets, the quantifiers * + - ?, anchors and captures; `%b`, `%f`, back-references and position
 * captures are reported as unsupported rather than guessed. Character classes are those of the
 * C locale, as in Prosody.
 */
export class LuaPatternError extends Error {
  override readonly name = 'LuaPatternError';
}

type Range = [number, number];

const MAX = 0xffff;

const CLASSES: Record<string, Range[]> = {
  a: [[0x41, 0x5a], [0x61, 0x7a]],
  c: [[0x00, 0x1f], [0x7f, 0x7f]],
  d: [[0x30, 0x39]],
  g: [[0x21, 0x7e]],
  l: [[0x61, 0x7a]],
  p: [[0x21, 0x2f], [0x3a, 0x40], [0x5b, 0x60], [0x7b, 0x7e]],
  s: [[0x09, 0x0d], [0x20, 0x20]],
  u: [[0x41, 0x5a]],
  w: [[0x30, 0x39], [0x41, 0x5a], [0x61, 0x7a]],
  x: [[0x30, 0x39], [0x41, 0x46], [0x61, 0x66]],
};

function complement(ranges: Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: Range[] = [];
  let next = 0;
  for (const [lo, hi] of sorted) {
    if (lo > next) out.push([next, lo - 1]);
    next = Math.max(next, hi + 1);
  }
  if (next <= MAX) out.push([next, MAX]);
  return out;
}

function classRanges(letter: string): Range[] | undefined {
  const base = CLASSES[letter.toLowerCase()];
  if (!base) return undefined;
  return letter === letter.toLowerCase() ? base : complement(base);
}

const hex = (code: number) => `\\u${code.toString(16).padStart(4, '0')}`;
const rangesToSetBody = (ranges: Range[]) => ranges.map(([lo, hi]) => (lo === hi ? hex(lo) : `${hex(lo)}-${hex(hi)}`)).join('');
const literal = (char: string) => hex(char.charCodeAt(0));

/** Translates a Lua pattern; `captures` tells whether string.match would return a capture. */
export function luaPatternToRegExp(pattern: string): { regexp: RegExp; captures: boolean } {
  let out = '';
  let captures = false;
  let depth = 0;
  let i = 0;
  if (pattern.startsWith('^')) {
    out += '^';
    i = 1;
  }
  while (i < pattern.length) {
    const char = pattern[i] as string;
    let item: string | undefined;
    if (char === '(') {
      if (pattern[i + 1] === ')') throw new LuaPatternError('position captures "()" are not supported');
      captures = true;
      depth += 1;
      out += '(';
      i += 1;
      continue;
    }
    if (char === ')') {
      if (depth === 0) throw new LuaPatternError('invalid pattern capture (unbalanced ")")');
      depth -= 1;
      out += ')';
      i += 1;
      continue;
    }
    if (char === '$' && i === pattern.length - 1) {
      out += '$';
      i += 1;
      continue;
    }
    if (char === '%') {
      const next = pattern[i + 1];
      if (next === undefined) throw new LuaPatternError('malformed pattern (ends with "%")');
      if (next === 'b' || next === 'f') throw new LuaPatternError(`"%${next}" is not supported`);
      if (/[0-9]/.test(next)) throw new LuaPatternError('back-references are not supported');
      const ranges = classRanges(next);
      item = ranges ? `[${rangesToSetBody(ranges)}]` : literal(next);
      i += 2;
    } else if (char === '.') {
      item = '[\\s\\S]';
      i += 1;
    } else if (char === '[') {
      const parsed = parseSet(pattern, i);
      item = parsed.item;
      i = parsed.end;
    } else {
      item = literal(char);
      i += 1;
    }
    const quantifier = pattern[i];
    if (quantifier === '*' || quantifier === '+' || quantifier === '?') {
      out += item + quantifier;
      i += 1;
    } else if (quantifier === '-') {
      out += `${item}*?`;
      i += 1;
    } else {
      out += item;
    }
  }
  if (depth !== 0) throw new LuaPatternError('unfinished capture');
  return { regexp: new RegExp(out), captures };
}

function parseSet(pattern: string, start: number): { item: string; end: number } {
  let i = start + 1;
  let negate = false;
  if (pattern[i] === '^') {
    negate = true;
    i += 1;
  }
  const ranges: Range[] = [];
  let first = true;
  while (true) {
    const char = pattern[i];
    if (char === undefined) throw new LuaPatternError('malformed pattern (missing "]")');
    if (char === ']' && !first) break;
    first = false;
    if (char === '%') {
      const next = pattern[i + 1];
      if (next === undefined) throw new LuaPatternError('malformed pattern (ends with "%")');
      ranges.push(...(classRanges(next) ?? [[next.charCodeAt(0), next.charCodeAt(0)] as Range]));
      i += 2;
    } else if (pattern[i + 1] === '-' && pattern[i + 2] !== undefined && pattern[i + 2] !== ']') {
      ranges.push([char.charCodeAt(0), (pattern[i + 2] as string).charCodeAt(0)]);
      i += 3;
    } else {
      ranges.push([char.charCodeAt(0), char.charCodeAt(0)]);
      i += 1;
    }
  }
  const valid = ranges.filter(([lo, hi]) => lo <= hi);
  const body = rangesToSetBody(negate ? complement(valid) : valid);
  return { item: body === '' ? '[^\\s\\S]' : `[${body}]`, end: i + 1 };
}

/** `string.match(subject, pattern)` as Prosody uses it: the first capture, or the whole match. */
export function luaMatch(subject: string, pattern: string): string | undefined {
  const { regexp, captures } = luaPatternToRegExp(pattern);
  const match = regexp.exec(subject);
  if (!match) return undefined;
  return captures ? match[1] : match[0];
}
