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
