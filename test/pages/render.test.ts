import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { contrastRatio, uiSchema } from '../../src/config/ui.js';
import { ConfigError } from '../../src/config/errors.js';
import { SecurityHeaders } from '../../src/http/middleware/headers.js';
import { negotiateLanguage } from '../../src/pages/i18n.js';
import { de } from '../../src/pages/messages/de.js';
import { en } from '../../src/pages/messages/en.js';
import { fr } from '../../src/pages/messages/fr.js';
import { createPages, ERROR_CODES } from '../../src/pages/pages.js';
import { PAGE_SCRIPT_HASHES, POST_RESULT_SCRIPT, POST_RESULT_SCRIPT_HASH, scriptHash } from '../../src/pages/scripts.js';
import { hsSettings } from '../support/config.js';

const ui = uiSchema.parse({});
const pages = createPages(ui, { basePath: '/sso' });

describe('language from Accept-Language', () => {
  const all = ['en', 'fr', 'de'] as const;
  it.each([
    [undefined, 'en'],
    ['', 'en'],
    ['fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5', 'fr'],
    ['de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7', 'de'],
    ['en-GB,en;q=0.9', 'en'],
    ['es-ES, de;q=0.4, fr;q=0.6', 'fr'],
    ['es, it', 'en'],
    ['*', 'en'],
    ['fr;q=0, de;q=0.1', 'de'],
    ['FR', 'fr'],
    ['de;q=1.000, fr;q=1', 'de'],
    ['x'.repeat(5000), 'en'],
    ['fr;q=abc, de;q=0.2', 'fr'],
    [';;;,,,=', 'en'],
  ])('%s → %s', (header, expected) => {
    expect(negotiateLanguage(header, all)).toBe(expected);
  });

  it('only offers configured languages; the first is the fallback', () => {
    expect(negotiateLanguage('fr', ['de', 'en'])).toBe('de');
    expect(negotiateLanguage('en;q=0.2, fr', ['de', 'en'])).toBe('en');
  });
});

describe('catalogues', () => {
  it('French and German translate every English key, with the same placeholders', () => {
    for (const catalogue of [fr, de]) {
      expect(Object.keys(catalogue).sort()).toEqual(Object.keys(en).sort());
      for (const [key, text] of Object.entries(en)) {
        const placeholders = (value: string) => (value.match(/\{\w+\}/g) ?? []).sort();
        expect(placeholders(catalogue[key as keyof typeof en]), key).toEqual(placeholders(text));
      }
    }
  });
});

