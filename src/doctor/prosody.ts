import { createPublicKey } from 'node:crypto';
import { compactVerify, createLocalJWKSet, errors as joseErrors, importSPKI, type JWK } from 'jose';
import type { ProsodyAlgorithm } from '../tokens/settings.js';
import { asapName } from '../keys/keyring.js';
import { isJitsiFeature } from '../tokens/features.js';
import { backendSafeRoomName, normalizeTenant, RoomNameError } from '../tokens/room.js';
import { LuaPatternError, luaMatch } from './lua-pattern.js';

/**
 * "Would Prosody accept this token for this room?" — a typed re-implementation of the checks of
 * jitsi-meet's token plugin: `resources/prosody-plugins/token/util.lib.lua`
 * (process_and_verify_token, verify_room) and `luajwtjitsi.lib.lua` (verify), in their order,
 * with their defaults and quirks:
 *
 * - the token is split on "." *and* "\" with empty parts skipped, and must have three parts;
 * - with asap_key_server / cache_keys_url the header must carry `kid` and an RS* `alg` before
 *   anything else; the key is `<asap_key_server>/<hex sha256(kid)>.pem` joined with a plain "/",
 *   so a configured trailing slash yields "//";
 * - `typ` must be exactly "JWT"; `alg` exactly the configured signature_algorithm (default HS256
 *   with app_secret, RS256 with key servers);
 * - exp is rejected when now >= exp and nbf when now < nbf: zero clock skew; both are optional;
 * - `iss` must be in asap_accepted_issuers (default [app_id]) and `aud` present and in
 *   asap_accepted_audiences (default ["*"]), compared as whole values: an array never equals a
 *   string, so an array `aud` passes only with "*";
 * - `room` and `sub` are required, lowercased (ASCII, like Lua's string.lower) and compared with
 *   the room's JID: `room@conference.<sub>` or `[<sub>]room@conference.<base>` for tenants.
 *
 * Signatures are checked with jose (the project's rule for verification). Every other step is
 * pure; the only I/O is fetching keys, through `settings.httpGet` (replaceable in tests).
 * Things Prosody accepts but a gateway must never produce (`room: "*"`, `sub: "*"`, no exp,
 * nulls it passes on) are reported as passes with `warning: true`, or as failures where Prosody's
 * modules would break on them.
 */
export const RULES = ['format', 'typ', 'alg', 'kid', 'signature', 'iss', 'aud', 'exp', 'nbf', 'sub', 'room', 'context'] as const;
export type RuleName = (typeof RULES)[number];

export interface RuleResult {
  rule: RuleName;
  ok: boolean;
  message: string;
  /** Passes, but something a gateway must never produce or an operator should know. */
  warning?: boolean;
  /** Not evaluated because an earlier rule it depends on failed (ok is false). */
  skipped?: boolean;
}

export type Verdict = 'ACCEPT' | 'REJECT';

export interface DoctorReport {
  verdict: Verdict;
  /** In the order Prosody applies them. */
  rules: RuleResult[];
  /** The first failing rule when the verdict is REJECT. */
  failure?: RuleResult;
  /** Where the public key came from (URL), when it was fetched. */
  keyUrl?: string;
}

export interface HttpResponse {
  status: number;
  body: string;
}
export type HttpGet = (url: string) => Promise<HttpResponse>;

/** Prosody-side settings, named after their Prosody options. */
export interface ProsodySettings {
  /** app_id (required by Prosody; the default accepted issuer). */
  appId: string;
  /** app_secret, for HS256/384/512. */
  appSecret?: string | undefined;
  /** A public key (PEM) to verify RS* tokens with directly, without a key server. */
  publicKeyPem?: string | undefined;
  /** asap_key_server: keys are fetched from `<server>/<hex sha256(kid)>.pem`. */
  asapKeyServer?: string | undefined;
  /** cache_keys_url: a JWKS (or a kid → certificate PEM map) with the public keys. */
  cacheKeysUrl?: string | undefined;
  /** signature_algorithm; Prosody's default is RS256 with key servers, else HS256. */
  signatureAlgorithm?: ProsodyAlgorithm | undefined;
  /** asap_accepted_issuers (default [appId]). */
  acceptedIssuers?: readonly string[] | undefined;
  /** asap_accepted_audiences (default ["*"]). */
  acceptedAudiences?: readonly string[] | undefined;
  /** The XMPP domain of the virtual host (sub of tokens for rooms without tenant). */
  xmppDomain: string;
  /** The room name as in the meeting URL (raw, e.g. "Ärger" or "%C3%84rger"). */
  room: string;
  /** The tenant of /tenant/room URLs, as in the URL. */
  tenant?: string | undefined;
  /** Prosody's clock, seconds since the epoch (default: now). */
  now?: number | undefined;
  /** How keys are fetched (default: fetch, no redirects, 10 s timeout, like Prosody's net.http). */
  httpGet?: HttpGet | undefined;
}

