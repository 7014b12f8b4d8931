import { GatewayError } from '../../errors/gateway-error.js';

/**
 * One bounded GET to the CAS server: a hard time limit for the whole exchange (connect, headers and
 * body), a size limit enforced while streaming (the download stops as soon as it is exceeded), no
 * redirects followed, only status 200 accepted.
 */
export interface BoundedGetOptions {
  provider: string;
  displayName: string;
  timeoutMs: number;
  maxBytes: number;
  fetch: typeof fetch;
  /** What the request is for, in log details ("ticket validation"). */
  purpose: string;
  /** Safe to log (no ticket). */
  logUrl: string;
}

export async function boundedGet(url: string, options: BoundedGetOptions): Promise<string> {
  const { provider, displayName, timeoutMs, maxBytes, purpose, logUrl } = options;
  const timeout = AbortSignal.timeout(timeoutMs);
  const local = new AbortController();
  const signal = AbortSignal.any([timeout, local.signal]);
  const started = Date.now();
  const detail = (extra: Record<string, unknown> = {}) => ({ provider, purpose, url: logUrl, elapsedMs: Date.now() - started, ...extra });

  const unreachable = (error: unknown): GatewayError => {
    if (timeout.aborted) {
      return new GatewayError('idp_timeout', `${displayName} did not answer in time. Please try again in a moment.`, {
        detail: detail({ timeoutMs }),
        cause: error,
      });
    }
    return new GatewayError('idp_unavailable', `${displayName} cannot be reached right now. Please try again in a moment.`, {
      detail: detail({ error: describe(error) }),
      cause: error,
    });
  };

  let response: Response;
  try {
    response = await options.fetch(url, {
      method: 'GET',
      redirect: 'manual',
      signal,
      headers: { accept: 'application/xml, text/xml;q=0.9, text/plain;q=0.8, */*;q=0.1' },
    });
  } catch (error) {
    throw unreachable(error);
  }

  const tooLarge = (received: number | string) =>
    new GatewayError('idp_error', `${displayName} sent an answer that is too large to be a CAS answer.`, {
      detail: detail({ maxBytes, received }),
    });

  if (response.status !== 200) {
    local.abort();
    await response.body?.cancel().catch(() => undefined);
    throw new GatewayError('idp_error', `${displayName} answered the sign-in check with an error (HTTP ${response.status}).`, {
      detail: detail({ status: response.status }),
    });
  }

  const declared = response.headers.get('content-length');
  if (declared !== null && /^\d+$/.test(declared.trim()) && Number(declared.trim()) > maxBytes) {
    local.abort();
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge(`content-length ${declared.trim()}`);
  }

  const body = response.body;
  if (!body) return '';
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        local.abort();
        await reader.cancel().catch(() => undefined);
        throw tooLarge(`more than ${maxBytes} bytes`);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof GatewayError) throw error;
    throw unreachable(error);
  } finally {
    reader.releaseLock();
  }
  return new TextDecoder('utf-8', { fatal: false, ignoreBOM: false }).decode(concat(chunks, total));
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  const code = cause && typeof cause === 'object' && 'code' in cause ? String((cause as { code: unknown }).code) : undefined;
  return code ? `${error.message} (${code})` : error.message;
}
