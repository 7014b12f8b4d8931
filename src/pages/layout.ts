import type { PageLanguage, UiConfig } from '../config/ui.js';
import { html, safeHref, type Html } from './html.js';
import type { Translate } from './i18n.js';
import type { Theme } from './theme.js';

export interface DocumentInput {
  language: PageLanguage;
  t: Translate;
  /** The page's own title; the organisation is appended. */
  title: string;
  body: Html;
  /** Data blocks and hashed inline scripts, placed at the end of <body>. */
  scripts?: Html | undefined;
  /** Show the support link in the footer (error pages). */
  support?: boolean;
}

/**
 * The frame of every page: language, viewport, the themed stylesheet, the organisation header,
 * one <main>, a footer. Landmarks and a real <h1> on every page; nothing loaded from elsewhere
 * except the configured logo.
 */
export function renderDocument(ui: UiConfig, theme: Theme, input: DocumentInput): string {
  const { t } = input;
  const logo = safeHref(ui.logoUrl);
  const support = input.support ? safeHref(ui.supportUrl) : undefined;
  return html`<!doctype html>
<html lang="${input.language}" dir="ltr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex, nofollow">
<meta name="color-scheme" content="light">
<title>${input.title} – ${ui.organisation}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${theme.href}">
</head>
<body>
<header class="site">
${logo ? html`<img src="${logo}" alt="" width="40" height="40">` : ''}
<div><p class="org">${ui.organisation}</p><p class="tag">${t('site.tagline')}</p></div>
</header>
<main id="main">
${input.body}
</main>
<footer>
<p>${t('footer.about')}</p>
${support ? html`<p><a href="${support}">${t('footer.help')}</a></p>` : ''}
</footer>
${input.scripts ?? ''}
</body>
</html>
`.value;
}
