import { html, trusted, type Html } from '../../pages/html.js';
import type { Translate } from '../../pages/i18n.js';
import type { ThemedPages } from '../../pages/pages.js';
import type { DemoUser } from '../users.js';

/** The development IdP's pages, in the gateway's look and languages. */
export class DevIdpPages {
  constructor(
    private readonly pages: ThemedPages,
    private readonly users: readonly DemoUser[],
  ) {}

  login(input: { acceptLanguage: string; uid: string; client: string; username?: string; failed?: boolean }): string {
    const { language, t } = this.pages.language(input.acceptLanguage);
    const action = `/interaction/${encodeURIComponent(input.uid)}`;
    const body = html`<div class="card">
<h1>${t('demoIdp.title')}</h1>
<p class="notice">${t('demoIdp.lead', { client: input.client })}</p>
${input.failed ? html`<p class="problem" id="login-error" role="alert">${t('demoIdp.invalid')}</p>` : ''}
<form method="post" action="${action}/login">
<label for="username">${t('demoIdp.username')}</label>
<input id="username" name="username" type="text" required autocomplete="username" autocapitalize="none" spellcheck="false" value="${input.username ?? ''}"${input.failed ? trusted(' aria-invalid="true" aria-describedby="login-error"') : ''}>
<label for="password">${t('demoIdp.password')}</label>
<input id="password" name="password" type="password" required autocomplete="current-password">
<div class="actions"><button class="button" type="submit">${t('demoIdp.submit')}</button><button class="button secondary" type="submit" formaction="${action}/abort" formnovalidate>${t('demoIdp.cancel')}</button></div>
</form>
</div>
${this.userTable(t)}`;
    return this.pages.document(language, t, t('demoIdp.title'), body);
  }

  /** oidc-provider's RP-initiated logout confirmation; `form` is its own hidden-field form. */
  logoutConfirm(acceptLanguage: string, form: string): string {
    const { language, t } = this.pages.language(acceptLanguage);
    const body = html`<div class="card">
<h1>${t('demoIdp.signOutTitle')}</h1>
${trusted(form)}
<div class="actions"><button class="button" type="submit" form="op.logoutForm" name="logout" value="yes">${t('demoIdp.signOutSubmit')}</button><button class="button secondary" type="submit" form="op.logoutForm">${t('demoIdp.signOutCancel')}</button></div>
</div>`;
    return this.pages.document(language, t, t('demoIdp.signOutTitle'), body);
  }

  loggedOut(acceptLanguage: string): string {
    const { language, t } = this.pages.language(acceptLanguage);
    return this.pages.document(language, t, t('demoIdp.signedOut'), html`<div class="card"><h1>${t('demoIdp.signedOut')}</h1></div>`);
  }

  error(acceptLanguage: string, out: Record<string, unknown>): string {
    const { language, t } = this.pages.language(acceptLanguage);
    const lines = Object.entries(out)
      .filter(([, value]) => typeof value === 'string')
      .map(([key, value]) => html`<p class="detail" lang="en">${key}: ${String(value)}</p>`);
    return this.pages.document(language, t, t('demoIdp.errorTitle'), html`<div class="card"><h1>${t('demoIdp.errorTitle')}</h1>${lines}</div>`);
  }

  private userTable(t: Translate): Html {
    return html`<div class="card"><div class="table-wrap" tabindex="0" role="region" aria-labelledby="demo-users"><table>
<caption id="demo-users">${t('demo.usersCaption')}</caption>
<thead><tr><th scope="col">${t('demo.username')}</th><th scope="col">${t('demo.password')}</th><th scope="col">${t('demo.groups')}</th></tr></thead>
<tbody>${this.users.map((user) => html`<tr><td><code>${user.username}</code></td><td><code>${user.password}</code></td><td>${user.groups.length > 0 ? user.groups.join(', ') : t('demo.none')}</td></tr>`)}</tbody>
</table></div></div>`;
  }
}
