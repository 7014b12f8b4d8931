/**
 * A stand-in CAS server (node:http on 127.0.0.1) for the faults the real CAS server in the tests
 * (LemonLDAP::NG) cannot be made to produce: malformed XML, XXE payloads, huge answers, stalls,
 * odd status codes, every failure code. Each test sets `handler` and says why it needs the fake.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StandinRequest {
  method: string;
  path: string;
  query: URLSearchParams;
}

export interface StandinCas {
  /** Base URL to configure as the provider's baseUrl, e.g. http://127.0.0.1:1234/cas */
  baseUrl: string;
  /** Every request received, in order. */
  requests: StandinRequest[];
  /** Bytes written by the handler helpers (to see that a huge answer was cut short). */
  bytesWritten: { value: number };
  handler: (req: IncomingMessage, res: ServerResponse, request: StandinRequest) => void;
  close(): Promise<void>;
}

export async function startStandinCas(): Promise<StandinCas> {
  const state: StandinCas = {
    baseUrl: '',
    requests: [],
    bytesWritten: { value: 0 },
    handler: (_req, res) => res.writeHead(500).end(),
    close: async () => undefined,
  };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const request = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams };
    state.requests.push(request);
    res.on('error', () => undefined);
    state.handler(req, res, request);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cas`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}

export function xml(res: ServerResponse, body: string, status = 200): void {
  res.writeHead(status, { 'content-type': 'application/xml; charset=utf-8' }).end(body);
}

export const success = (user: string, attributes = '') =>
  `<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas">
  <cas:authenticationSuccess>
    <cas:user>${user}</cas:user>
    ${attributes ? `<cas:attributes>${attributes}</cas:attributes>` : ''}
  </cas:authenticationSuccess>
</cas:serviceResponse>`;

export const failureXml = (code: string, text = 'Something is wrong') =>
  `<cas:serviceResponse xmlns:cas='http://www.yale.edu/tp/cas'>
  <cas:authenticationFailure code="${code}">
    ${text}
  </cas:authenticationFailure>
</cas:serviceResponse>`;
