import { escapeHtml } from './renderer.js';

/** Markup that is already safe (built by `html`); anything else interpolated is escaped. */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

type Part = Html | string | number | boolean | null | undefined | readonly Part[];

function render(part: Part): string {
  if (part === null || part === undefined || part === false) return '';
  if (part instanceof Html) return part.value;
  if (Array.isArray(part)) return part.map(render).join('');
  return escapeHtml(String(part));
}

/**
 * The only way pages build markup: every interpolated value is HTML-escaped unless it is itself
 * the result of `html`. Attribute values must be quoted in the template.
 */
export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0] ?? '';
  for (let index = 0; index < values.length; index += 1) {
    out += render(values[index] as Part) + (strings[index + 1] ?? '');
  }
  return new Html(out);
}

/** Trusted constant markup (never user input). */
export const trusted = (value: string) => new Html(value);

/**
 * JSON for a `<script type="application/json">` data block: `<`, `>`, `&` and the line separators
 * are escaped so the text can never close the element or be read as markup.
 */
export function jsonForScript(value: unknown): Html {
  const json = JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
  return new Html(json);
}

/** A URL people may follow from a page: http(s) or a same-origin path. Anything else is dropped. */
export function safeHref(value: string | undefined): string | undefined {
  if (!value) return undefined;
  if (value.startsWith('/') && !value.startsWith('//') && !value.includes('\\')) return value;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' || url.protocol === 'mailto:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}
