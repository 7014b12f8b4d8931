import { decodeJwt } from 'jose';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, newContext, watchProblems } from '../support/chromium.js';
import { signInAtDevIdp, startDemo, type RunningDemo } from './harness.js';

/**
 * "I'm the host", the gateway's side (docs/jitsi.md, 1. Guests wait for a host). A guest waits in
 * the meeting without a token; Jitsi's "I'm the host" button goes to tokenAuthUrl for the room (the
 * stand-in Jitsi page's sign-in link); after single sign-on the host is back in the SAME room with
 * an owner token (context.user.affiliation "owner", which Prosody's token_affiliation turns into
 * owner, and which opens the room for the waiting guests). With policy.hosts, somebody the policy
 * lets in but who may not host gets no token (any token would open the room): back to the meeting
 * as a guest, or refused, as configured.
 */

let browser: Browser;
let asGuest: RunningDemo;
let refused: RunningDemo;

const withHosts = (others: 'guest' | 'deny') => (defaults: Record<string, unknown>) => {
  const policy = defaults.policy as Record<string, unknown>;
  return { ...defaults, policy: { ...policy, hosts: { others } } };
};

beforeAll(async () => {
  [browser, asGuest, refused] = await Promise.all([launchChromium(), startDemo(withHosts('guest')), startDemo(withHosts('deny'))]);
});
afterAll(async () => {
  await browser?.close();
  await Promise.all([asGuest?.close(), refused?.close()]);
});

const ROOM_PATH = '/demo-jitsi/acme/Weekly%20Sync';

/** The guest's page, the "I'm the host" button, and the sign-in at the development IdP. */
async function imTheHost(page: Page, demo: RunningDemo, username: string): Promise<void> {
  await page.goto(`${demo.url}${ROOM_PATH}`);
  expect(await page.locator('#no-token').isVisible()).toBe(true);
  await page.locator('#sign-in').click();
  await page.waitForURL((url) => url.href.startsWith(`${demo.idpIssuer()}/interaction/`));
  await signInAtDevIdp(page, username);
}

describe("I'm the host", { timeout: 60_000 }, () => {
  it('a host signs in from the waiting room and is back in the same room with an owner token', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    const problems = watchProblems(page);
    await imTheHost(page, asGuest, 'alice');
    await page.waitForURL((url) => url.pathname === '/demo-jitsi/acme/weekly%20sync' && url.hash.startsWith('#jwt='));
    await page.locator('[data-verdict]').waitFor();
    expect(await page.locator('[data-verdict]').getAttribute('data-verdict')).toBe('ACCEPT');
    const jwt = JSON.parse(new URLSearchParams(new URL(page.url()).hash.slice(1)).get('jwt') ?? '""') as string;
    expect(decodeJwt(jwt)).toMatchObject({ room: 'weekly%20sync', sub: 'acme', context: { user: { moderator: true, affiliation: 'owner' } } });
    expect(problems).toEqual([]);
    await context.close();
  });

  it('somebody who may join but not host goes back to the same room as a guest, without a token', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    const problems = watchProblems(page);
    await imTheHost(page, asGuest, 'bob');
    await page.waitForURL((url) => url.pathname === '/demo-jitsi/acme/weekly%20sync');
    expect(new URL(page.url()).hash).not.toContain('jwt');
    expect(await page.locator('#no-token').isVisible()).toBe(true);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('or is refused, when the operator chooses so', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await imTheHost(page, refused, 'bob');
    await page.locator('[data-error="access_denied"]').waitFor();
    expect(await page.locator('main').textContent()).toContain('Only the hosts of this meeting sign in here');
    expect(page.url()).not.toContain('jwt');
    await context.close();
  });
});
