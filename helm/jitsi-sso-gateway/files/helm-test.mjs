// Run by `helm test` (templates/tests/gateway.yaml) with the image's node: exits 0 when a replica is
// ready and the JWKS is served as Prosody needs it, else 1 with the reason.
const fail = (message) => {
  console.error(`FAIL ${message}`);
  process.exit(1);
};
const get = async (url) => {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    return { status: response.status, type: response.headers.get('content-type') ?? '', body: await response.text() };
  } catch (error) {
    return fail(`${url}: ${error.cause?.code ?? error.message}`);
  }
};
const ready = await get(process.env.READYZ_URL);
if (ready.status !== 200) fail(`${process.env.READYZ_URL} answered ${ready.status}: ${ready.body.slice(0, 500)}`);
console.log(`ok ${process.env.READYZ_URL} 200`);
const jwks = await get(process.env.JWKS_URL);
if (jwks.status !== 200) fail(`${process.env.JWKS_URL} answered ${jwks.status}`);
let keys;
try {
  keys = JSON.parse(jwks.body).keys;
} catch {
  fail(`${process.env.JWKS_URL} is not JSON: ${jwks.body.slice(0, 200)}`);
}
if (!Array.isArray(keys)) fail(`${process.env.JWKS_URL} has no "keys" list`);
for (const key of keys) {
  if (key.kty !== 'RSA' || !key.kid || !key.n || !key.e || key.d !== undefined) fail(`${process.env.JWKS_URL}: key ${JSON.stringify(key.kid)} is not a public RSA key with a kid`);
}
if (process.env.EXPECT_KEYS === 'true' && keys.length === 0) fail(`${process.env.JWKS_URL} lists no key, but an RS* target is configured`);
console.log(`ok ${process.env.JWKS_URL} ${keys.length} key(s)`);
