/**
 * values.schema.json types the Kubernetes objects a values file holds (probes, resources,
 * security contexts, affinity, tolerations, ...) with definitions generated from
 * kubernetes-models, and helm refuses a typo there instead of rendering it.
 *
 * When kubernetes-models is upgraded, regenerate the definitions:
 *   JSG_WRITE_SCHEMA=1 npx vitest run test/helm/values-schema.test.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chartDir, helmTemplate, helmTemplateRaw } from '../support/helm.js';
import { kubernetesDefinitions } from './k8s-values-schema.js';

const schemaFile = join(chartDir, 'values.schema.json');

describe('values.schema.json', () => {
  it('holds the Kubernetes definitions generated from kubernetes-models', () => {
    const schema = JSON.parse(readFileSync(schemaFile, 'utf8')) as { definitions?: unknown };
    const generated = kubernetesDefinitions();
    if (process.env.JSG_WRITE_SCHEMA === '1') {
      schema.definitions = generated;
      writeFileSync(schemaFile, `${JSON.stringify(schema, null, 2)}\n`);
    }
    expect(schema.definitions, 'stale: run JSG_WRITE_SCHEMA=1 npx vitest run test/helm/values-schema.test.ts').toEqual(generated);
  });

  it('refers to a definition for every Kubernetes object in the values', () => {
    const schema = JSON.parse(readFileSync(schemaFile, 'utf8')) as { properties: Record<string, any> };
    const p = schema.properties;
    expect(p.resources).toEqual({ $ref: '#/definitions/ResourceRequirements' });
    for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) expect(p[probe]).toEqual({ $ref: '#/definitions/Probe' });
    expect(p.sidecar.properties.readinessProbe).toEqual({ $ref: '#/definitions/Probe' });
    expect(p.securityContext).toEqual({ $ref: '#/definitions/SecurityContext' });
    expect(p.podSecurityContext).toEqual({ $ref: '#/definitions/PodSecurityContext' });
    expect(p.affinity).toEqual({ $ref: '#/definitions/Affinity' });
    expect(p.tolerations.items).toEqual({ $ref: '#/definitions/Toleration' });
    expect(p.lifecycle).toEqual({ $ref: '#/definitions/Lifecycle' });
    expect(p.redis.properties.bundled.properties.resources).toEqual({ $ref: '#/definitions/ResourceRequirements' });
  });

  // Each row: a value with a mistake, and the schema error helm prints for it.
  const TYPOS: Array<[set: Record<string, string>, error: string]> = [
    [{ 'readinessProbe.httpget.path': '/readyz' }, 'readinessProbe: Additional property httpget is not allowed'],
    [{ 'resources.request.memory': '1Gi' }, 'resources: Additional property request is not allowed'],
    [{ 'securityContext.runAsUser': 'root' }, 'securityContext.runAsUser: Invalid type. Expected: [integer,null], given: string'],
    [{ 'podSecurityContext.fsgroup': '1000' }, 'podSecurityContext: Additional property fsgroup is not allowed'],
    [{ 'tolerations[0].operator': 'Maybe' }, 'tolerations.0.operator: tolerations.0.operator must be one of the following'],
    [{ 'affinity.nodeAfinity.x': 'y' }, 'affinity: Additional property nodeAfinity is not allowed'],
    [{ 'startupProbe.periodSeconds': 'often' }, 'startupProbe.periodSeconds: Invalid type. Expected: [integer,null], given: string'],
    [{ 'lifecycle.preStop.sleep.second': '5' }, 'lifecycle.preStop.sleep: Additional property second is not allowed'],
  ];

  it.each(TYPOS)('refuses %j', (set, error) => {
    const result = helmTemplateRaw({ values: ['minimal.yaml'], set });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(error);
  });

  it('accepts null to drop a default, and renders no null', () => {
    const manifests = helmTemplate({
      values: ['minimal.yaml'],
      set: { startupProbe: 'null', 'lifecycle.preStop': 'null', 'securityContext.runAsGroup': 'null', 'config.targets.meet.audience': 'null', 'config.store.redis': 'null' },
    });
    const text = JSON.stringify(manifests);
    expect(text).not.toContain('null');
    const deployment = manifests.find((m) => m.kind === 'Deployment')!;
    const container = deployment.spec.template.spec.containers[0];
    expect(container.startupProbe).toBeUndefined();
    expect(container.securityContext.runAsGroup).toBeUndefined();
    expect(container.lifecycle).toBeUndefined();
  });
});
