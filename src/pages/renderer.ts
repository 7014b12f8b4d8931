/**
 * What the HTTP layer needs from the pages concern. The default implementation is deliberately
 * plain; src/pages/ provides the themed, translated one.
 */
export interface ErrorPageInput {
  status: number;
  code: string;
  message: string;
  /** Accept-Language header of the request, for the page language. */
  acceptLanguage?: string | undefined;
  /** Safe extra values (e.g. a "start again" URL). */
  context?: Record<string, string> | undefined;
}

export interface PageRenderer {
  errorPage(input: ErrorPageInput): string;
}

const escapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (char) => escapes[char] ?? char);

export const plainPages: PageRenderer = {
  errorPage({ status, message, context }) {
    const again = context?.retryUrl ? `<p><a href="${escapeHtml(context.retryUrl)}">Start again</a></p>` : '';
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Error ${status}</title></head><body><main><h1>Sign-in problem</h1><p>${escapeHtml(message)}</p>${again}</main></body></html>`;
  },
};
