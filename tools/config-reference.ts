/**
 * docs/configuration.md, generated from the configuration schema (`npm run docs:config`), so the
 * reference cannot drift from what the loader accepts. Structure, types, defaults and limits come
 * from the zod schema (src/config/schema.ts, via zod's JSON Schema export); the description of each
 * key is the doc comment written above it in the schema's source (or a zod `.describe()`).
 *
 * test/config/reference.test.ts fails when the committed file differs from what this renders.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { z } from 'zod';
import { configSchema } from '../src/config/schema.js';
import { SECRET_FIELDS } from '../src/config/secrets.js';

type JsonSchema = {
  type?: string | string[];
  description?: string;
  default?: unknown;
  const?: unknown;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
};

const root = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../' : '../', import.meta.url));
export const REFERENCE_PATH = `${root}docs/configuration.md`;

/** One object literal passed to z.object / z.strictObject / z.looseObject: its keys and their doc comments. */
interface Shape {
  keys: Set<string>;
  docs: Map<string, string>;
  /** Source text of each key's schema expression (tells apart literals with the same keys by their defaults). */
  code: Map<string, string>;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = `${dir}/${name}`;
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

function docComment(node: ts.Node, source: ts.SourceFile): string | undefined {
  const ranges = ts.getLeadingCommentRanges(source.text, node.getFullStart()) ?? [];
  const last = ranges.filter((range) => source.text.startsWith('/**', range.pos)).at(-1);
  if (!last) return undefined;
  return source.text
    .slice(last.pos + 3, last.end - 2)
    .split('\n')
    .map((line) => line.replace(/^\s*\* ?/, '').trim())
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Every schema object literal in src/ with the doc comments of its keys. */
function collectShapes(): Shape[] {
  const shapes: Shape[] = [];
  for (const file of sourceFiles(`${root}src`)) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
    const visit = (node: ts.Node): void => {
      if (
        ts.isCallExpression(node) &&
        ts.isPropertyAccessExpression(node.expression) &&
        ['object', 'strictObject', 'looseObject'].includes(node.expression.name.text) &&
        node.arguments[0] &&
        ts.isObjectLiteralExpression(node.arguments[0])
      ) {
        const shape: Shape = { keys: new Set(), docs: new Map(), code: new Map() };
        for (const property of node.arguments[0].properties) {
          if (!property.name || !(ts.isIdentifier(property.name) || ts.isStringLiteral(property.name))) continue;
          const key = property.name.text;
          shape.keys.add(key);
          shape.code.set(key, property.getText(source));
          const doc = docComment(property, source);
          if (doc) shape.docs.set(key, doc);
        }
        shapes.push(shape);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return shapes;
}

/**
 * The doc comment of `key` in the schema literal that best matches an object with these
 * properties: the literal's keys must all be present (spread-in keys come from other literals);
 * more keys, then more defaults found in its source text, make a better match.
 */
function describeKey(shapes: Shape[], properties: Record<string, JsonSchema>, key: string): string | undefined {
  const keys = Object.keys(properties);
  let best: { shape: Shape; score: number } | undefined;
  for (const shape of shapes) {
    if (!shape.keys.has(key) || ![...shape.keys].every((k) => keys.includes(k))) continue;
    let score = shape.keys.size * 1000;
    for (const k of shape.keys) {
      const fallback = properties[k]?.default;
      if (typeof fallback === 'string' && fallback && shape.code.get(k)?.includes(fallback)) score += 1;
    }
    if (!best || score > best.score) best = { shape, score };
  }
  return best?.shape.docs.get(key);
}

const inline = (value: unknown): string => {
  if (typeof value === 'string') return value === '' ? '`""`' : `\`${value}\``;
  if (Array.isArray(value)) return value.length === 0 ? '`[]`' : `\`[${value.map((item) => (typeof item === 'string' ? item : JSON.stringify(item))).join(', ')}]\``;
  if (typeof value === 'object' && value !== null) return Object.keys(value).length === 0 ? '' : `\`${JSON.stringify(value)}\``;
  return `\`${String(value)}\``;
};

function typeOf(node: JsonSchema): string {
  const alternatives = node.anyOf ?? node.oneOf;
  if (alternatives) return [...new Set(alternatives.map(typeOf))].join(' or ');
  if (node.const !== undefined) return `\`${String(node.const)}\``;
  if (node.enum) return node.enum.map((value) => `\`${String(value)}\``).join(', ');
  const type = Array.isArray(node.type) ? node.type.join(' or ') : node.type;
  let text: string;
  switch (type) {
    case 'array':
      text = `list of ${node.items ? typeOf(node.items) : 'values'}`;
      break;
    case 'object':
      text = node.properties ? 'mapping' : node.additionalProperties && typeof node.additionalProperties === 'object' ? `map of ${typeOf(node.additionalProperties)}` : 'mapping';
      break;
    case undefined:
      text = 'any';
      break;
    default:
      text = type;
  }
  const limits: string[] = [];
  if (node.minimum !== undefined && node.minimum > Number.MIN_SAFE_INTEGER) limits.push(`≥ ${node.minimum}`);
  if (node.exclusiveMinimum !== undefined) limits.push(`> ${node.exclusiveMinimum}`);
  if (node.maximum !== undefined && node.maximum < Number.MAX_SAFE_INTEGER) limits.push(`≤ ${node.maximum}`);
  if (node.minLength !== undefined && node.minLength > 1) limits.push(`≥ ${node.minLength} chars`);
  if (node.maxLength !== undefined) limits.push(`≤ ${node.maxLength} chars`);
  if (node.minItems !== undefined && node.minItems > 0) limits.push(`≥ ${node.minItems} items`);
  if (node.maxItems !== undefined) limits.push(`≤ ${node.maxItems} items`);
  return limits.length ? `${text} (${limits.join(', ')})` : text;
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** Placeholder for a map entry's name, by the map's key. */
const ENTRY_NAMES: Record<string, string> = { targets: '<target>', providers: '<provider>', clients: '<client>' };

interface Row {
  path: string;
  type: string;
  required: boolean;
  defaultValue: string;
  description: string;
}

function rowsOf(node: JsonSchema, path: string, shapes: Shape[], rows: Row[], sections: Array<{ title: string; rows: Row[] }>): void {
  const properties = node.properties;
  if (properties) {
    const keys = Object.keys(properties);
    for (const key of keys) {
      const child = properties[key] as JsonSchema;
      const childPath = path ? `${path}.${key}` : key;
      let description = child.description ?? describeKey(shapes, properties, key) ?? '';
      if (SECRET_FIELDS.has(key)) description = `${description} Secret: also \`${key}File\` (a file to read it from); never logged.`.trim();
      rows.push({
        path: childPath,
        type: typeOf(child),
        required: (node.required ?? []).includes(key) && child.default === undefined,
        defaultValue: child.default === undefined ? '' : inline(child.default),
        description,
      });
      descend(child, childPath, key, shapes, rows, sections);
    }
  }
}

function descend(node: JsonSchema, path: string, key: string, shapes: Shape[], rows: Row[], sections: Array<{ title: string; rows: Row[] }>): void {
  if (node.properties) {
    rowsOf(node, path, shapes, rows, sections);
  } else if (node.additionalProperties && typeof node.additionalProperties === 'object') {
    const entry = node.additionalProperties;
    const entryPath = `${path}.${ENTRY_NAMES[key] ?? '<name>'}`;
    if (entry.oneOf) {
      for (const branch of entry.oneOf) {
        const kind = branch.properties?.kind?.const;
        const section = { title: `\`${entryPath}\`${kind !== undefined ? ` with \`kind: ${String(kind)}\`` : ''}`, rows: [] as Row[] };
        sections.push(section);
        rowsOf(branch, entryPath, shapes, section.rows, sections);
      }
    } else {
      descend(entry, entryPath, '', shapes, rows, sections);
    }
  } else if (node.items && node.items.properties) {
    rowsOf(node.items, `${path}[]`, shapes, rows, sections);
  }
}

function table(rows: Row[]): string {
  const lines = ['| Key | Type | Default | Description |', '| --- | --- | --- | --- |'];
  for (const row of rows) {
    const defaultValue = row.required ? '**required**' : row.defaultValue;
    lines.push(`| \`${row.path}\` | ${cell(row.type)} | ${cell(defaultValue)} | ${cell(row.description)} |`);
  }
  return lines.join('\n');
}

/** The Markdown reference of every configuration key. */
export function renderConfigReference(): string {
  const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const shapes = collectShapes();
  const parts: string[] = [
    '# Configuration reference',
    '',
    '<!-- Generated by `npm run docs:config` from the schema (src/config/schema.ts and the schemas it',
    '     uses). Do not edit by hand: change the doc comment above the key and regenerate. -->',
    '',
    'Every key the configuration file accepts. Unknown keys are errors. Any key can also be set from',
    'the environment as `JSG_<PATH>`, path segments joined by `__` in SCREAMING_SNAKE case',
    '(`JSG_PUBLIC_URL`, `JSG_STORE__REDIS__URL`, `JSG_TARGETS__MEET__SECRET_FILE`). Secret fields',
    'also accept `<field>File` (and `..._FILE` in the environment): the file is read at start-up.',
    'Providers may name a `preset` from `providers/` whose settings apply under their own.',
    '',
  ];
  const top = schema.properties ?? {};
  for (const key of Object.keys(top)) {
    const node = top[key] as JsonSchema;
    const rows: Row[] = [];
    const sections: Array<{ title: string; rows: Row[] }> = [];
    const description = node.description ?? describeKey(shapes, top, key) ?? '';
    const required = (schema.required ?? []).includes(key) && node.default === undefined;
    parts.push(`## \`${key}\``, '');
    parts.push(`${typeOf(node)}${required ? ', **required**' : node.default !== undefined && inline(node.default) ? `, default ${inline(node.default)}` : ''}.${description ? ` ${description}` : ''}`, '');
    descend(node, key, key, shapes, rows, sections);
    if (rows.length) parts.push(table(rows), '');
    for (const section of sections) {
      parts.push(`### ${section.title}`, '', table(section.rows), '');
    }
  }
  return `${parts.join('\n').trimEnd()}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(REFERENCE_PATH, renderConfigReference());
  process.stdout.write(`wrote ${REFERENCE_PATH}\n`);
}
