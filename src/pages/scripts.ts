import { createHash } from 'node:crypto';

/** `'sha256-…'` CSP source of an inline script's exact text. */
export function scriptHash(source: string): string {
  return `'sha256-${createHash('sha256').update(source, 'utf8').digest('base64')}'`;
}

/**
 * The inline-login completion script. It never changes: what it posts comes from a JSON data
 * block (`<script type="application/json" id="jsg-post">`, not executed, not subject to CSP) so
 * the script itself is allowed by hash on every page. It posts the message to `opener` (the
 * tokenAuthInline popup) or `parent` (the silent logout iframe) with the exact Jitsi origin as
 * target: the browser drops the message if the window there has any other origin.
 */
export const POST_RESULT_SCRIPT = `(function () {
  var block = document.getElementById('jsg-post');
  if (!block) return;
  var data = JSON.parse(block.textContent || '{}');
  block.parentNode.removeChild(block);
  var target = data.to === 'parent' ? (window.parent !== window ? window.parent : null) : window.opener;
  if (!target) {
    var hint = document.getElementById('jsg-no-opener');
    if (hint) hint.hidden = false;
    return;
  }
  target.postMessage(data.message, data.origin);
})();`;

export const POST_RESULT_SCRIPT_HASH = scriptHash(POST_RESULT_SCRIPT);

/** Hashes allowed on every gateway page (see src/http/middleware/headers.ts). */
export const PAGE_SCRIPT_HASHES: readonly string[] = [POST_RESULT_SCRIPT_HASH];
