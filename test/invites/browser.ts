/** What a browser does with an invite link: open the page, post the form, follow nothing. */

export interface InvitePage {
  status: number;
  html: string;
  /** The hidden csrf field and the jsg_invite cookie set with the page. */
  csrf: string;
  cookie: string;
  headers: Headers;
}

export async function openInvite(url: string): Promise<InvitePage> {
  const response = await fetch(url, { redirect: 'manual', headers: { accept: 'text/html' } });
  const html = await response.text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
  const setCookie = response.headers.getSetCookie().find((cookie) => cookie.startsWith('jsg_invite='));
  const cookie = setCookie ? (/^jsg_invite=([^;]*)/.exec(setCookie)?.[1] ?? '') : '';
  return { status: response.status, html, csrf, cookie, headers: response.headers };
}

export interface Redemption {
  status: number;
  location: string | null;
  html: string;
}

export async function postInvite(url: string, form: { name?: string; csrf?: string }, cookie?: string, contentType = 'application/x-www-form-urlencoded'): Promise<Redemption> {
  const body = new URLSearchParams();
  if (form.csrf !== undefined) body.set('csrf', form.csrf);
  if (form.name !== undefined) body.set('name', form.name);
  const response = await fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': contentType, accept: 'text/html', ...(cookie !== undefined ? { cookie: `jsg_invite=${cookie}` } : {}) },
    body: body.toString(),
  });
  return { status: response.status, location: response.headers.get('location'), html: await response.text() };
}

/** Opens the page and posts the form with the given name, as a person would. */
export async function redeem(url: string, name: string): Promise<Redemption> {
  const page = await openInvite(url);
  if (page.status !== 200) return { status: page.status, location: null, html: page.html };
  return postInvite(url, { name, csrf: page.csrf }, page.cookie);
}

/** The moderator's invite page as a browser with a gateway session sees it. */
export interface ManagerPage extends InvitePage {
  /** The jsg_invites cookie's Path attribute. */
  cookiePath: string;
}

export async function openManager(url: string, session?: string, acceptLanguage = 'en'): Promise<ManagerPage> {
  const response = await fetch(url, { redirect: 'manual', headers: { accept: 'text/html', 'accept-language': acceptLanguage, ...(session !== undefined ? { cookie: session } : {}) } });
  const html = await response.text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
  const setCookie = response.headers.getSetCookie().find((cookie) => cookie.startsWith('jsg_invites='));
  const cookie = setCookie ? (/^jsg_invites=([^;]*)/.exec(setCookie)?.[1] ?? '') : '';
  const cookiePath = setCookie ? (/;\s*Path=([^;]*)/i.exec(setCookie)?.[1] ?? '') : '';
  return { status: response.status, html, csrf, cookie, cookiePath, headers: response.headers };
}

/** Posts one of the page's forms (create or revoke) with the session and the form cookie. */
export async function postManager(
  url: string,
  form: Record<string, string>,
  cookies: { session?: string; form?: string },
  contentType = 'application/x-www-form-urlencoded',
): Promise<Redemption & { page: ManagerPage }> {
  const cookie = [cookies.session, cookies.form !== undefined ? `jsg_invites=${cookies.form}` : undefined].filter(Boolean).join('; ');
  const response = await fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': contentType, accept: 'text/html', ...(cookie ? { cookie } : {}) },
    body: new URLSearchParams(form).toString(),
  });
  const html = await response.text();
  const setCookie = response.headers.getSetCookie().find((value) => value.startsWith('jsg_invites='));
  const page: ManagerPage = {
    status: response.status,
    html,
    csrf: /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '',
    cookie: setCookie ? (/^jsg_invites=([^;]*)/.exec(setCookie)?.[1] ?? '') : '',
    cookiePath: setCookie ? (/;\s*Path=([^;]*)/i.exec(setCookie)?.[1] ?? '') : '',
    headers: response.headers,
  };
  return { status: response.status, location: response.headers.get('location'), html, page };
}

/** The new link shown after creating one (the read-only field), or undefined. */
export const createdLink = (html: string): string | undefined => /id="created-link" type="text" readonly value="([^"]+)"/.exec(html)?.[1];