describe('error pages', () => {
  it.each(ERROR_CODES)('%s has a translated title in en, fr and de', (code) => {
    const titles = (['en', 'fr', 'de'] as const).map((language) => {
      const page = pages.errorPage({ status: 400, code, message: 'm', acceptLanguage: language });
      expect(page).toContain(`<html lang="${language}"`);
      return /<h1>([^<]+)<\/h1>/.exec(page)?.[1];
    });
    expect(titles[0]).toBe(en[`error.${code}.title`]);
    expect(titles[1]).toBe(fr[`error.${code}.title`]);
    expect(new Set(titles).size).toBeGreaterThan(1);
  });

  it('escapes the message and every context value', () => {
    const page = pages.errorPage({
      status: 400,
      code: 'invalid_room',
      message: '<script>alert(1)</script>',
      context: { room: '"><img src=x onerror=alert(1)>', retryUrl: '/login?room=a&b="c"' },
    });
    expect(page).not.toContain('<script>alert');
    expect(page).not.toContain('<img src=x');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('offers "start again" for an expired login, back to the same room', () => {
    const page = pages.errorPage({ status: 400, code: 'login_expired', message: 'expired', context: { retryUrl: '/sso/login?room=Team%20Sync&state=%7B%7D' } });
    expect(page).toContain('<a class="button" href="/sso/login?room=Team%20Sync&amp;state=%7B%7D">Start again</a>');
  });

  it.each(['javascript:alert(1)', '//evil.example/x', 'data:text/html,x', ' javascript:x', '/\\evil.example'])('drops an unsafe retry URL %s', (retryUrl) => {
    const page = pages.errorPage({ status: 400, code: 'login_expired', message: 'x', context: { retryUrl } });
    expect(page).not.toContain('class="button"');
  });

  it('shows the message of a policy denial as the organisation’s message', () => {
    const page = pages.errorPage({ status: 403, code: 'access_denied', message: 'Nur für Mitarbeitende.', acceptLanguage: 'de', context: { reason: 'policy' } });
    expect(page).toContain('Hinweis Ihrer Organisation');
    expect(page).toContain('<p>Nur für Mitarbeitende.</p>');
    const refused = pages.errorPage({ status: 403, code: 'access_denied', message: 'The sign-in was cancelled.', acceptLanguage: 'de' });
    expect(refused).not.toContain('Hinweis Ihrer Organisation');
    expect(refused).toContain('<p class="policy" lang="en">The sign-in was cancelled.</p>');
    const retry = { retryUrl: '/login?room=x' };
    expect(pages.errorPage({ status: 403, code: 'access_denied', message: 'No.', context: { ...retry, reason: 'policy' } })).not.toContain('Start again');
    expect(pages.errorPage({ status: 403, code: 'access_denied', message: 'Cancelled.', context: retry })).toContain('Start again');
  });

  it('marks English details as English on a French page', () => {
    const page = pages.errorPage({ status: 400, code: 'invalid_room', message: 'This room name cannot be used: contains NUL.', acceptLanguage: 'fr' });
    expect(page).toContain('<p class="detail" lang="en">This room name cannot be used: contains NUL.</p>');
  });

  it('hides internal details of a 500 and maps unknown codes by status', () => {
    expect(pages.errorPage({ status: 500, code: 'internal_error', message: 'TypeError: x is undefined' })).not.toContain('TypeError');
    expect(pages.errorPage({ status: 502, code: 'made_up', message: 'm' })).toContain('Something went wrong on our side');
  });

  it('in an inline login, posts oauth-error to the exact Jitsi origin', () => {
    const page = pages.errorPage({ status: 403, code: 'access_denied', message: 'no', context: { inlineOrigin: 'https://meet.example.com' } });
    expect(page).toContain('"message":{"type":"oauth-error","error":"access_denied"}');
    expect(page).toContain('"origin":"https://meet.example.com"');
    expect(pages.errorPage({ status: 403, code: 'access_denied', message: 'no', context: { inlineOrigin: '*' } })).not.toContain('jsg-post');
    expect(pages.errorPage({ status: 403, code: 'access_denied', message: 'no', context: { inlineOrigin: 'https://meet.example.com/x' } })).not.toContain('jsg-post');
  });
});

describe('moderator invite page', () => {
  const input = {
    action: '/sso/invites/acme/team%20call',
    csrfToken: '1.tok',
    room: 'team call',
    tenant: 'acme',
    maxUses: 50,
    maxLabelLength: 200,
    validity: [3600, 86400, 7 * 86400, 5400],
    entered: { role: 'moderator' as const, uses: '3', ttlSeconds: '86400', label: '"><b>x</b>' },
    invites: [
      { id: 'A'.repeat(22), url: 'https://meet.example.com/sso/invite/AAA', role: 'participant' as const, label: '<i>talk</i>', uses: 2, used: 1, status: 'active' as const, expiresAt: '2026-01-02T10:00:00.000Z' },
      { id: 'B'.repeat(22), url: 'https://meet.example.com/sso/invite/BBB', role: 'moderator' as const, uses: 1, used: 1, status: 'used_up' as const, expiresAt: '2026-01-02T10:00:00.000Z' },
    ],
  };

  it('keeps what was entered, escaped, and offers withdrawing only active links', () => {
    const page = pages.inviteManagerPage(input);
    expect(page).toContain('<input type="radio" id="role-moderator" name="role" value="moderator" checked>');
    expect(page).toContain('<option value="86400" selected>1 day</option>');
    expect(page).toContain('<option value="5400">90 minutes</option>');
    expect(page).toContain('<option value="604800">7 days</option>');
    expect(page).toContain('value="&quot;&gt;&lt;b&gt;x&lt;/b&gt;"');
    expect(page).toContain('<q>&lt;i&gt;talk&lt;/i&gt;</q>');
    expect(page).toContain('until 2026-01-02 10:00 UTC');
    expect(page.match(/name="action" value="revoke"/g)).toHaveLength(1);
    expect(page).toContain('aria-label="Withdraw &lt;i&gt;talk&lt;/i&gt;"');
    expect(page).not.toContain('created-link');
  });

  it('shows a new link read-only, and an English problem marked as English on a German page', () => {
    const page = pages.inviteManagerPage({ ...input, acceptLanguage: 'de', created: { url: 'https://meet.example.com/sso/invite/CCC', role: 'participant' }, error: 'uses may be at most 50.' });
    expect(page).toContain('<input id="created-link" type="text" readonly value="https://meet.example.com/sso/invite/CCC"');
    expect(page).toContain('<h1>Gäste einladen</h1>');
    expect(page).toContain('Bitte prüfen Sie Ihre Angaben.<br><span lang="en">uses may be at most 50.</span>');
  });

  it('without links: says so; the error pages for it tell the person what to do', () => {
    expect(pages.inviteManagerPage({ ...input, invites: [] })).toContain('You have not created any links for this meeting yet.');
    const signIn = pages.errorPage({ status: 401, code: 'unauthorized', message: 'm', acceptLanguage: 'fr', context: { reason: 'signin', meetingUrl: 'https://meet.example.com/acme/x' } });
    expect(signIn).toContain(fr['manage.signInFirst']);
    expect(signIn).toContain('href="https://meet.example.com/acme/x"');
    expect(pages.errorPage({ status: 403, code: 'forbidden', message: 'm', context: { reason: 'moderator' } })).toContain(en['manage.moderatorsOnly']);
    expect(pages.errorPage({ status: 401, code: 'unauthorized', message: 'm' })).toContain(en['error.unauthorized.body']);
  });
});

describe('inline result page', () => {
  it('carries the message in a data block that cannot close the script element', () => {
    const page = pages.inlineResultPage({
      to: 'opener',
      origin: 'https://meet.example.com',
      message: { type: 'oauth-success', accessToken: 'a.b.c</script><script>alert(1)</script>', refreshToken: 'r' },
    });
    const block = /<script type="application\/json" id="jsg-post">([^<]*)<\/script>/.exec(page)?.[1];
    expect(block).toBeDefined();
    expect(JSON.parse(block!)).toEqual({
      to: 'opener',
      origin: 'https://meet.example.com',
      message: { type: 'oauth-success', accessToken: 'a.b.c</script><script>alert(1)</script>', refreshToken: 'r' },
    });
    expect(page).toContain(`<script>${POST_RESULT_SCRIPT}</script>`);
  });

  it('the completion script is allowed by its hash on every page', () => {
    expect(POST_RESULT_SCRIPT_HASH).toBe(scriptHash(POST_RESULT_SCRIPT));
    const csp = new SecurityHeaders(PAGE_SCRIPT_HASHES).defaults(false)['content-security-policy'];
    expect(csp).toContain(`script-src ${POST_RESULT_SCRIPT_HASH}`);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
  });
});

describe('ui configuration', () => {
  it('has readable defaults', () => {
    expect(ui).toMatchObject({ organisation: 'Jitsi Meet', languages: ['en', 'fr', 'de'], landingDetails: true });
    expect(contrastRatio('#ffffff', '#000000')).toBeCloseTo(21);
    expect(contrastRatio(ui.colours.accentText, ui.colours.accent)).toBeGreaterThanOrEqual(4.5);
  });

  it('is strict and explains each problem', () => {
    const attempt = () =>
      parseConfig(
        hsSettings({
          ui: { organisation: 'Acme', colour: {}, logoUrl: 'javascript:alert(1)', colours: { accent: '#ffff00', text: 'red' }, languages: ['en', 'es'] },
        }),
      );
    expect(attempt).toThrow(ConfigError);
    const message = (() => {
      try {
        attempt();
      } catch (error) {
        return (error as Error).message;
      }
      return '';
    })();
    expect(message).toContain('unknown setting "colour"');
    expect(message).toContain('ui.logoUrl');
    expect(message).toContain('ui.colours.text');
    expect(message).toContain('ui.languages.1');
  });

  it('refuses colour pairs people could not read', () => {
    const result = uiSchema.safeParse({ colours: { accent: '#ffff00' } });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/contrast of 1\.\d+:1; at least 4\.5:1/);
  });

  it('themes the stylesheet and its URL changes with the theme', () => {
    const custom = createPages(uiSchema.parse({ organisation: 'Université Exemple', colours: { accent: '#7a1f5c' } }), { basePath: '/sso' });
    expect(custom.theme.css).toContain('--accent:#7a1f5c');
    expect(custom.theme.href).toMatch(/^\/sso\/assets\/pages-[0-9a-f]{12}\.css$/);
    expect(custom.theme.href).not.toBe(pages.theme.href);
    const page = custom.landingPage({ details: false, targets: [], providers: [], status: { ready: true, checks: [] } });
    expect(page).toContain('Université Exemple');
    expect(page).toContain(`<link rel="stylesheet" href="${custom.theme.href}">`);
  });
});
