/**
 * Offline validation of rendered manifests against the Kubernetes API schemas, without a cluster.
 *
 * 1. Schema: the JSON-schema validators of `kubernetes-models` (generated from the Kubernetes
 *    OpenAPI spec; types, required fields, enums, formats) and of
 *    `@kubernetes-models/prometheus-operator` for the ServiceMonitor CRD.
 * 2. Strictness (like `kubeconform -strict`): the OpenAPI schemas allow unknown fields, so a typo
 *    such as `readinesProbe` would pass. The TypeScript declarations shipped with the same
 *    packages list every field; each object in a manifest is walked along its declared type with
 *    the TypeScript compiler API and any field the type does not declare is reported.
 *
 * Only the API versions listed in MODULES are accepted, so a template that starts using a removed
 * or beta API (policy/v1beta1, autoscaling/v2beta2, ...) fails until it is added here on purpose.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import type { Manifest } from '../support/helm.js';
import { repoRoot } from '../support/helm.js';
import { declaredTypes } from './declared-types.js';

const MODULES: Record<string, string> = {
  v1: 'kubernetes-models/v1',
  'apps/v1': 'kubernetes-models/apps/v1',
  'networking.k8s.io/v1': 'kubernetes-models/networking.k8s.io/v1',
  'autoscaling/v2': 'kubernetes-models/autoscaling/v2',
  'policy/v1': 'kubernetes-models/policy/v1',
  'monitoring.coreos.com/v1': '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1',
};

/** Kinds the chart renders (and the sidecar example's objects). */
const KINDS: Array<[apiVersion: string, kind: string]> = [
  ['v1', 'ConfigMap'],
  ['v1', 'Secret'],
  ['v1', 'Service'],
  ['v1', 'ServiceAccount'],
  ['v1', 'Container'],
  ['v1', 'Pod'],
  ['v1', 'Volume'],
  ['apps/v1', 'Deployment'],
  ['networking.k8s.io/v1', 'Ingress'],
  ['networking.k8s.io/v1', 'NetworkPolicy'],
  ['autoscaling/v2', 'HorizontalPodAutoscaler'],
  ['policy/v1', 'PodDisruptionBudget'],
  ['monitoring.coreos.com/v1', 'ServiceMonitor'],
  ['monitoring.coreos.com/v1', 'PrometheusRule'],
];

const typeKey = (apiVersion: string, kind: string) => `${apiVersion}/${kind}`;

interface Model {
  validate(): void;
}
type ModelClass = new (data: unknown) => Model;

async function modelClass(apiVersion: string, kind: string): Promise<ModelClass | undefined> {
  const module = MODULES[apiVersion];
  if (!module) return undefined;
  const exports = (await import(module)) as Record<string, unknown>;
  return exports[kind] as ModelClass | undefined;
}

/** Errors of the JSON-schema validation (empty when valid). */
export async function schemaErrors(manifest: { apiVersion: string; kind: string }): Promise<string[]> {
  return objectSchemaErrors(manifest.apiVersion, manifest.kind, manifest);
}

/**
 * Errors of the JSON-schema validation of an object of a kind, which may also be a part of a
 * manifest (v1 Container, v1 Volume): for snippets in docs and examples.
 */
export async function objectSchemaErrors(apiVersion: string, kind: string, value: unknown): Promise<string[]> {
  const Cls = await modelClass(apiVersion, kind);
  if (!Cls) return [`no schema for ${apiVersion} ${kind}: not an API version this chart may use`];
  try {
    new Cls(value).validate();
    return [];
  } catch (error) {
    const details = (error as { errors?: Array<{ instancePath?: string; message?: string }> }).errors;
    if (Array.isArray(details) && details.length > 0) {
      return details.map((d) => `${d.instancePath || '/'} ${d.message ?? ''}`.trim());
    }
    return [String((error as Error).message ?? error)];
  }
}

class StrictChecker {
  private readonly checker: ts.TypeChecker;
  private readonly kinds: Map<string, ts.Type>;

  constructor() {
    const declared = declaredTypes(
      KINDS.map(([apiVersion, kind]) => [typeKey(apiVersion, kind), `${MODULES[apiVersion]}/${kind}`, `I${kind}`]),
      'the Kubernetes type declarations',
    );
    this.checker = declared.checker;
    this.kinds = declared.types;
  }

