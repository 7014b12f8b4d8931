/**
 * Scratch measurements for HS256 minting (not a bench case; run.ts does not load it):
 *   npx tsc -p . && node dist/bench/scratch/hs256-alternatives.js [rounds] [name filter]
 *
 * Where does JitsiTarget.issue() spend its time beyond the bare HMAC, and which changes to
 * src/tokens/signer.ts / claims.ts would buy it back? Each line is a variant of the whole
 * mint (claims → JSON → base64url → HMAC → token) or one of its parts, as a ratio to the bare
 * createHmac('sha256', KeyObject).update(input).digest('base64url') of the same signing input,
 * interleaved with it (CPU time, medians), like the bench cases.
 */
import { createHmac, createSecretKey, hash, randomBytes, randomUUID } from 'node:crypto';
import { buildClaims, type JitsiClaims } from '../../src/tokens/claims.js';
import { filterFeatures } from '../../src/tokens/features.js';
import { benchTarget, SECRET, typicalRequest } from '../lib/fixtures.js';
import { calibrate, interleave, runFor } from '../lib/measure.js';

const target = benchTarget('HS256');
const request = typicalRequest(target);
const { token: sample, claims: sampleClaims } = target.issue(request);
const input = sample.slice(0, sample.lastIndexOf('.'));
const prefix = `${sample.slice(0, sample.indexOf('.'))}.`;
const key = createSecretKey(Buffer.from(SECRET, 'utf8'));
const bare = () => createHmac('sha256', key).update(input).digest('base64url');

