import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, newContext, screenshot } from '../support/chromium.js';
import { freePort, signInAtDevIdp } from './harness.js';

/**
 * The README's quickstart, `npm ci && npm start`, from a clean copy of the working tree (no dist,
 * no test artifacts; node_modules linked to the installed one instead of a second `npm ci`): the
 * build runs, the demo prints its address, and a person completes a login in Chromium.
 */

const ROOT = process.cwd();
const SKIP = new Set(['node_modules', 'dist', 'test-artifacts', '.git', '.tmp']);

let browser: Browser;
let copy: string;
let child: ChildProcess | undefined;
let output = '';

beforeAll(async () => {
  copy = mkdtempSync(join(tmpdir(), 'jsg-quickstart-'));
  cpSync(ROOT, copy, { recursive: true, filter: (source) => !SKIP.has(relative(ROOT, source).split('/')[0] ?? '') });
  symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir');
  browser = await launchChromium();
});

afterAll(async () => {
  if (child?.pid !== undefined && child.exitCode === null) {
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    process.kill(-child.pid, 'SIGTERM'); // the npm process group this test started
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
  }
  await browser?.close();
  if (copy) rmSync(copy, { recursive: true, force: true });
});

describe('npm start, as the README says', () => {
  it('builds, serves the demo on 127.0.0.1 and a login completes in the browser', async () => {
    const port = await freePort();
    child = spawn('npm', ['start'], { cwd: copy, env: { ...process.env, PORT: String(port) }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const url = `http://127.0.0.1:${port}`;
    await expect
      .poll(() => output, { timeout: 150_000, interval: 250 })
      .toContain(`Demo running: open ${url}/ in a browser.`);
    expect(output).not.toMatch(/oidc-provider WARNING/);

    const context = await newContext(browser);
    const page = await context.newPage();
    await page.goto(`${url}/`);
    await page.locator('[data-demo="meeting"]').click();
    await page.locator('#sign-in').click();
    await signInAtDevIdp(page, 'bob');
    await page.waitForURL((current) => current.href.startsWith(`${url}/demo-jitsi/acme/weekly%20sync#jwt=`));
    await page.locator('[data-verdict]').waitFor();
    expect(await page.locator('[data-verdict]').getAttribute('data-verdict')).toBe('ACCEPT');
    expect(JSON.parse((await page.locator('#token-payload').textContent()) ?? '{}').context.user).toMatchObject({ id: 'bob', moderator: false });
    await screenshot(page, 'quickstart-token');
    await context.close();
  }, 200_000);
});
