/**
 * The chart's alerts (PrometheusRule) and Grafana dashboard ask only for metrics the gateway
 * really exports: every PromQL expression is parsed with Prometheus's own grammar
 * (@prometheus-io/lezer-promql), and each metric name and label it selects on is checked against
 * a scrape of a running gateway (the shipped CLI, Redis store, an RS256 target) and the label
 * names the gateway declares. The Node.js and process metrics keep their standard names
 * (process_*, nodejs_*), which is what dashboards and alerts everywhere expect; the gateway's own
 * metrics are prefixed jsg_.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Metrics } from '../../src/observability/metrics.js';
import { freePort } from '../login/harness.js';
import { chartDir, findManifest, helmTemplate, repoRoot } from '../support/helm.js';
import { type RedisServer, startRedis } from '../support/redis.js';
import { validateManifest } from './k8s-schema.js';

const cliMain = join(repoRoot, 'dist', 'src', 'cli', 'main.js');
/** Labels Prometheus adds when scraping through a ServiceMonitor, and a histogram's le. */
const TARGET_LABELS = new Set(['namespace', 'job', 'pod', 'instance', 'service', 'container', 'endpoint', 'le']);
const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count'];

interface Selector {
  metric: string;
  labels: string[];
}

/** Every vector selector of a PromQL expression (metric name and the label names it matches on). */
function selectors(expr: string): Selector[] {
  // Grafana's variables are not PromQL: give them PromQL values before parsing.
  const promql = expr.replaceAll('$__rate_interval', '5m').replaceAll('$__interval', '1m');
  const tree = parser.parse(promql);
  const found: Selector[] = [];
  const errors: string[] = [];
  tree.iterate({
    enter(node) {
      if (node.type.isError) errors.push(`at ${node.from}: ${promql.slice(node.from, node.from + 30)}`);
      if (node.name !== 'VectorSelector') return;
      const selector: Selector = { metric: '', labels: [] };
      const cursor = node.node.cursor();
      cursor.iterate((child) => {
        if (child.name === 'Identifier' && selector.metric === '') selector.metric = promql.slice(child.from, child.to);
        if (child.name === 'LabelName') selector.labels.push(promql.slice(child.from, child.to));
      });
      found.push(selector);
    },
  });
  if (errors.length > 0) throw new Error(`PromQL does not parse: ${expr}\n${errors.join('\n')}`);
  return found;
}

/** Metric names as exposed (histograms by their series names) with their label names. */
function exported(exposition: string, declared: Metrics): Map<string, Set<string>> {
  const names = new Map<string, Set<string>>();
  for (const line of exposition.split('\n')) {
    const match = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (!match) continue;
    const [, name, type] = match as unknown as [string, string, string];
    const metric = declared.registry.getSingleMetric(name) as { labelNames?: string[] } | undefined;
    const labels = new Set(metric?.labelNames ?? []);
    // Default metrics' labels, read from the samples (e.g. nodejs_heap_space_size_used_bytes{space}).
    for (const sample of exposition.split('\n').filter((l) => l.startsWith(`${name}{`))) {
      for (const label of sample.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)) labels.add(label[1]!);
    }
    if (type === 'histogram' || type === 'summary') for (const suffix of HISTOGRAM_SUFFIXES) names.set(`${name}${suffix}`, labels);
    else names.set(name, labels);
  }
  return names;
}

function ruleExpressions(): Array<{ name: string; expr: string }> {
  const rule = findManifest(helmTemplate({ values: ['everything.yaml'] }), 'PrometheusRule');
  if (!rule) throw new Error('no PrometheusRule rendered');
  return (rule.spec.groups as Array<{ rules: Array<{ alert: string; expr: string }> }>).flatMap((g) => g.rules.map((r) => ({ name: r.alert, expr: r.expr })));
}

const dashboardFile = join(chartDir, 'dashboards', 'jitsi-sso-gateway.json');

function dashboardExpressions(): Array<{ name: string; expr: string }> {
  const dashboard = JSON.parse(readFileSync(dashboardFile, 'utf8')) as { panels: Array<{ title: string; targets?: Array<{ expr: string }> }> };
  return dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ name: panel.title, expr: target.expr })));
}