export class DoctorSettingsError extends Error {
  override readonly name = 'DoctorSettingsError';
}

const ALGORITHMS: readonly ProsodyAlgorithm[] = ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512'];
const MODERATOR_AFFILIATIONS = new Set(['owner', 'moderator', 'teacher']);
const AFFILIATIONS = new Set(['owner', 'moderator', 'teacher', 'member']);

/** GET as Prosody's http_get_with_retry sees it: 200/204 are content, redirects are not followed. */
export const defaultHttpGet: HttpGet = async (url) => {
  const response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(10_000) });
  return { status: response.status, body: await response.text() };
};

type Mode = 'secret' | 'public-key' | 'key-server';
type Json = Record<string, unknown>;

interface Parsed {
  header: Json;
  payload: Json;
}

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const show = (value: unknown) => (typeof value === 'string' ? `"${value}"` : JSON.stringify(value) ?? String(value));
/** Lua's string.lower: ASCII only (C locale). */
const luaLower = (value: string) => value.replace(/[A-Z]+/g, (upper) => upper.toLowerCase());
const seconds = (value: number) => `${value} s`;

function validateSettings(settings: ProsodySettings): Mode {
  if (!settings.appId) throw new DoctorSettingsError("app_id is required (Prosody refuses to load without it)");
  if (!settings.xmppDomain) throw new DoctorSettingsError('the XMPP domain is required');
  if (settings.room === undefined || settings.room === '') throw new DoctorSettingsError('the room (as in the meeting URL) is required');
  if (settings.signatureAlgorithm !== undefined && !ALGORITHMS.includes(settings.signatureAlgorithm)) {
    throw new DoctorSettingsError(`signature_algorithm must be one of ${ALGORITHMS.join(', ')}`);
  }
  if (settings.publicKeyPem) return 'public-key';
  if (settings.asapKeyServer || settings.cacheKeysUrl) return 'key-server';
  if (settings.appSecret !== undefined && settings.appSecret !== '') return 'secret';
  throw new DoctorSettingsError('one of app_secret, a public key, asap_key_server or cache_keys_url is required');
}

/** luajwtjitsi's split_token: gmatch("[^\\.]+") splits on "." and "\" and skips empty parts. */
export function prosodySegments(token: string): string[] {
  return token.split(/[.\\]/).filter((part) => part !== '');
}

/** basexx.from_url64: "-_" → "+/", "=" ignored, any other character outside base64 is an error. */
function fromUrl64(segment: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/_=-]*$/.test(segment)) return undefined;
  return Buffer.from(segment.replaceAll('=', ''), 'base64url');
}

