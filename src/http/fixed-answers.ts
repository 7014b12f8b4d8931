import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';

/**
 * A public answer that is the same bytes for every request until its table is replaced (the
 * published keys: one PEM per kid, the JWKS). Served from the request listener, before Koa.
 */
export interface FixedAnswer {
  /** The complete Content-Type header (with its charset where one applies). */
  type: string;
  body: string;
  cacheControl: string;
  /** Route label of the request metric. */
  route: string;
}

/** The request counter's children this table increments (prom-client's Counter has labels()). */
export interface RequestCounter {
  labels(labels: { method: string; route: string; status: string }): { inc(): void };
}

interface Prepared {
  headers: OutgoingHttpHeaders;
  /** The same headers plus `Connection: close`, for answers written while the process drains. */
  closing: OutgoingHttpHeaders;
  body: Buffer;
  get: { inc(): void };
  head: { inc(): void };
}

/**
 * Fixed answers by exact path (the query string is ignored), for GET and HEAD: status 200 and the
 * headers Koa wrote for them before (Cache-Control, X-Content-Type-Options, Content-Type,
 * Content-Length), counted in the HTTP request metric under their route, no log line (they had
 * none). Headers and body are prepared once per table: an answer is one Map lookup and one write.
 * Anything else (another method, another path, an absolute-form request target) is left to Koa.
 *
 * The table is replaced whole (replace()), so a key set published after a rotation is in effect
 * for the next request, and a request never sees half of one table and half of another.
 */
export class FixedAnswers {
  private table: ReadonlyMap<string, Prepared> = new Map();

  constructor(
    private readonly requests: RequestCounter,
    answers: ReadonlyMap<string, FixedAnswer> = new Map(),
  ) {
    this.replace(answers);
  }

  /** Serves `answers` from now on (e.g. the keys of a rotated keyring). */
  replace(answers: ReadonlyMap<string, FixedAnswer>): void {
    const table = new Map<string, Prepared>();
    for (const [path, answer] of answers) {
      const body = Buffer.from(answer.body, 'utf8');
      const headers: OutgoingHttpHeaders = {
        'Cache-Control': answer.cacheControl,
        'X-Content-Type-Options': 'nosniff',
        'Content-Type': answer.type,
        'Content-Length': String(body.length),
      };
      table.set(path, {
        headers,
        closing: { ...headers, Connection: 'close' },
        body,
        get: this.requests.labels({ method: 'GET', route: answer.route, status: '200' }),
        head: this.requests.labels({ method: 'HEAD', route: answer.route, status: '200' }),
      });
    }
    this.table = table;
  }

  /**
   * Answers the request when its method and path are in the table and returns true; otherwise
   * returns false without touching the response. `closing`: the process drains, so the answer says
   * `Connection: close`.
   */
  answer(request: IncomingMessage, response: ServerResponse, closing: boolean): boolean {
    if (this.table.size === 0) return false;
    const url = request.url ?? '';
    const query = url.indexOf('?');
    return this.answerAt(request.method, query < 0 ? url : url.slice(0, query), response, closing);
  }

  /**
   * The same for a path already parsed (Koa's ctx.path: what reaches Koa, e.g. an absolute-form
   * request target, is answered from the same table).
   */
  answerAt(method: string | undefined, path: string, response: ServerResponse, closing: boolean): boolean {
    if (method !== 'GET' && method !== 'HEAD') return false;
    const prepared = this.table.get(path);
    if (prepared === undefined) return false;
    response.writeHead(200, closing ? prepared.closing : prepared.headers);
    if (method === 'GET') {
      prepared.get.inc();
      response.end(prepared.body);
    } else {
      prepared.head.inc();
      response.end();
    }
    return true;
  }
}
