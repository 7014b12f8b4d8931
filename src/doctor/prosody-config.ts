/**
 * Reads a Prosody configuration file (the rendered Lua, e.g.
 * /etc/prosody/conf.d/<domain>.cfg.lua or docker-jitsi-meet's jitsi-meet.cfg.lua) far enough to
 * audit the settings the gateway's journeys depend on, and says what is wrong.
 *
 * Not a Lua interpreter: it understands what Prosody configs are made of (global `key = value`
 * lines, `VirtualHost "name"` and `Component "name" "type"` sections, strings, booleans, numbers
 * and `{ … }` lists, `--` comments) and skips anything else (expressions, function calls) to the
 * end of its line, so an unusual line costs that setting, never the audit.
 */

export type LuaValue = string | number | boolean | LuaValue[] | { unknown: string };

export interface ProsodySection {
  kind: 'global' | 'VirtualHost' | 'Component';
  name: string;
  /** Component type ("muc", "speakerstats_component", …). */
  type?: string | undefined;
  options: Map<string, LuaValue>;
  /** Line of the section header (1-based; 0 for the global section). */
  line: number;
}

export interface ProsodyConfig {
  global: ProsodySection;
  sections: ProsodySection[];
}

interface Token {
  kind: 'name' | 'string' | 'number' | 'punct';
  value: string;
  line: number;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  const longBracket = (at: number): { level: number; length: number } | undefined => {
    const match = /^\[(=*)\[/.exec(text.slice(at, at + 64));
    return match ? { level: match[1]?.length ?? 0, length: match[0].length } : undefined;
  };
  const skipLong = (from: number, level: number): { end: number; body: string } => {
    const close = `]${'='.repeat(level)}]`;
    const end = text.indexOf(close, from);
    const stop = end === -1 ? text.length : end;
    const body = text.slice(from, stop);
    line += body.split('\n').length - 1;
    return { end: end === -1 ? text.length : end + close.length, body };
  };
  while (i < text.length) {
    const c = text[i] as string;
    if (c === '\n') {
      line += 1;
      i += 1;
    } else if (/\s/.test(c)) {
      i += 1;
    } else if (text.startsWith('--', i)) {
      const long = longBracket(i + 2);
      if (long) i = skipLong(i + 2 + long.length, long.level).end;
      else while (i < text.length && text[i] !== '\n') i += 1;
    } else if (c === '"' || c === "'") {
      let value = '';
      i += 1;
      while (i < text.length && text[i] !== c && text[i] !== '\n') {
        if (text[i] === '\\' && i + 1 < text.length) {
          const next = text[i + 1] as string;
          value += ({ n: '\n', t: '\t', '\\': '\\', '"': '"', "'": "'" } as Record<string, string>)[next] ?? next;
          i += 2;
        } else {
          value += text[i];
          i += 1;
        }
      }
      i += 1;
      tokens.push({ kind: 'string', value, line });
    } else if (c === '[' && longBracket(i)) {
      const long = longBracket(i) as { level: number; length: number };
      const startLine = line;
      const { end, body } = skipLong(i + long.length, long.level);
      tokens.push({ kind: 'string', value: body.replace(/^\n/, ''), line: startLine });
      i = end;
    } else if (/[A-Za-z_]/.test(c)) {
      const match = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(text.slice(i, i + 256)) as RegExpExecArray;
      tokens.push({ kind: 'name', value: match[0], line });
      i += match[0].length;
    } else if (/[0-9]/.test(c) || (c === '-' && /[0-9]/.test(text[i + 1] ?? ''))) {
      const match = /^-?[0-9][0-9a-fA-Fx.]*/.exec(text.slice(i, i + 64)) as RegExpExecArray;
      tokens.push({ kind: 'number', value: match[0], line });
      i += match[0].length;
    } else {
      tokens.push({ kind: 'punct', value: c, line });
      i += 1;
    }
  }
  return tokens;
}

/** Parses a Prosody configuration; never throws on odd input (unknown parts are skipped). */
export function parseProsodyConfig(text: string): ProsodyConfig {
  const tokens = tokenize(text);
  const global: ProsodySection = { kind: 'global', name: '', options: new Map(), line: 0 };
  const sections: ProsodySection[] = [];
  let current = global;
  let i = 0;
  const peek = (offset = 0) => tokens[i + offset];

  /** Skips to the first token on a later line than `line`, outside brackets. */
  const skipLine = (line: number) => {
    let depth = 0;
    while (i < tokens.length) {
      const token = tokens[i] as Token;
      if (depth === 0 && token.line > line) return;
      if (token.kind === 'punct' && (token.value === '{' || token.value === '(')) depth += 1;
      if (token.kind === 'punct' && (token.value === '}' || token.value === ')')) depth = Math.max(0, depth - 1);
      i += 1;
    }
  };

  const value = (): LuaValue => {
    const token = peek();
    if (!token) return { unknown: '' };
    if (token.kind === 'string') {
      i += 1;
      return token.value;
    }
    if (token.kind === 'number') {
      i += 1;
      return Number(token.value);
    }
    if (token.kind === 'name' && (token.value === 'true' || token.value === 'false')) {
      i += 1;
      return token.value === 'true';
    }
    if (token.kind === 'punct' && token.value === '{') {
      i += 1;
      const items: LuaValue[] = [];
      while (i < tokens.length) {
        const next = peek() as Token;
        if (next.kind === 'punct' && next.value === '}') {
          i += 1;
          return items;
        }
        if (next.kind === 'punct' && (next.value === ',' || next.value === ';')) {
          i += 1;
          continue;
        }
        // key = value inside a table: keep the value
        if (next.kind === 'name' && peek(1)?.value === '=') i += 2;
        const before = i;
        items.push(value());
        if (i === before) i += 1;
      }
      return items;
    }
    const start = token;
    skipLine(token.line);
    return { unknown: start.value };
  };

  while (i < tokens.length) {
    const token = tokens[i] as Token;
    if (token.kind === 'name' && (token.value === 'VirtualHost' || token.value === 'Component')) {
      i += 1;
      if (peek()?.value === '(') i += 1;
      const name = peek()?.kind === 'string' ? (tokens[i++] as Token).value : '';
      if (peek()?.value === ',') i += 1;
      let type: string | undefined;
      if (token.value === 'Component' && peek()?.kind === 'string' && peek()?.line === token.line) type = (tokens[i++] as Token).value;
      if (peek()?.value === ')') i += 1;
      current = { kind: token.value, name, type, options: new Map(), line: token.line };
      sections.push(current);
      continue;
    }
    if (token.kind === 'name' && peek(1)?.kind === 'punct' && peek(1)?.value === '=' && peek(2)?.value !== '=') {
      i += 2;
      current.options.set(token.value, value());
      continue;
    }
    skipLine(token.line);
  }
  return { global, sections };
}

// ---- the audit -------------------------------------------------------------------------------

export interface ProsodyFinding {
  level: 'warning' | 'note';
  code:
    | 'wait-for-host-auto-owners'
    | 'wait-for-host-without-token-affiliation'
    | 'wait-for-host-without-persistent-lobby'
    | 'wait-for-host-without-domain-base'
    | 'allow-empty-token'
    | 'guests-not-allowlisted';
  message: string;
  /** `VirtualHost "meet.jitsi"` / `Component "conference.meet.jitsi"` / `global`. */
  where: string;
}

const strings = (value: LuaValue | undefined): string[] =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : typeof value === 'string' ? [value] : [];

const describe = (section: ProsodySection) => (section.kind === 'global' ? 'global section' : `${section.kind} "${section.name}"`);

/** An option of a section, falling back to the global section (Prosody's own lookup). */
const option = (config: ProsodyConfig, section: ProsodySection, name: string): LuaValue | undefined => section.options.get(name) ?? config.global.options.get(name);

/** Module names loaded in a section (`modules_enabled`; a VirtualHost also gets the global list). */
function modules(config: ProsodyConfig, section: ProsodySection): Set<string> {
  const own = strings(section.options.get('modules_enabled'));
  const inherited = section.kind === 'VirtualHost' ? strings(config.global.options.get('modules_enabled')) : [];
  return new Set([...own, ...inherited]);
}

const ANONYMOUS = new Set(['anonymous', 'jitsi-anonymous']);
const TOKEN_AUTH = new Set(['token', 'hybrid_matrix_token']);

/**
 * What in this Prosody configuration breaks the gateway's journeys. Wait for host
 * (mod_muc_wait_for_host) promotes every token holder to owner unless
 * wait_for_host_disable_auto_owners = true, so the gateway's per-room moderator policy would not
 * count; `allow_empty_token = true` lets a client without any token onto the main domain, where it
 * counts as a host; guests on the anonymous domain need token_verification_allowlist instead.
 */
export function auditProsodyConfig(config: ProsodyConfig): ProsodyFinding[] {
  const findings: ProsodyFinding[] = [];
  const hosts = config.sections.filter((section) => section.kind === 'VirtualHost');
  const mucs = config.sections.filter((section) => section.kind === 'Component' && section.type === 'muc');
  const domainBase = option(config, config.global, 'muc_mapper_domain_base');
  const mainHost = hosts.find((host) => host.name === domainBase) ?? hosts.find((host) => TOKEN_AUTH.has(String(host.options.get('authentication'))));
  const guestHosts = hosts.filter((host) => ANONYMOUS.has(String(host.options.get('authentication'))) && host !== mainHost);

  for (const host of hosts) {
    if (TOKEN_AUTH.has(String(host.options.get('authentication'))) && option(config, host, 'allow_empty_token') === true) {
      findings.push({
        level: 'warning',
        code: 'allow-empty-token',
        where: describe(host),
        message: `allow_empty_token = true lets a client with NO token sign in on the token domain ${host.name}; with wait for host it counts as a host and opens rooms (and becomes owner unless auto owners are off). Set allow_empty_token = false and let guests in through the guest VirtualHost and token_verification_allowlist.`,
      });
    }
  }

  for (const muc of mucs) {
    const loaded = modules(config, muc);
    if (loaded.has('token_verification') && option(config, muc, 'allow_empty_token') === true) {
      findings.push({
        level: 'warning',
        code: 'allow-empty-token',
        where: describe(muc),
        message: 'allow_empty_token = true on the MUC lets clients without a token join and create rooms past token_verification; allowlist the guest domain with token_verification_allowlist instead.',
      });
    }
    if (!loaded.has('muc_wait_for_host')) continue;
    if (option(config, muc, 'wait_for_host_disable_auto_owners') !== true) {
      findings.push({
        level: 'warning',
        code: 'wait-for-host-auto-owners',
        where: describe(muc),
        message: 'mod_muc_wait_for_host makes EVERY token holder owner (moderator) of the room unless wait_for_host_disable_auto_owners = true: a participant token from the gateway becomes owner. Set wait_for_host_disable_auto_owners = true and load token_affiliation.',
      });
    }
    if (!loaded.has('token_affiliation')) {
      findings.push({
        level: 'warning',
        code: 'wait-for-host-without-token-affiliation',
        where: describe(muc),
        message: 'token_affiliation is not loaded on this MUC: with auto owners off, context.user.affiliation / moderator in the gateway\'s tokens decide nothing. Add "token_affiliation" to its modules_enabled.',
      });
    }
    if (domainBase === undefined) {
      findings.push({ level: 'warning', code: 'wait-for-host-without-domain-base', where: 'global section', message: 'muc_mapper_domain_base is not set: mod_muc_wait_for_host disables itself without it.' });
    }
    if (mainHost && !modules(config, mainHost).has('persistent_lobby')) {
      findings.push({
        level: 'warning',
        code: 'wait-for-host-without-persistent-lobby',
        where: describe(mainHost),
        message: 'mod_muc_wait_for_host needs persistent_lobby on the main VirtualHost (and the lobby component): add "persistent_lobby" to its modules_enabled.',
      });
    }
    if (loaded.has('token_verification') && option(config, muc, 'allow_empty_token') !== true) {
      const allowlist = new Set(strings(option(config, muc, 'token_verification_allowlist')));
      for (const guest of guestHosts) {
        if (!allowlist.has(guest.name)) {
          findings.push({
            level: 'warning',
            code: 'guests-not-allowlisted',
            where: describe(muc),
            message: `guests sign in on ${guest.name} without a token, and token_verification on this MUC turns them away: add token_verification_allowlist = { "${guest.name}" } so they can wait for a host (the main domain stays token-only).`,
          });
        }
      }
    }
  }
  return findings;
}