describe('monitoring', () => {
  let redis: RedisServer;
  let gateway: ChildProcess;
  let dir: string;
  let metrics: Map<string, Set<string>>;
  let exposition: string;

  beforeAll(async () => {
    redis = await startRedis();
    dir = mkdtempSync(join(tmpdir(), 'jsg-monitoring-'));
    const port = await freePort();
    const key = () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    writeFileSync(join(dir, 'new.pem'), key(), { mode: 0o600 });
    writeFileSync(join(dir, 'old.pem'), key(), { mode: 0o600 });
    writeFileSync(
      join(dir, 'config.yaml'),
      [
        `publicUrl: http://127.0.0.1:${port}/sso`,
        `server: { host: 127.0.0.1, port: ${port} }`,
        'log: { level: warn }',
        `store: { kind: redis, redis: { url: "${redis.url}" } }`,
        'targets:',
        '  meet:',
        '    { url: "https://meet.example.com", xmppDomain: meet.jitsi, appId: jitsi-sso, algorithm: RS256,',
        '      keys: [{ kid: "2026-11", status: active, privateKeyFile: new.pem }, { kid: "2026-10", status: retiring, privateKeyFile: old.pem }] }',
        // Unreachable on purpose: the gateway starts anyway and reports the provider down.
        'providers:',
        `  corp: { kind: oidc, issuer: "http://127.0.0.1:${await freePort()}/realms/corp", clientId: jitsi, clientSecret: "${'s'.repeat(40)}" }`,
      ].join('\n'),
    );
    gateway = spawn(process.execPath, [cliMain, 'serve', '--config', join(dir, 'config.yaml')], { cwd: dir, stdio: 'ignore', env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production' } });
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      if (await fetch(`${base}/healthz`).then((r) => r.ok, () => false)) break;
      if (i > 200) throw new Error('the gateway did not start');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // Some traffic, so that labelled series exist: readiness (a store ping), keys, a callback.
    for (const path of ['/readyz', '/sso/.well-known/jwks.json', '/sso/auth/corp/callback?code=x&state=y', '/sso/login?room=abc']) await fetch(`${base}${path}`, { redirect: 'manual' });
    exposition = await (await fetch(`${base}/metrics`)).text();
    const declared = new Metrics({ defaultMetrics: true });
    declared.describeKeys([]);
    metrics = exported(exposition, declared);
  });

  afterAll(async () => {
    gateway?.kill('SIGTERM');
    await redis?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('exports the Node.js and process metrics under their standard names, and its own under jsg_', () => {
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'process_start_time_seconds', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_heap_size_used_bytes', 'nodejs_version_info']) {
      expect(metrics.has(name), name).toBe(true);
    }
    for (const name of metrics.keys()) expect(name, name).toMatch(/^(jsg_|process_|nodejs_)/);
    expect([...metrics.keys()].filter((name) => /^jsg_(process|nodejs)_/.test(name))).toEqual([]);
    expect(exposition).toContain('jsg_signing_key_info{target="meet",kid="2026-10",status="retiring"} 1');
    expect(exposition).toContain('jsg_signing_key_info{target="meet",kid="2026-11",status="active"} 1');
    expect(exposition).toContain('jsg_identity_provider_up{provider="corp"} 0');
  });

  it('alerts on login error ratio, identity provider latency, Redis and retiring keys, each with a valid PrometheusRule', async () => {
    const rule = findManifest(helmTemplate({ values: ['everything.yaml'] }), 'PrometheusRule')!;
    expect(await validateManifest(rule)).toEqual([]);
    expect(ruleExpressions().map((r) => r.name)).toEqual([
      'JitsiSsoGatewayLoginErrors',
      'JitsiSsoGatewayIdentityProviderSlow',
      'JitsiSsoGatewayIdentityProviderDown',
      'JitsiSsoGatewayRedisUnavailable',
      'JitsiSsoGatewayRetiringKeyKept',
    ]);
    expect(rule.metadata.labels?.release).toBe('kube-prometheus-stack');
    expect(findManifest(helmTemplate({ values: ['minimal.yaml'] }), 'PrometheusRule')).toBeUndefined();
  });

  it.each([
    ['alert', ruleExpressions],
    ['dashboard panel', dashboardExpressions],
  ] as const)('every %s selects only metrics and labels the gateway exports', (_kind, expressions) => {
    const problems: string[] = [];
    for (const { name, expr } of expressions()) {
      const found = selectors(expr);
      if (found.length === 0) problems.push(`${name}: selects no metric`);
      for (const selector of found) {
        const labels = metrics.get(selector.metric);
        if (!labels) {
          problems.push(`${name}: ${selector.metric} is not exported`);
          continue;
        }
        for (const label of selector.labels) if (!labels.has(label) && !TARGET_LABELS.has(label)) problems.push(`${name}: ${selector.metric} has no label ${label}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('the checks are not vacuous: a misspelt metric or label is caught', () => {
    expect(selectors('sum(rate(jsg_http_request_total{route="x"}[5m]))')).toEqual([{ metric: 'jsg_http_request_total', labels: ['route'] }]);
    expect(metrics.has('jsg_http_request_total')).toBe(false);
    expect(metrics.get('jsg_http_requests_total')?.has('path')).toBe(false);
    expect(() => selectors('sum(rate(jsg_http_requests_total{route="x"[5m]))')).toThrow(/does not parse/);
  });

  it('ships the dashboard as an opt-in ConfigMap for the Grafana sidecar', async () => {
    expect(findManifest(helmTemplate({ values: ['minimal.yaml'] }), 'ConfigMap', 'jsg-jitsi-sso-gateway-dashboard')).toBeUndefined();
    const configMap = findManifest(helmTemplate({ values: ['everything.yaml'] }), 'ConfigMap', 'jsg-jitsi-sso-gateway-dashboard')!;
    expect(configMap.metadata.labels?.grafana_dashboard).toBe('1');
    expect(JSON.parse(configMap.data['jitsi-sso-gateway.json'] as string)).toEqual(JSON.parse(readFileSync(dashboardFile, 'utf8')));
    expect(await validateManifest(configMap)).toEqual([]);
  });
});
