import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { screenshot } from './chromium.js';

/**
 * axe-core run inside the page. The pages' CSP allows no foreign script, so axe is injected
 * through the DevTools protocol (Playwright's evaluate), which page CSP does not govern.
 */
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];

/** Serious and critical violations (WCAG 2.x A/AA and best practices); one round trip per page. */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  const violations = (await page.evaluate(`(async () => {
    ${AXE_SOURCE}
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ${JSON.stringify(TAGS)} }, resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => JSON.stringify(n.target)) }));
  })()`)) as AxeViolation[];
  return violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
}

/**
 * The check every browser test runs on a page it reaches: no serious accessibility violation
 * (unless `axe: false`), no CSP or script problem collected by watchProblems, then a screenshot
 * under test-artifacts/pages/.
 */
export async function checkPage(page: Page, name: string, problems: string[], options: { axe?: boolean } = {}): Promise<void> {
  await page.waitForLoadState('load');
  if (options.axe !== false) expect(await seriousViolations(page), `axe on ${name}`).toEqual([]);
  expect(problems, `problems on ${name}`).toEqual([]);
  await screenshot(page, name);
}