function parseJsonObject(bytes: Buffer | undefined): Json | undefined {
  if (!bytes) return undefined;
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function checkFormat(token: string): { result: RuleResult; parsed?: Parsed } {
  const fail = (message: string): { result: RuleResult } => ({ result: { rule: 'format', ok: false, message } });
  if (typeof token !== 'string' || token.length === 0) return fail('the token is empty');
  const segments = prosodySegments(token);
  const dotted = token.split('.');
  if (segments.length !== 3) {
    const header = dotted.length >= 2 ? parseJsonObject(fromUrl64(dotted[0] ?? '')) : undefined;
    if (header && typeof header.alg === 'string' && header.alg.toLowerCase() === 'none') {
      return fail(`an unsigned token (alg "${header.alg}", empty signature): Prosody finds ${segments.length} parts instead of 3 ("Invalid token"); alg "none" is never accepted`);
    }
    return fail(`Prosody splits the token into ${segments.length} non-empty part(s) at "." and "\\"; a JWT has 3 (header.payload.signature) ("Invalid token")`);
  }
  if (dotted.length !== 3 || token.includes('\\')) {
    return fail('the token has empty parts or backslashes: Prosody would split and re-join it differently from every JWT library ("Invalid token")');
  }
  const [headerPart, payloadPart, signaturePart] = segments as [string, string, string];
  const header = parseJsonObject(fromUrl64(headerPart));
  if (!header) return fail('the header is not base64url-encoded JSON object ("Invalid header")');
  const payload = parseJsonObject(fromUrl64(payloadPart));
  if (!payload) return fail('the payload is not a base64url-encoded JSON object ("Invalid body")');
  if (!fromUrl64(signaturePart)) return fail('the signature is not base64url ("Invalid signature")');
  if (/[+/=]/.test(token)) {
    return {
      result: { rule: 'format', ok: true, warning: true, message: 'three parts, JSON header and payload; uses "+", "/" or "=" which Prosody tolerates but base64url JWTs never contain' },
      parsed: { header, payload },
    };
  }
  return { result: { rule: 'format', ok: true, message: 'three base64url parts; header and payload are JSON objects' }, parsed: { header, payload } };
}

function checkTyp(header: Json): RuleResult {
  if (header.typ === 'JWT') return { rule: 'typ', ok: true, message: 'typ is "JWT"' };
  if (header.typ === undefined) {
    return { rule: 'typ', ok: false, message: 'the header has no typ; Prosody requires typ "JWT" (jose sets it only when asked) ("Invalid typ")' };
  }
  return { rule: 'typ', ok: false, message: `typ is ${show(header.typ)}; Prosody requires exactly "JWT" (case-sensitive) ("Invalid typ")` };
}

function checkAlg(header: Json, mode: Mode, expected: ProsodyAlgorithm, explicit: boolean): RuleResult {
  const alg = header.alg;
  if (alg === undefined || alg === null) return { rule: 'alg', ok: false, message: "the header has no alg ('alg' claim is missing)" };
  if (typeof alg !== 'string') return { rule: 'alg', ok: false, message: `alg is ${show(alg)}, not a string` };
  if (alg.toLowerCase() === 'none') return { rule: 'alg', ok: false, message: `alg "${alg}": unsigned tokens are never accepted` };
  if (mode === 'key-server' && !alg.startsWith('RS')) {
    return {
      rule: 'alg',
      ok: false,
      message: `alg "${alg}": with asap_key_server or cache_keys_url Prosody only takes RS256/384/512 ("'kid' claim only support with RS family")`,
    };
  }
  if (!(ALGORITHMS as readonly string[]).includes(alg)) {
    return { rule: 'alg', ok: false, message: `alg "${alg}" is not supported by Prosody's token plugin (only HS256/384/512 and RS256/384/512; no ES*, PS* or EdDSA)` };
  }
  if (alg !== expected) {
    const source = explicit ? 'signature_algorithm' : `the default signature_algorithm with ${mode === 'secret' ? 'app_secret' : 'public keys'}`;
    const family = alg.slice(0, 2) !== expected.slice(0, 2)
      ? ` (an ${alg.slice(0, 2)} token needs ${alg.startsWith('HS') ? 'app_secret' : 'public keys (asap_key_server or cache_keys_url)'})`
      : '';
    return { rule: 'alg', ok: false, message: `alg is "${alg}" but this Prosody expects "${expected}" (${source})${family} ("Invalid or incorrect alg")` };
  }
  return { rule: 'alg', ok: true, message: `alg "${alg}", as this Prosody expects` };
}

function checkKid(header: Json, mode: Mode): RuleResult {
  if (mode !== 'key-server') {
    return { rule: 'kid', ok: true, message: header.kid === undefined ? `not needed (${mode === 'secret' ? 'app_secret' : 'a configured public key'})` : `not used (${mode === 'secret' ? 'app_secret' : 'a configured public key'} verifies every token)` };
  }
  if (header.kid === undefined) {
    return { rule: 'kid', ok: false, message: "the header has no kid; Prosody needs it to find the public key (\"'kid' claim is missing\")" };
  }
  if (typeof header.kid !== 'string') return { rule: 'kid', ok: false, message: `kid is ${show(header.kid)}, not a string` };
  return { rule: 'kid', ok: true, message: `kid "${header.kid}"` };
}

type VerifyKey = { kind: 'secret'; key: Uint8Array } | { kind: 'pem'; pem: string; from: string } | { kind: 'jwk'; jwk: JWK; from: string };

/** Any PEM Prosody's pkey.new reads (SPKI, PKCS#1, certificate, even a private key) as SPKI PEM. */
function toSpki(pem: string): string | undefined {
  try {
    return createPublicKey(pem).export({ format: 'pem', type: 'spki' }).toString();
  } catch {
    return undefined;
  }
}

async function resolveKey(
  header: Json,
  mode: Mode,
  settings: ProsodySettings,
  httpGet: HttpGet,
): Promise<{ key?: VerifyKey; error?: string; keyUrl?: string }> {
  if (mode === 'secret') return { key: { kind: 'secret', key: new TextEncoder().encode(settings.appSecret ?? '') } };
  if (mode === 'public-key') return { key: { kind: 'pem', pem: settings.publicKeyPem ?? '', from: 'the configured public key' } };
  const kid = header.kid as string;
  const notes: string[] = [];
  if (settings.cacheKeysUrl) {
    const url = settings.cacheKeysUrl;
    const fetched = await get(httpGet, url);
    if (fetched.body === undefined) {
      notes.push(`cache_keys_url ${url}: ${fetched.error}`);
    } else {
      const found = findInKeySet(fetched.body, kid);
      if (found) return { key: { ...found, from: `cache_keys_url ${url}` }, keyUrl: url };
      notes.push(`kid "${kid}" is not among the RSA keys of ${url}`);
    }
  }
  if (!settings.asapKeyServer) {
    return { error: `could not obtain public key: ${notes.join('; ')} (and no asap_key_server to fall back to)`, keyUrl: settings.cacheKeysUrl };
  }
  // Prosody: path.join(asap_key_server, hex(sha256(kid)) .. '.pem') — a plain "/" concatenation.
  const keyUrl = `${settings.asapKeyServer}/${asapName(kid)}.pem`;
  const fetched = await get(httpGet, keyUrl);
  if (fetched.body === undefined) {
    const slash = settings.asapKeyServer.endsWith('/')
      ? ` — asap_key_server ends with "/", so Prosody requests "//${asapName(kid).slice(0, 8)}…"; remove the trailing slash`
      : '';
    notes.push(`GET ${keyUrl}: ${fetched.error}${slash}`);
    return { error: `could not obtain public key: ${notes.join('; ')}`, keyUrl };
  }
  return { key: { kind: 'pem', pem: fetched.body, from: keyUrl }, keyUrl };
}

async function get(httpGet: HttpGet, url: string): Promise<{ body?: string; error?: string }> {
  try {
    const response = await httpGet(url);
    if (response.status === 200 || response.status === 204) return { body: response.body };
    const redirect = response.status >= 300 && response.status < 400 ? ' (Prosody does not follow redirects)' : '';
    return { error: `HTTP ${response.status}${redirect}` };
  } catch (error) {
    return { error: error instanceof Error ? `${error.name === 'TimeoutError' ? 'timed out' : error.message}` : String(error) };
  }
}

/** Prosody's cache_keys_url parsing: JWKS `keys` by kid (RSA only, last wins) or kid → certificate PEM. */
function findInKeySet(body: string, kid: string): { kind: 'jwk'; jwk: JWK } | { kind: 'pem'; pem: string } | undefined {
  let document: unknown;
  try {
    document = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!isObject(document)) return undefined;
  let found: { kind: 'jwk'; jwk: JWK } | { kind: 'pem'; pem: string } | undefined;
  for (const [name, value] of Object.entries(document)) {
    if (name === 'keys' && Array.isArray(value)) {
      for (const entry of value) {
        if (isObject(entry) && entry.kid === kid && entry.kty === 'RSA' && typeof entry.n === 'string' && typeof entry.e === 'string') {
          // Prosody converts n/e to a PEM and ignores alg/use/key_ops: so does the doctor.
          found = { kind: 'jwk', jwk: { kty: 'RSA', n: entry.n, e: entry.e, kid } };
        }
      }
    } else if (name === kid && typeof value === 'string' && value.startsWith('-----BEGIN CERTIFICATE-----')) {
      found = { kind: 'pem', pem: value };
    }
  }
  return found;
}

async function checkSignature(token: string, key: VerifyKey, alg: ProsodyAlgorithm): Promise<RuleResult> {
  const options = { algorithms: [alg] };
  try {
    if (key.kind === 'secret') {
      await compactVerify(token, key.key, options);
      return { rule: 'signature', ok: true, message: `verified with app_secret (${alg})` };
    }
    if (key.kind === 'jwk') {
      await compactVerify(token, createLocalJWKSet({ keys: [key.jwk] }), options);
      return { rule: 'signature', ok: true, message: `verified with the key "${key.jwk.kid}" from ${key.from}` };
    }
    const spki = toSpki(key.pem);
    if (!spki) return { rule: 'signature', ok: false, message: `${key.from} is not a PEM public key Prosody could read ("Invalid signature")` };
    const publicKey = await importSPKI(spki, alg);
    await compactVerify(token, publicKey, options);
    return { rule: 'signature', ok: true, message: `verified with ${key.from}` };
  } catch (error) {
    if (error instanceof joseErrors.JWSSignatureVerificationFailed) {
      const which = key.kind === 'secret' ? 'app_secret' : key.kind === 'jwk' ? `the key "${key.jwk.kid}" from ${key.from}` : key.from;
      return { rule: 'signature', ok: false, message: `the signature does not verify with ${which} ("Invalid signature")` };
    }
    return { rule: 'signature', ok: false, message: `cannot verify: ${error instanceof Error ? error.message : String(error)}` };
  }
}

function checkExp(payload: Json, now: number): RuleResult {
  const exp = payload.exp;
  if (exp === undefined || exp === false) {
    return { rule: 'exp', ok: true, warning: true, message: 'no exp: Prosody accepts this token forever; a gateway must always set exp' };
  }
  if (typeof exp !== 'number') return { rule: 'exp', ok: false, message: `exp is ${show(exp)}: "exp must be number"` };
  if (now >= exp) {
    const ago = now - exp;
    return {
      rule: 'exp',
      ok: false,
      message: ago === 0
        ? `expires exactly now (${new Date(exp * 1000).toISOString()}); Prosody rejects when now >= exp, with no clock skew`
        : `expired ${seconds(ago)} ago (${new Date(exp * 1000).toISOString()}); Prosody allows no clock skew`,
    };
  }
  const lifetime = exp - (typeof payload.iat === 'number' ? payload.iat : now);
  if (lifetime > 86_400) {
    return { rule: 'exp', ok: true, warning: true, message: `valid for another ${seconds(exp - now)}; a lifetime of ${seconds(lifetime)} is hours, gateway tokens should live minutes` };
  }
  return { rule: 'exp', ok: true, message: `valid for another ${seconds(exp - now)}` };
}

function checkNbf(payload: Json, now: number): RuleResult {
  const nbf = payload.nbf;
  if (nbf === undefined || nbf === false) return { rule: 'nbf', ok: true, message: 'no nbf (not required by Prosody)' };
  if (typeof nbf !== 'number') return { rule: 'nbf', ok: false, message: `nbf is ${show(nbf)}: "nbf must be number"` };
  if (now < nbf) {
    return { rule: 'nbf', ok: false, message: `not valid for another ${seconds(nbf - now)} (nbf is in the future); Prosody allows no clock skew, so mint nbf a little in the past ("Not acceptable by nbf")` };
  }
  if (now - nbf < 5) {
    return { rule: 'nbf', ok: true, warning: true, message: `valid since ${seconds(now - nbf)} only: a Prosody clock slightly behind would reject it; mint nbf ~30 s in the past` };
  }
  return { rule: 'nbf', ok: true, message: `valid since ${seconds(now - nbf)}` };
}

function checkIss(payload: Json, accepted: readonly string[], defaulted: boolean): RuleResult {
  const iss = payload.iss;
  const list = `${defaulted ? 'the default ' : ''}asap_accepted_issuers ${JSON.stringify(accepted)}`;
  if (iss === undefined) return { rule: 'iss', ok: false, message: "'iss' claim is missing" };
  if (accepted.includes('*')) return { rule: 'iss', ok: true, message: `iss ${show(iss)} (every issuer is accepted: "*")` };
  if (typeof iss === 'string' && accepted.includes(iss)) return { rule: 'iss', ok: true, message: `iss "${iss}" is in ${list}` };
  const caseOnly = typeof iss === 'string' && accepted.some((value) => value.toLowerCase() === iss.toLowerCase()) ? '; it differs only in case, and Prosody compares case-sensitively' : '';
  return { rule: 'iss', ok: false, message: `iss ${show(iss)} is not in ${list}${caseOnly} ("invalid 'iss' claim")` };
}

function checkAud(payload: Json, accepted: readonly string[], defaulted: boolean): RuleResult {
  const aud = payload.aud;
  const list = `${defaulted ? 'the default ' : ''}asap_accepted_audiences ${JSON.stringify(accepted)}`;
  if (aud === undefined) return { rule: 'aud', ok: false, message: "'aud' claim is missing; Prosody requires it even when it accepts every audience" };
  if (accepted.includes('*')) {
    if (Array.isArray(aud)) {
      return { rule: 'aud', ok: true, warning: true, message: `aud is an array; it passes only because ${list} contains "*" — use a single string` };
    }
    return { rule: 'aud', ok: true, message: `aud ${show(aud)} (${list} accepts every audience)` };
  }
  if (Array.isArray(aud)) {
    return { rule: 'aud', ok: false, message: `aud is an array ${show(aud)}; Prosody compares the whole claim with each of ${list}, so an array only passes with "*" ("invalid 'aud' claim")` };
  }
  if (typeof aud === 'string' && accepted.includes(aud)) return { rule: 'aud', ok: true, message: `aud "${aud}" is in ${list}` };
  return { rule: 'aud', ok: false, message: `aud ${show(aud)} is not in ${list} ("invalid 'aud' claim")` };
}

function checkRoom(payload: Json, settings: ProsodySettings): RuleResult {
  const claim = payload.room;
  if (claim === undefined) return { rule: 'room', ok: false, message: 'room claim is missing (asap_require_room_claim is on by default)' };
  if (typeof claim !== 'string') return { rule: 'room', ok: false, message: `room is ${show(claim)}, not a string` };
  let expected: string;
  try {
    expected = backendSafeRoomName(settings.room);
  } catch (error) {
    const reason = error instanceof RoomNameError ? error.message : String(error);
    return { rule: 'room', ok: false, message: `the URL's room ${show(settings.room)} cannot be checked: ${reason}` };
  }
  const authRoom = luaLower(claim);
  if (authRoom === '*') {
    return { rule: 'room', ok: true, warning: true, message: 'room "*" lets this token into every room; Prosody accepts it, but a gateway must never mint it for a person' };
  }
  const context = isObject(payload.context) ? payload.context : undefined;
  const roomContext = context && isObject(context.room) ? context.room : undefined;
  if (roomContext && (roomContext.regex === true || roomContext.regex === 'true')) {
    let matched: string | undefined;
    try {
      matched = luaMatch(expected, authRoom);
    } catch (error) {
      const reason = error instanceof LuaPatternError ? error.message : String(error);
      return { rule: 'room', ok: false, message: `context.room.regex is set and room ${show(claim)} is a Lua pattern the doctor cannot evaluate (${reason})` };
    }
    if (matched === expected) {
      return { rule: 'room', ok: true, warning: true, message: `room pattern ${show(claim)} matches "${expected}" (context.room.regex); a gateway never mints patterns` };
    }
    return { rule: 'room', ok: false, message: `room pattern ${show(claim)} (context.room.regex) does not match the whole room "${expected}"` };
  }
  if (authRoom === expected) {
    if (claim !== authRoom) {
      return { rule: 'room', ok: true, warning: true, message: `room ${show(claim)} matches "${expected}" only because Prosody lowercases it; mint the lowercase backend-safe name` };
    }
    return { rule: 'room', ok: true, message: `room "${claim}" is the backend-safe name of ${show(settings.room)}` };
  }
  let hint = '';
  if (claim === settings.room || authRoom === luaLower(settings.room) || claim.normalize('NFKC').toLowerCase() === settings.room.normalize('NFKC').toLowerCase()) {
    hint = ' — the claim is the raw URL name; Prosody compares the backend-safe form (decodeURIComponent → NFKC → lowercase → encodeURIComponent → lowercase)';
  }
  return { rule: 'room', ok: false, message: `room ${show(claim)} is not this meeting: Prosody expects "${expected}" for ${show(settings.room)}${hint}` };
}

function checkSub(payload: Json, settings: ProsodySettings): RuleResult {
  const sub = payload.sub;
  if (sub === undefined) return { rule: 'sub', ok: false, message: 'sub claim is missing' };
  if (typeof sub !== 'string') return { rule: 'sub', ok: false, message: `sub is ${show(sub)}, not a string` };
  const authDomain = luaLower(sub);
  const tenant = settings.tenant ? normalizeTenant(settings.tenant) : undefined;
  if (authDomain === '*') {
    return { rule: 'sub', ok: true, warning: true, message: 'sub "*" is valid for every tenant and domain; Prosody accepts it, but a gateway must never mint it for a person' };
  }
  const expected = tenant ?? settings.xmppDomain.toLowerCase();
  const what = tenant ? `the tenant "${expected}" (of /${settings.tenant}/…, lowercase)` : `the XMPP domain "${expected}" (rooms without tenant)`;
  if (authDomain === expected) {
    if (sub !== authDomain) {
      return { rule: 'sub', ok: true, warning: true, message: `sub "${sub}" matches ${what} only because Prosody lowercases it; mint it lowercase` };
    }
    return { rule: 'sub', ok: true, message: `sub is ${what}` };
  }
  let hint = '';
  if (tenant && authDomain === settings.xmppDomain.toLowerCase()) hint = ' — for /tenant/room URLs sub is the tenant, not the XMPP domain';
  else if (!tenant && !authDomain.includes('.')) hint = ' — looks like a tenant, but this room URL has none';
  else if (!tenant) hint = ' — the XMPP domain can differ from the public hostname';
  return { rule: 'sub', ok: false, message: `sub "${sub}" does not match: Prosody expects ${what}${hint}` };
}

function checkContext(payload: Json, settings: ProsodySettings): RuleResult {
  const notes: string[] = [];
  if (payload.moderator !== undefined) notes.push('a top-level "moderator" claim is ignored (use context.user.moderator or context.user.affiliation)');
  if (!('context' in payload) || payload.context === undefined) {
    return { rule: 'context', ok: true, warning: true, message: ['no context: the person joins without id or name, as a participant', ...notes].join('; ') };
  }
  const context = payload.context;
  if (context === null) return { rule: 'context', ok: false, message: 'context is null; Prosody indexes it and fails — omit it instead' };
  if (!isObject(context)) return { rule: 'context', ok: false, message: `context is ${Array.isArray(context) ? 'an array' : typeof context}, not an object` };
  for (const [key, value] of Object.entries(context)) {
    if (value === null) return { rule: 'context', ok: false, message: `context.${key} is null; Prosody passes JSON null on as a value modules cannot read — omit the field` };
  }
  let role = 'participant';
  const user = context.user;
  if (user !== undefined) {
    if (!isObject(user)) return { rule: 'context', ok: false, message: `context.user is ${Array.isArray(user) ? 'an array' : typeof user}, not an object` };
    for (const [key, value] of Object.entries(user)) {
      if (value === null) return { rule: 'context', ok: false, message: `context.user.${key} is null; Prosody and the Jitsi client read it as a value — omit the field instead` };
    }
    for (const key of ['id', 'name', 'email', 'avatar']) {
      if (user[key] !== undefined && typeof user[key] !== 'string') notes.push(`context.user.${key} is ${typeof user[key]}, not a string`);
    }
    if (user.moderator !== undefined && typeof user.moderator !== 'boolean') notes.push(`context.user.moderator is ${show(user.moderator)}; use true or false`);
    if (user.affiliation !== undefined && (typeof user.affiliation !== 'string' || !AFFILIATIONS.has(user.affiliation))) {
      notes.push(`context.user.affiliation ${show(user.affiliation)} is not owner, moderator, teacher or member`);
    }
    if (user.lobby_bypass !== undefined && typeof user.lobby_bypass !== 'boolean') notes.push(`context.user.lobby_bypass is ${show(user.lobby_bypass)}; use true or false`);
    if (user.moderator === true || user.moderator === 'true' || (typeof user.affiliation === 'string' && MODERATOR_AFFILIATIONS.has(user.affiliation))) role = 'moderator';
  } else {
    notes.push('no context.user: the person joins without id or name');
  }
  if (context.features !== undefined) {
    if (!isObject(context.features)) notes.push('context.features is not an object');
    else {
      for (const [key, value] of Object.entries(context.features)) {
        if (value === null) return { rule: 'context', ok: false, message: `context.features.${key} is null — omit it or use true/false` };
        if (!isJitsiFeature(key)) notes.push(`context.features.${key} is not a feature Jitsi knows`);
        else if (typeof value !== 'boolean' && value !== 'true' && value !== 'false') notes.push(`context.features.${key} is ${show(value)}, not a boolean`);
      }
    }
  }
  if (typeof context.tenant === 'string') {
    const urlTenant = settings.tenant ? normalizeTenant(settings.tenant) : '';
    if (context.tenant.toLowerCase() !== urlTenant) {
      notes.push(`context.tenant "${context.tenant}" differs from the URL's tenant ${urlTenant ? `"${urlTenant}"` : '(none)'}: Prosody logs a mismatch, and rooms with allowUnauthenticatedAccess = false refuse it`);
    }
  }
  const fields = isObject(user) ? Object.keys(user).join(', ') : '';
  const summary = `joins as ${role}${fields ? ` (context.user: ${fields})` : ''}`;
  return notes.length > 0
    ? { rule: 'context', ok: true, warning: true, message: `${summary}; ${notes.join('; ')}` }
    : { rule: 'context', ok: true, message: summary };
}

const skipped = (rule: RuleName, because: string): RuleResult => ({ rule, ok: false, skipped: true, message: `not checked: ${because}` });

/** Applies Prosody's checks to a token for a room. Throws DoctorSettingsError for unusable settings. */
export async function diagnose(token: string, settings: ProsodySettings): Promise<DoctorReport> {
  const mode = validateSettings(settings);
  const now = Math.floor(settings.now ?? Date.now() / 1000);
  const expected = settings.signatureAlgorithm ?? (mode === 'secret' ? 'HS256' : 'RS256');
  const rules: RuleResult[] = [];
  const format = checkFormat(token);
  rules.push(format.result);
  let keyUrl: string | undefined;
  if (format.parsed) {
    const { header, payload } = format.parsed;
    const typ = checkTyp(header);
    const alg = checkAlg(header, mode, expected, settings.signatureAlgorithm !== undefined);
    const kid = checkKid(header, mode);
    // With key servers Prosody reads kid and the alg family before luajwtjitsi checks typ.
    if (mode === 'key-server') rules.push(kid, alg, typ);
    else rules.push(typ, alg, kid);
    if (!alg.ok || !kid.ok) {
      rules.push(skipped('signature', `no key can be chosen (${!kid.ok ? 'kid' : 'alg'} failed)`));
    } else {
      const resolved = await resolveKey(header, mode, settings, settings.httpGet ?? defaultHttpGet);
      keyUrl = resolved.keyUrl;
      if (resolved.key) rules.push(await checkSignature(token, resolved.key, expected));
      else rules.push({ rule: 'signature', ok: false, message: resolved.error ?? 'could not obtain public key' });
    }
    const issuers = settings.acceptedIssuers && settings.acceptedIssuers.length > 0 ? settings.acceptedIssuers : [settings.appId];
    const audiences = settings.acceptedAudiences && settings.acceptedAudiences.length > 0 ? settings.acceptedAudiences : ['*'];
    rules.push(
      checkExp(payload, now),
      checkNbf(payload, now),
      checkIss(payload, issuers, issuers !== settings.acceptedIssuers),
      checkAud(payload, audiences, audiences !== settings.acceptedAudiences),
      checkRoom(payload, settings),
      checkSub(payload, settings),
      checkContext(payload, settings),
    );
  }
  const failure = rules.find((result) => !result.ok);
  return { verdict: failure ? 'REJECT' : 'ACCEPT', rules, ...(failure ? { failure } : {}), ...(keyUrl ? { keyUrl } : {}) };
}
