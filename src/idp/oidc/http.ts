import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type * as client from 'openid-client';

/**
 * The gateway's HTTP client for the IdP's back channel (token endpoint, userinfo), openid-client's
 * `customFetch`: node:http(s) with keep-alive connections per IdP origin (the agents pool by host
 * and port), TLS verified as by any node:https request.
 *
 * - Time limit: one timer per request covering connect to last byte (`timeoutMs`), instead of
 *   openid-client's `AbortSignal.timeout` per request (the provider sets its timeout to 0 then); on
 *   expiry the request is destroyed and rejected with a `TimeoutError`, which openid-client reports as
 *   OAUTH_TIMEOUT (504 "did not answer in time"). A caller's AbortSignal is honoured too.
 * - Size limit: answers beyond MAX_RESPONSE_BYTES are cut off and the request fails ("fetch
 *   failed", as an unreachable IdP); what the person's identity may weigh is checked afterwards
 *   against `maxClaimsBytes` (src/idp/oidc/provider.ts).
 * - No redirects are followed (openid-client asks for `redirect: manual`).
 * - The answer is a BackchannelResponse: the part of the Fetch API's Response that openid-client
 *   reads, over the bytes already received. A real Response (undici's Headers, a web stream for
 *   the body, `.json()` through it) cost about 9 µs of CPU per answer against 1 µs.
 *
 * Failures: nothing listening, a reset, an oversized answer → TypeError "fetch failed" (as the
 * global fetch); a connection cut in the middle of the answer → that error as it is.
 */

export const MAX_RESPONSE_BYTES = 1024 * 1024;

const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 64, keepAliveMsecs: 10_000 });
const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 64, keepAliveMsecs: 10_000 });

/** The request target of a URL, parsed once (the same few endpoints are asked on every login). */
interface Target {
  origin: string;
  options: Pick<RequestOptions, 'protocol' | 'hostname' | 'port' | 'path' | 'agent'>;
  send: typeof httpRequest;
}
const targets = new Map<string, Target>();

function targetOf(url: string): Target {
  let target = targets.get(url);
  if (target) return target;
  const parsed = new URL(url);
  const secure = parsed.protocol === 'https:';
  target = {
    origin: parsed.origin,
    options: {
      protocol: parsed.protocol,
      hostname: parsed.hostname.replace(/^\[|\]$/g, ''),
      port: parsed.port || (secure ? 443 : 80),
      path: `${parsed.pathname}${parsed.search}`,
      agent: secure ? httpsAgent : httpAgent,
    },
    send: secure ? httpsRequest : httpRequest,
  };
  if (targets.size < 256) targets.set(url, target);
  return target;
}

function toBuffer(body: client.CustomFetchOptions['body']): Buffer | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof URLSearchParams) return Buffer.from(body.toString(), 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  throw new TypeError('streamed request bodies are not supported');
}

/** Headers of an answer, read-only, over node's parsed (lower-cased) header object. */
export class AnswerHeaders {
  constructor(private readonly raw: IncomingHttpHeaders) {}

  get(name: string): string | null {
    const value = this.raw[name.toLowerCase()];
    if (value === undefined) return null;
    return Array.isArray(value) ? value.join(', ') : value;
  }

  has(name: string): boolean {
    return this.raw[name.toLowerCase()] !== undefined;
  }

  getSetCookie(): string[] {
    return this.raw['set-cookie'] ?? [];
  }

  *entries(): IterableIterator<[string, string]> {
    for (const name of Object.keys(this.raw).sort()) {
      const value = this.get(name);
      if (value !== null) yield [name, value];
    }
  }

  forEach(callback: (value: string, name: string) => void): void {
    for (const [name, value] of this.entries()) callback(value, name);
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
}

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * An answer as openid-client (oauth4webapi) reads it: status, headers, bodyUsed, text(), json(),
 * arrayBuffer(), clone(), `body?.cancel()`. oauth4webapi recognises a Response by its toStringTag.
 */
export class BackchannelResponse {
  readonly ok: boolean;
  readonly redirected = false;
  readonly type = 'basic';
  /** The body is in memory already: there is no stream to cancel. */
  readonly body = null;
  private used = false;

  constructor(
    readonly url: string,
    readonly status: number,
    readonly statusText: string,
    readonly headers: AnswerHeaders,
    private readonly payload: Buffer,
  ) {
    this.ok = status >= 200 && status < 300;
  }

  get [Symbol.toStringTag](): string {
    return 'Response';
  }

  get bodyUsed(): boolean {
    return this.used;
  }

  async text(): Promise<string> {
    const bytes = this.consume();
    // As the Fetch API's text(): UTF-8, a leading byte order mark dropped.
    return (bytes.subarray(0, 3).equals(UTF8_BOM) ? bytes.subarray(3) : bytes).toString('utf8');
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text()) as unknown;
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = this.consume();
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }

  clone(): BackchannelResponse {
    if (this.used) throw new TypeError('Response.clone: the body has already been read');
    return new BackchannelResponse(this.url, this.status, this.statusText, this.headers, this.payload);
  }

  private consume(): Buffer {
    if (this.used) throw new TypeError('Body is unusable: the body has already been read');
    this.used = true;
    return this.payload;
  }
}

const EMPTY = Buffer.alloc(0);

function timeoutError(origin: string, ms: number): Error {
  return new DOMException(`${origin} did not answer within ${ms} ms`, 'TimeoutError');
}

/** A back-channel client; `timeoutMs` bounds each request as a whole (see the file's comment). */
export function createBackchannelFetch(options: { timeoutMs?: number } = {}): client.CustomFetch {
  const { timeoutMs } = options;
  return (url, init) =>
    new Promise<Response>((resolve, reject) => {
      const target = targetOf(url);
      const body = toBuffer(init.body);
      const headers: Record<string, string> = { ...init.headers };
      if (body) headers['content-length'] = String(body.length);
      const signal = init.signal ?? undefined;
      let timer: NodeJS.Timeout | undefined;
      let settled = false;
      const fail = (error: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(error);
        request.destroy();
      };
      const request = target.send({ ...target.options, method: init.method, headers, ...(signal ? { signal } : {}) }, (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            fail(new TypeError('fetch failed', { cause: new Error(`the answer from ${target.origin} is larger than ${MAX_RESPONSE_BYTES} bytes`) }));
            response.destroy();
            return;
          }
          chunks.push(chunk);
        });
        response.on('error', fail);
        response.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          const status = response.statusCode ?? 502;
          const payload = status === 204 || status === 304 ? EMPTY : chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
          const answer = new BackchannelResponse(url, status, response.statusMessage ?? '', new AnswerHeaders(response.headers), payload);
          // openid-client's CustomFetch is typed with the Fetch API's Response; it reads only what BackchannelResponse has.
          resolve(answer as unknown as Response);
        });
      });
      request.on('error', (error) => {
        // openid-client maps AbortError/TimeoutError by name; node reports an aborted signal's reason.
        fail(signal?.aborted ? (signal.reason as Error) : new TypeError('fetch failed', { cause: error }));
      });
      if (timeoutMs !== undefined) timer = setTimeout(() => fail(timeoutError(target.origin, timeoutMs)), timeoutMs);
      request.end(body);
    });
}

/** Without a time limit of its own: for callers that pass an AbortSignal (`providers check`, the bench floor). */
export const backchannelFetch: client.CustomFetch = createBackchannelFetch();
