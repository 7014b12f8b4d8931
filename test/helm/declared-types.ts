import { join } from 'node:path';
import ts from 'typescript';
import { repoRoot } from '../support/helm.js';

/**
 * The TypeScript types of some declared interfaces (kubernetes-models' declarations), by name:
 * a virtual module `export interface <holder> { '<name>': <imported type>; … }` is compiled
 * beside the tests, and each property's type read back through the checker. Both the strict
 * manifest check (k8s-schema.ts) and the values-schema generator (k8s-values-schema.ts) walk them.
 */
export function declaredTypes(
  imports: ReadonlyArray<[name: string, module: string, exported: string]>,
  what: string,
): { checker: ts.TypeChecker; types: Map<string, ts.Type> } {
  const virtualFile = join(repoRoot, 'test', 'helm', '__declared_types__.ts');
  const source =
    imports.map(([, module, exported], i) => `import type { ${exported} as T${i} } from '${module}';`).join('\n') +
    `\nexport interface Declared {\n${imports.map(([name], i) => `  '${name}': T${i};`).join('\n')}\n}\n`;
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    types: [],
  };
  const host = ts.createCompilerHost(options, true);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, version, onError, create) =>
    fileName === virtualFile ? ts.createSourceFile(fileName, source, version, true) : getSourceFile(fileName, version, onError, create);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (fileName) => fileName === virtualFile || fileExists(fileName);
  const readFile = host.readFile.bind(host);
  host.readFile = (fileName) => (fileName === virtualFile ? source : readFile(fileName));
  const program = ts.createProgram([virtualFile], options, host);
  const problems = ts.getPreEmitDiagnostics(program).filter((d) => d.file?.fileName === virtualFile);
  if (problems.length > 0) {
    throw new Error(`cannot load ${what}: ${problems.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')).join('; ')}`);
  }
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(virtualFile)!)!;
  const holder = checker.getExportsOfModule(moduleSymbol).find((s) => s.name === 'Declared')!;
  const types = new Map<string, ts.Type>();
  for (const property of checker.getPropertiesOfType(checker.getDeclaredTypeOfSymbol(holder))) {
    types.set(property.name, checker.getTypeOfSymbol(property));
  }
  return { checker, types };
}