/** JSON string literal: a template for strings that need no escaping, JSON.stringify otherwise. */
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /["\\\u0000-\u001f\u2028\u2029\ud800-\udfff]/;
const str = (value: string) => (NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : `"${value}"`);

/** A serializer for exactly the JitsiClaims shape (same output as JSON.stringify for it). */
function serializeClaims(claims: JitsiClaims): string {
  const { user, features, tenant, group } = claims.context;
  let userJson = '';
  for (const name in user) {
    // Keys are buildClaims' fixed names (id, name, email, avatar, moderator, affiliation, lobby_bypass).
    const value = user[name];
    userJson += `${userJson === '' ? '' : ','}"${name}":${typeof value === 'string' ? str(value) : value ? 'true' : 'false'}`;
  }
  let context = `{"user":{${userJson}}`;
  if (features) context += `,"features":${JSON.stringify(features)}`;
  if (tenant !== undefined) context += `,"tenant":${str(tenant)}`;
  if (group !== undefined) context += `,"group":${str(group)}`;
  return `{"iss":${str(claims.iss)},"aud":${str(claims.aud)},"sub":${str(claims.sub)},"room":${str(claims.room)},"iat":${claims.iat},"nbf":${claims.nbf},"exp":${claims.exp},"jti":${str(claims.jti)},"context":${context}}}`;
}

if (serializeClaims(sampleClaims) !== JSON.stringify(sampleClaims)) throw new Error('serializeClaims differs from JSON.stringify');

/** Claims as issue() builds them (features filter, jti, clock). */
const claimsNow = (jti: string) =>
  buildClaims({
    issuer: target.issuer,
    audience: target.config.audience,
    sub: request.location.tenant ?? target.config.xmppDomain,
    room: request.location.room,
    tenant: request.location.tenant,
    group: target.config.group,
    user: request.user,
    features: filterFeatures(request.features, target.allowedFeatures),
    now: Math.floor(Date.now() / 1000),
    ttlSeconds: target.ttlFor(request.ttlSeconds),
    nbfSkewSeconds: target.config.nbfSkewSeconds,
    jti,
  });

const hmac = (data: string | Buffer) => createHmac('sha256', key).update(data).digest('base64url');

/** jti from a per-process random prefix and a counter (unique, 30x cheaper than randomUUID). */
const jtiPrefix = randomBytes(12).toString('base64url');
let jtiCounter = 0;
const counterJti = () => `${jtiPrefix}${(jtiCounter++).toString(36)}`;

/** RFC 2104 HMAC from two one-shot crypto.hash calls (Node >= 20.12), no Hmac object per token. */
const block = Buffer.alloc(64);
Buffer.from(SECRET, 'utf8').copy(block);
const scratch = Buffer.allocUnsafe(64 * 1024);
for (let i = 0; i < 64; i += 1) scratch[i] = (block[i] as number) ^ 0x36;
const outer = Buffer.allocUnsafe(96);
for (let i = 0; i < 64; i += 1) outer[i] = (block[i] as number) ^ 0x5c;
function oneShotHmac(data: string): string {
  const length = scratch.write(data, 64, 'utf8');
  hash('sha256', scratch.subarray(0, 64 + length), 'buffer').copy(outer, 64);
  return hash('sha256', outer, 'base64url');
}
if (oneShotHmac(input) !== bare()) throw new Error('one-shot HMAC differs from createHmac');

/** base64url of a string's UTF-8 via a reused Buffer: no Buffer object per token. */
const encodeArea = Buffer.allocUnsafe(16 * 1024);
function base64urlOf(text: string): string {
  if (text.length * 3 > encodeArea.length) return Buffer.from(text, 'utf8').toString('base64url');
  const length = encodeArea.write(text, 0, 'utf8');
  return encodeArea.toString('base64url', 0, length);
}
if (base64urlOf(JSON.stringify(sampleClaims)) !== Buffer.from(JSON.stringify(sampleClaims)).toString('base64url')) throw new Error('base64urlOf differs');

const variants: Record<string, () => unknown> = {
  'issue() as it is': () => target.issue(request),
  'signer.sign(prebuilt claims)': () => target.signer.sign(sampleClaims),
  'parts: randomUUID()': () => randomUUID(),
  'parts: counter jti': () => counterJti(),
  'parts: one-shot crypto.hash HMAC': () => oneShotHmac(input),
  'parts: buildClaims + filterFeatures + Date.now': () => claimsNow('x'),
  'parts: JSON.stringify(claims)': () => JSON.stringify(sampleClaims),
  'parts: serializeClaims(claims)': () => serializeClaims(sampleClaims),
  'parts: Buffer.from(json).toString(base64url)': () => Buffer.from(JSON.stringify(sampleClaims)).toString('base64url'),
  'parts: base64urlOf(json) (reused Buffer)': () => base64urlOf(JSON.stringify(sampleClaims)),
  'mint: JSON.stringify (= signer.ts today)': () => {
    const signing = prefix + Buffer.from(JSON.stringify(claimsNow(randomUUID()))).toString('base64url');
    return `${signing}.${hmac(signing)}`;
  },
  'mint: serializeClaims instead of JSON.stringify': () => {
    const signing = prefix + Buffer.from(serializeClaims(claimsNow(randomUUID()))).toString('base64url');
    return `${signing}.${hmac(signing)}`;
  },
  'mint: serializeClaims + counter jti': () => {
    const signing = prefix + Buffer.from(serializeClaims(claimsNow(counterJti()))).toString('base64url');
    return `${signing}.${hmac(signing)}`;
  },
  'mint: serializeClaims + counter jti + reused encode Buffer': () => {
    const signing = prefix + base64urlOf(serializeClaims(claimsNow(counterJti())));
    return `${signing}.${hmac(signing)}`;
  },
  'mint: JSON.stringify + reused encode Buffer': () => {
    const signing = prefix + base64urlOf(JSON.stringify(claimsNow(randomUUID())));
    return `${signing}.${hmac(signing)}`;
  },
  'mint: JSON.stringify + reused encode Buffer + counter jti': () => {
    const signing = prefix + base64urlOf(JSON.stringify(claimsNow(counterJti())));
    return `${signing}.${hmac(signing)}`;
  },
  'mint: serializeClaims + reused encode Buffer (randomUUID kept)': () => {
    const signing = prefix + base64urlOf(serializeClaims(claimsNow(randomUUID())));
    return `${signing}.${hmac(signing)}`;
  },
  'mint: serializeClaims + counter jti + one-shot HMAC': () => {
    const signing = prefix + Buffer.from(serializeClaims(claimsNow(counterJti()))).toString('base64url');
    return `${signing}.${oneShotHmac(signing)}`;
  },
  'mint: JSON.stringify, payload as latin1 (wrong for non-ASCII)': () => {
    const signing = prefix + Buffer.from(JSON.stringify(claimsNow(randomUUID())), 'latin1').toString('base64url');
    return `${signing}.${hmac(signing)}`;
  },
  'mint: serializeClaims, HMAC over a Buffer': () => {
    const signing = prefix + Buffer.from(serializeClaims(claimsNow(randomUUID()))).toString('base64url');
    return `${signing}.${hmac(Buffer.from(signing, 'latin1'))}`;
  },
  'mint: serializeClaims, HMAC updated in two parts': () => {
    const payload = Buffer.from(serializeClaims(claimsNow(randomUUID()))).toString('base64url');
    const signature = createHmac('sha256', key).update(prefix).update(payload).digest('base64url');
    return `${prefix}${payload}.${signature}`;
  },
};

const rounds = Number(process.argv[2] ?? 7);
const only = process.argv[3];
const baseBatch = calibrate(bare, 200);
process.stdout.write(`ratio to bare HMAC-SHA256 over ${input.length} bytes (CPU time, median of ${rounds} interleaved rounds); ns/op\n`);
for (const [name, fn] of Object.entries(variants)) {
  if (only && !name.includes(only)) continue;
  const batch = calibrate(fn, 200);
  const result = await interleave((ms) => runFor(fn, ms, batch), (ms) => runFor(bare, ms, baseBatch), { rounds, roundMs: 300, sliceMs: 25, clock: 'cpu' });
  const ratio = result.ratio ?? result.ops / result.baselineOps;
  process.stdout.write(`${name.padEnd(50)} ${ratio.toFixed(2)}×   ${(1e9 / result.ops).toFixed(0).padStart(6)} ns   (bare ${(1e9 / result.baselineOps).toFixed(0)} ns)\n`);
}
