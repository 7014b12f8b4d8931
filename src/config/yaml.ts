import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

/**
 * The yaml package, loaded on first use (about 30 ms of start-up CPU): a configuration that comes
 * from the environment alone, or the demo's, never parses YAML. Under Node, `import 'yaml'` and
 * `require('yaml')` are the same CommonJS module, so there is one YAMLParseError class either way.
 */
let yaml: typeof Yaml | undefined;

export function yamlModule(): typeof Yaml {
  yaml ??= createRequire(import.meta.url)('yaml') as typeof Yaml;
  return yaml;
}
