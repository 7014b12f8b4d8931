import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPage } from '../support/axe.js';
import { launchChromium, newContext, watchProblems } from '../support/chromium.js';
import { signInAtDevIdp, startDemo, type RunningDemo } from './harness.js';

/**
 * Guest invites in the demo: alice (a moderator by the demo policy) signs in and creates an invite
 * on the moderator's invite page with her gateway session; a guest in another browser opens it, gives a name, lands in the room
 * with a guest token; the used-up link then gets the "cannot be used" page.
 */

let browser: Browser;
let demo: RunningDemo;

beforeAll(async () => {
  [browser, demo] = await Promise.all([launchChromium(), startDemo()]);
});
afterAll(async () => {
  await browser?.close();
  await demo?.close();
});

describe('invite page', { timeout: 60_000 }, () => {
  it('a moderator invites, a guest joins by name, the used link is refused', async () => {
    const host = await newContext(browser);
    const hostPage = await host.newPage();
    await hostPage.goto(`${demo.url}/demo-jitsi/acme/Weekly%20Sync`);
    await hostPage.locator('#sign-in').click();
    await signInAtDevIdp(hostPage, 'alice');
    await hostPage.waitForURL((url) => url.hash.startsWith('#jwt='));
    // The moderator's invite page, reached as a newcomer would: from the demo's landing page.
    // Watched from there on: leaving the stand-in Jitsi page may abort its background check.
    await hostPage.goto(`${demo.url}/`);
    const hostProblems = watchProblems(hostPage);
    await hostPage.locator('[data-demo="invite"]').click();
    await hostPage.waitForURL(`${demo.url}/invites/acme/Weekly%20Sync`);
    expect(await hostPage.locator('h1').textContent()).toBe('Invite guests');
    await checkPage(hostPage, 'invite-manager', hostProblems);
    await hostPage.getByLabel('Guest', { exact: true }).check();
    await hostPage.getByLabel('Number of guests').fill('1');
    await hostPage.getByLabel('Note for your guests (optional)').fill('Guest talk: compilers');
    await hostPage.getByRole('button', { name: 'Create link' }).click();
    await hostPage.locator('#created-link').waitFor();
    const invite = { url: await hostPage.locator('#created-link').inputValue() };
    expect(invite.url).toMatch(new RegExp(`^${demo.url}/invite/[\\w-]{22}$`));
    expect(await hostPage.locator('#created-link').getAttribute('readonly')).not.toBeNull();
    expect(await hostPage.locator('tbody tr').count()).toBe(1);
    await checkPage(hostPage, 'invite-manager-created', hostProblems);
    await host.close();

    const guest = await newContext(browser, { locale: 'fr-FR' });
    const page = await guest.newPage();
    const problems = watchProblems(page);
    await page.goto(invite.url);
    expect(await page.locator('h1').textContent()).toBe('Vous êtes invité à une réunion');
    expect(await page.locator('main').textContent()).toContain('Réunion : acme/weekly sync');
    await checkPage(page, 'invite-fr', problems);

    await page.getByRole('button', { name: 'Rejoindre la réunion' }).click();
    await page.locator('#name-error').waitFor();
    expect(await page.getByLabel('Votre nom').getAttribute('aria-invalid')).toBe('true');
    await checkPage(page, 'invite-name-missing-fr', problems);

    await page.getByLabel('Votre nom').fill('Grace Hopper');
    await page.getByRole('button', { name: 'Rejoindre la réunion' }).click();
    await page.waitForURL((url) => url.pathname === '/demo-jitsi/acme/weekly%20sync' && url.hash.startsWith('#jwt='));
    await page.locator('[data-verdict]').waitFor();
    expect(await page.locator('[data-verdict]').getAttribute('data-verdict')).toBe('ACCEPT');
    const payload = JSON.parse((await page.locator('#token-payload').textContent()) ?? '{}');
    expect(payload.context.user).toMatchObject({ name: 'Grace Hopper', moderator: false });

    const again = await page.goto(invite.url);
    expect(again?.status()).toBe(410);
    expect(await page.locator('[data-invite-gone]').getAttribute('data-invite-gone')).toBe('used_up');
    await checkPage(page, 'invite-gone-fr', problems);

    const unknown = await page.goto(`${demo.url}/invite/AAAAAAAAAAAAAAAAAAAAAA`);
    expect(unknown?.status()).toBe(404);
    expect(await page.locator('[data-invite-gone]').getAttribute('data-invite-gone')).toBe('unknown');
    await guest.close();
  });
});
