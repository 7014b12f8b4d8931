import { namePattern } from '../config/schema.js';
import { GatewayError } from '../errors/gateway-error.js';
import { MAX_ROOM_INPUT_LENGTH } from '../tokens/room.js';
import { NONCE, type AuthorizationRequest } from '../token-service/authorize.js';
import { CODE_CHALLENGE } from '../token-service/pkce.js';

/**
 * Pure: what Jitsi's `tokenAuthUrl` request asks for, read from untrusted query parameters.
 *
 * Jitsi (react/features/authentication/functions.*.ts) fills `{room}` with the raw room name and
 * `{state}` with URL-encoded JSON: `room`, `roomSafe`, `tenant`, `refreshToken`, overrides named
 * `config.*` / `interfaceConfig.*` / `iceServers.*`, and `ios` / `android` / `electron`: true. With
 * tokenAuthInline the popup URL also gets `&nonce=<hex>`.
 *
 * Nothing here decides where the person goes: the destination is always built from the configured
 * target. Keys that try to (`url`, `redirect`, `target`, ... inside `{state}`) are ignored.
 */

export const MAX_STATE_LENGTH = 4096;
export const MAX_OVERRIDES = 20;
export const MAX_OVERRIDE_VALUE_LENGTH = 200;

/**
 * How the result reaches Jitsi. `sso`: Jitsi's own inline sign-in (`config.sso`, a tokenAuthUrl
 * with `{code_challenge}`): a code goes to Jitsi's static/sso.html, which redeems it at /token
 * (src/token-service/).
 */
export type ReturnMode = 'redirect' | 'inline' | 'ios' | 'android' | 'electron' | 'sso';
export const RETURN_MODES: readonly ReturnMode[] = ['redirect', 'inline', 'ios', 'android', 'electron', 'sso'];

/**
 * Jitsi config overrides carried to the meeting as `#config.<key>=<json>`: only keys about how the
 * person starts (media, pre-join screen, language). Nothing that changes where the client
 * connects, what it loads, or who it reports to (hosts, bosh, websocket, analytics, iceServers).
 */
export const ALLOWED_CONFIG_OVERRIDES: ReadonlySet<string> = new Set([
  'startWithAudioMuted',
  'startWithVideoMuted',
  'startAudioOnly',
  'startSilent',
  'startScreenSharing',
  'prejoinConfig.enabled',
  'prejoinPageEnabled',
  'defaultLanguage',
  'disableDeepLinking',
  'requireDisplayName',
  'subject',
]);

const OVERRIDE_KEY = /^config\.[A-Za-z][A-Za-z0-9]{0,63}(\.[A-Za-z][A-Za-z0-9]{0,63}){0,2}$/;
const REFRESH_HANDLE = /^[A-Za-z0-9_-]{43}$/;

export interface LoginQuery {
  /** The room as Jitsi named it (state.room, else `room`, else state.roomSafe). */
  room: string;
  tenant?: string | undefined;
  /** Name of a configured target (`target` parameter), or undefined for the default. */
  target?: string | undefined;
  /** Name of a provider (`provider` parameter), or undefined to choose. */
  provider?: string | undefined;
  /**
   * For a provider that fronts several IdPs (a federation): the one to sign in at (`entityID`
   * parameter, the name SAML discovery uses), so a portal can skip the discovery page. Checked
   * against the provider's members when the login starts.
   */
  member?: string | undefined;
  /** The discovery page's search text (`q`). */
  search?: string | undefined;
  refreshToken?: string | undefined;
  /**
   * `prompt=login` in the tokenAuthUrl: authenticate again at the IdP (OIDC prompt=login, CAS
   * renew) instead of reusing the gateway session or a refresh handle.
   */
  forceLogin: boolean;
  /** Hash parameters for the meeting URL: [`config.<key>`, JSON value]. */
  hashParams: Array<[string, string]>;
  mode: ReturnMode;
  /** Mode sso: what the token service binds the code to. */
  authorization?: AuthorizationRequest | undefined;
}

const bad = (message: string, detail: Record<string, unknown> = {}) =>
  new GatewayError('invalid_request', message, { detail });

/**
 * The discovery parameters (src/login/discovery.ts): `entityID`, the member IdP a portal names, is
 * any printable text up to 1024 characters (what SAML allows an entityID; whether it names a member
 * is for the provider's list to say, by exact comparison); `q`, the search text.
 */
export function parseMemberQuery(query: URLSearchParams): { member: string | undefined; search: string | undefined } {
  const member = single(query, 'entityID');
  if (member !== undefined && (member.length === 0 || member.length > 1024 || /[\u0000-\u0020\u007f-\u009f\u2028\u2029]/.test(member))) {
    throw bad('The parameter "entityID" does not name an institution.', { parameter: 'entityID' });
  }
  const search = single(query, 'q');
  return { member, search: search === undefined ? undefined : search.slice(0, 200) };
}

/** The single value of `name`, or undefined; a repeated parameter is refused. */
export function single(query: URLSearchParams, name: string): string | undefined {
  const values = query.getAll(name);
  if (values.length > 1) throw bad(`The parameter "${name}" is given more than once.`, { parameter: name });
  return values[0];
}