  unknownFields(apiVersion: string, kind: string, value: unknown, root = kind): string[] {
    const type = this.kinds.get(typeKey(apiVersion, kind));
    if (!type) return [`no type declarations for ${apiVersion} ${kind}`];
    const errors: string[] = [];
    this.walk(value, type, root, errors);
    return errors;
  }

  private isArray(type: ts.Type): boolean {
    return this.checker.isArrayType(type);
  }

  private walk(value: unknown, declared: ts.Type, path: string, errors: string[]): void {
    if (value === null || value === undefined) return;
    const type = this.checker.getNonNullableType(declared);
    if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return;
    if (type.isUnion()) {
      const candidates = type.types.filter((member) =>
        Array.isArray(value)
          ? this.isArray(member)
          : typeof value === 'object'
            ? (member.flags & (ts.TypeFlags.Object | ts.TypeFlags.Intersection)) !== 0 && !this.isArray(member)
            : false,
      );
      if (candidates.length === 0) return;
      let firstErrors: string[] | undefined;
      for (const candidate of candidates) {
        const attempt: string[] = [];
        this.walk(value, candidate, path, attempt);
        if (attempt.length === 0) return;
        firstErrors ??= attempt;
      }
      errors.push(...(firstErrors ?? []));
      return;
    }
    if (Array.isArray(value)) {
      if (!this.isArray(type)) return;
      const [element] = this.checker.getTypeArguments(type as ts.TypeReference);
      if (!element) return;
      value.forEach((item, index) => this.walk(item, element, `${path}[${index}]`, errors));
      return;
    }
    if (typeof value !== 'object') return;
    if ((type.flags & (ts.TypeFlags.Object | ts.TypeFlags.Intersection)) === 0) return;
    const index = this.checker.getIndexInfoOfType(type, ts.IndexKind.String);
    const properties = this.checker.getPropertiesOfType(type);
    if (properties.length === 0 && !index) return; // an opaque object (e.g. FieldsV1)
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      const property = this.checker.getPropertyOfType(type, key);
      if (property) this.walk(child, this.checker.getTypeOfSymbol(property), `${path}.${key}`, errors);
      else if (index) this.walk(child, index.type, `${path}.${key}`, errors);
      else errors.push(`${path}.${key}: unknown field`);
    }
  }
}

let strict: StrictChecker | undefined;

/** Fields that the Kubernetes type of this object does not declare (typos, wrong nesting). */
export function unknownFields(apiVersion: string, kind: string, value: unknown, root?: string): string[] {
  strict ??= new StrictChecker();
  return strict.unknownFields(apiVersion, kind, value, root);
}

/** Schema and strictness errors of an object of a kind (whole manifest or part of one). */
export async function validateObject(apiVersion: string, kind: string, value: unknown, label: string): Promise<string[]> {
  const errors = await objectSchemaErrors(apiVersion, kind, value);
  if (MODULES[apiVersion]) errors.push(...unknownFields(apiVersion, kind, value, label));
  return errors.map((error) => (error.startsWith(label) ? error : `${label}: ${error}`));
}

/** Schema and strictness errors of one rendered manifest, prefixed with its kind and name. */
export async function validateManifest(manifest: Manifest): Promise<string[]> {
  const label = `${manifest.kind}/${manifest.metadata?.name ?? '?'}`;
  const errors = await schemaErrors(manifest);
  if (MODULES[manifest.apiVersion]) errors.push(...unknownFields(manifest.apiVersion, manifest.kind, manifest, label));
  return errors.map((error) => (error.startsWith(label) ? error : `${label}: ${error}`));
}

/** Ensures the validator packages are installed, with a message that says which to add. */
export function assertValidatorPackages(): void {
  for (const name of ['kubernetes-models', '@kubernetes-models/prometheus-operator']) {
    if (!existsSync(join(repoRoot, 'node_modules', name, 'package.json'))) {
      throw new Error(`${name} is not installed: it is a devDependency of the chart tests (npm ci)`);
    }
  }
}
