import type { PageLanguage } from '../config/ui.js';
import { de } from './messages/de.js';
import { en, type Catalogue, type MessageKey } from './messages/en.js';
import { fr } from './messages/fr.js';

export type { MessageKey };

const CATALOGUES: Record<PageLanguage, Catalogue> = { en, fr, de };

/** Longest Accept-Language header we read; anything beyond is ignored, not an error. */
const MAX_HEADER = 512;
const RANGE = /^([A-Za-z]{1,8})(?:-[A-Za-z0-9]{1,8})*$|^\*$/;

/**
 * Picks the page language from Accept-Language (RFC 9110 §12.5.4): the offered language with the
 * highest q among the ranges the browser lists ("fr-CH" matches "fr"; q=0 excludes). Falls back to
 * the first offered language. Pure; never throws on hostile input.
 */
export function negotiateLanguage(header: string | undefined, offered: readonly PageLanguage[]): PageLanguage {
  const fallback = offered[0] ?? 'en';
  if (!header) return fallback;
  let best: { language: PageLanguage; q: number; order: number } | undefined;
  const excluded = new Set<string>();
  header
    .slice(0, MAX_HEADER)
    .split(',')
    .forEach((item, order) => {
      const [rangeText = '', ...params] = item.trim().split(';');
      const range = rangeText.trim();
      if (!RANGE.test(range)) return;
      let q = 1;
      for (const param of params) {
        const match = /^\s*q\s*=\s*([01](?:\.\d{0,3})?)\s*$/.exec(param);
        if (match) q = Math.min(1, Number(match[1]));
      }
      const primary = range.split('-')[0]!.toLowerCase();
      if (q === 0) {
        excluded.add(primary);
        return;
      }
      const language = primary === '*' ? fallback : offered.find((candidate) => candidate === primary);
      if (!language) return;
      if (!best || q > best.q || (q === best.q && order < best.order)) best = { language, q, order };
    });
  if (best && !excluded.has(best.language)) return best.language;
  return offered.find((language) => !excluded.has(language)) ?? fallback;
}

export type Translate = (key: MessageKey, values?: Record<string, string | number>) => string;

/** A translator for one language: `t('landing.title', {organisation})`. Values are plain text. */
export function translator(language: PageLanguage): Translate {
  const catalogue = CATALOGUES[language];
  return (key, values) => {
    const template = catalogue[key] ?? en[key];
    if (!values) return template;
    return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
  };
}
