/**
 * JSON-schema definitions for the Kubernetes objects a values file may hold (resources, probes,
 * security contexts, affinity, tolerations, ...), generated from the TypeScript declarations of
 * `kubernetes-models` (themselves generated from the Kubernetes OpenAPI document).
 *
 * values.schema.json keeps them under `definitions` so that `helm install` refuses a typo such as
 * `readinessProbe.httpget` or `resources.request` instead of rendering a Deployment the API
 * server rejects (or, worse, silently drops the field). Every optional field also accepts null,
 * because a null in a values file is how Helm users drop a default. A test regenerates the
 * definitions and fails when the committed schema differs; `JSG_WRITE_SCHEMA=1` rewrites it.
 */
import ts from 'typescript';
import { declaredTypes } from './declared-types.js';

/** Definition name -> [module under kubernetes-models, exported interface]. */
export const ROOTS: Record<string, [module: string, type: string]> = {
  Probe: ['kubernetes-models/v1/Probe', 'IProbe'],
  Lifecycle: ['kubernetes-models/v1/Lifecycle', 'ILifecycle'],
  ResourceRequirements: ['kubernetes-models/v1/ResourceRequirements', 'IResourceRequirements'],
  SecurityContext: ['kubernetes-models/v1/SecurityContext', 'ISecurityContext'],
  PodSecurityContext: ['kubernetes-models/v1/PodSecurityContext', 'IPodSecurityContext'],
  Toleration: ['kubernetes-models/v1/Toleration', 'IToleration'],
  Affinity: ['kubernetes-models/v1/Affinity', 'IAffinity'],
  TopologySpreadConstraint: ['kubernetes-models/v1/TopologySpreadConstraint', 'ITopologySpreadConstraint'],
  EnvVar: ['kubernetes-models/v1/EnvVar', 'IEnvVar'],
  EnvFromSource: ['kubernetes-models/v1/EnvFromSource', 'IEnvFromSource'],
  VolumeMount: ['kubernetes-models/v1/VolumeMount', 'IVolumeMount'],
  LocalObjectReference: ['kubernetes-models/v1/LocalObjectReference', 'ILocalObjectReference'],
  NetworkPolicyPeer: ['kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer', 'INetworkPolicyPeer'],
  NetworkPolicyEgressRule: ['kubernetes-models/networking.k8s.io/v1/NetworkPolicyEgressRule', 'INetworkPolicyEgressRule'],
  IngressTLS: ['kubernetes-models/networking.k8s.io/v1/IngressTLS', 'IIngressTLS'],
  DeploymentStrategy: ['kubernetes-models/apps/v1/DeploymentStrategy', 'IDeploymentStrategy'],
};

type Schema = Record<string, unknown>;

/** A readable definition name from a kubernetes-models interface name. */
function definitionName(symbolName: string): string {
  return symbolName
    .replace(/^I(?=[A-Z])/, '')
    .replace(/^IoK8sApimachineryPkgApis?Meta(V1)?/, '')
    .replace(/^IoK8sApi[A-Z][a-z]+(V\d+(?:beta\d+|alpha\d+)?)?/, '');
}

class Generator {
  readonly definitions: Record<string, Schema> = {};
  private readonly checker: ts.TypeChecker;
  private readonly rootTypes: Map<string, ts.Type>;

  constructor() {
    const declared = declaredTypes(
      Object.entries(ROOTS).map(([name, [module, exported]]) => [name, module, exported]),
      'kubernetes-models declarations',
    );
    this.checker = declared.checker;
    this.rootTypes = declared.types;
  }

  run(): Record<string, Schema> {
    for (const [name, type] of this.rootTypes) this.define(name, type);
    return Object.fromEntries(Object.entries(this.definitions).sort(([a], [b]) => a.localeCompare(b)));
  }

  private define(name: string, type: ts.Type): string {
    if (!this.definitions[name]) {
      this.definitions[name] = {}; // placeholder: recursive types refer to it
      this.definitions[name] = this.objectSchema(type);
    }
    return `#/definitions/${name}`;
  }

  private objectSchema(type: ts.Type): Schema {
    const properties: Record<string, Schema> = {};
    const required: string[] = [];
    for (const property of this.checker.getPropertiesOfType(type)) {
      const optional = (property.flags & ts.SymbolFlags.Optional) !== 0;
      properties[property.name] = this.schemaOf(this.checker.getTypeOfSymbol(property), optional);
      if (!optional) required.push(property.name);
    }
    const index = this.checker.getIndexInfoOfType(type, ts.IndexKind.String);
    const schema: Schema = { type: ['object', 'null'] };
    if (Object.keys(properties).length > 0) schema.properties = properties;
    if (required.length > 0) schema.required = required.sort();
    schema.additionalProperties = index ? this.schemaOf(index.type, false) : false;
    return schema;
  }

  /** The schema of a field's type; `nullable` for optional fields (null drops a default). */
  private schemaOf(declared: ts.Type, nullable: boolean): Schema {
    const type = this.checker.getNonNullableType(declared);
    const orNull = (t: string | string[]): string | string[] => {
      const list = Array.isArray(t) ? t : [t];
      return nullable ? [...list, 'null'] : list.length === 1 ? list[0]! : list;
    };
    if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return {};
    if (type.flags & ts.TypeFlags.String) return { type: orNull('string') };
    if (type.flags & ts.TypeFlags.Number) return { type: orNull('integer') };
    if (type.flags & ts.TypeFlags.BooleanLike) return { type: orNull('boolean') };
    if (type.isUnion()) {
      const members = type.types;
      if (members.every((m) => m.isStringLiteral())) {
        const values = members.map((m) => (m as ts.StringLiteralType).value).sort();
        return { type: orNull('string'), enum: nullable ? [...values, null] : values };
      }
      if (members.every((m) => m.flags & ts.TypeFlags.BooleanLike)) return { type: orNull('boolean') };
      const kinds = new Set(members.map((m) => (m.flags & ts.TypeFlags.StringLike ? 'string' : m.flags & ts.TypeFlags.NumberLike ? 'number' : 'other')));
      if (!kinds.has('other')) {
        // IntOrString (ports) or Quantity ("500m", 0.5)
        const alias = declared.aliasSymbol?.name ?? type.aliasSymbol?.name ?? '';
        return { type: orNull([/Quantity/.test(alias) ? 'number' : 'integer', 'string']) };
      }
      throw new Error(`unsupported union type ${this.checker.typeToString(type)}`);
    }
    if (this.checker.isArrayType(type)) {
      const [element] = this.checker.getTypeArguments(type as ts.TypeReference);
      return { type: orNull('array'), items: element ? this.schemaOf(element, false) : {} };
    }
    if (type.flags & ts.TypeFlags.Object) {
      const symbol = type.getSymbol();
      const named = symbol && symbol.name !== '__type' && this.checker.getPropertiesOfType(type).length > 0;
      if (named) return { $ref: this.define(definitionName(symbol.name), type) };
      const inline = this.objectSchema(type);
      if (!nullable) inline.type = 'object';
      return inline;
    }
    throw new Error(`unsupported type ${this.checker.typeToString(type)}`);
  }
}

/** The generated definitions (name -> JSON schema), sorted by name. */
export function kubernetesDefinitions(): Record<string, Schema> {
  return new Generator().run();
}