function flag(value: string | undefined): boolean {
  return value === '1' || value === 'true';
}

/** Parses `{state}`: a JSON object, at most MAX_STATE_LENGTH characters. */
export function parseState(raw: string | undefined): Record<string, unknown> {
  if (raw === undefined || raw === '' || raw === '{state}') return {};
  if (raw.length > MAX_STATE_LENGTH) {
    throw bad(`The login request is too large (its state is over ${MAX_STATE_LENGTH} characters).`, { stateLength: raw.length });
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw bad('The login request is malformed (its state is not valid JSON).', { stateLength: raw.length });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw bad('The login request is malformed (its state must be a JSON object).');
  }
  return value as Record<string, unknown>;
}

function optionalString(state: Record<string, unknown>, key: string, limit: number): string | undefined {
  if (!Object.hasOwn(state, key)) return undefined;
  const value = state[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw bad(`The login request is malformed (state.${key} must be a string).`);
  if (value.length > limit) {
    if (key === 'room' || key === 'roomSafe') {
      throw new GatewayError('invalid_room', `This room name cannot be used: the room name is longer than ${limit} characters.`, {
        detail: { roomLength: value.length },
      });
    }
    throw bad(`The login request is malformed (state.${key} is too long).`);
  }
  return value;
}

/** Keeps allowed `config.*` overrides with plain values; everything else is dropped. */
export function configOverrides(state: Record<string, unknown>): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(state)) {
    if (!OVERRIDE_KEY.test(key) || !ALLOWED_CONFIG_OVERRIDES.has(key.slice('config.'.length))) continue;
    let encoded: string;
    if (typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) encoded = JSON.stringify(value);
    else if (typeof value === 'string' && value.length <= MAX_OVERRIDE_VALUE_LENGTH) encoded = JSON.stringify(value);
    else continue;
    out.push([key, encoded]);
    if (out.length >= MAX_OVERRIDES) break;
  }
  return out;
}

/** Reads the whole request. Throws GatewayError 400 for anything malformed or oversized. */
export function parseLoginQuery(query: URLSearchParams): LoginQuery {
  const state = parseState(single(query, 'state'));
  const roomParam = single(query, 'room');
  if (roomParam !== undefined && roomParam.length > MAX_ROOM_INPUT_LENGTH) {
    throw new GatewayError('invalid_room', `This room name cannot be used: the room name is longer than ${MAX_ROOM_INPUT_LENGTH} characters.`, {
      detail: { roomLength: roomParam.length },
    });
  }
  const stateRoom = optionalString(state, 'room', MAX_ROOM_INPUT_LENGTH);
  const stateRoomSafe = optionalString(state, 'roomSafe', MAX_ROOM_INPUT_LENGTH);
  const tenant = optionalString(state, 'tenant', 256);
  // `{room}` is substituted unencoded by Jitsi, so `&` or `#` in a name cut it short: the JSON state is exact.
  const room = stateRoom || (roomParam !== '{room}' ? roomParam : undefined) || stateRoomSafe;
  if (!room) throw new GatewayError('invalid_room', 'No room was named: open the meeting link again.');

  const target = single(query, 'target');
  if (target !== undefined && !namePattern.test(target)) throw new GatewayError('unknown_target', 'This login link names no known Jitsi server.');
  const provider = single(query, 'provider');
  if (provider !== undefined && !namePattern.test(provider)) throw new GatewayError('unknown_provider', 'This login link names no known sign-in provider.');

  const { member, search } = parseMemberQuery(query);

  const prompt = single(query, 'prompt');
  if (prompt !== undefined && prompt !== 'login') throw bad('The parameter "prompt" can only be "login".', { parameter: 'prompt' });
  const forceLogin = prompt === 'login';

  const refresh = state.refreshToken;
  const refreshToken = typeof refresh === 'string' && REFRESH_HANDLE.test(refresh) ? refresh : undefined;

  const codeChallenge = single(query, 'code_challenge');
  if (codeChallenge !== undefined) {
    if (!CODE_CHALLENGE.test(codeChallenge)) throw bad('The parameter "code_challenge" must be an S256 challenge (43 base64url characters).', { parameter: 'code_challenge' });
    const nonce = single(query, 'nonce');
    if (nonce !== undefined && !NONCE.test(nonce)) throw bad('The parameter "nonce" is malformed.', { parameter: 'nonce' });
    const rawState = single(query, 'state');
    const authorization: AuthorizationRequest = {
      codeChallenge,
      nonce,
      state: rawState !== undefined && rawState !== '' ? rawState : JSON.stringify({ room, tenant: tenant || undefined }),
    };
    return { room, tenant: tenant || undefined, target, provider, member, search, refreshToken: undefined, forceLogin, hashParams: [], mode: 'sso', authorization };
  }

  let mode: ReturnMode = 'redirect';
  if (state.ios === true) mode = 'ios';
  else if (state.android === true) mode = 'android';
  else if (state.electron === true) mode = 'electron';
  else if (flag(single(query, 'inline')) || single(query, 'nonce') !== undefined) mode = 'inline';

  return { room, tenant: tenant || undefined, target, provider, member, search, refreshToken, forceLogin, hashParams: configOverrides(state), mode };
}
