import { describeError, fail, ok, providerUrls, type CheckResult } from '../check.js';
import { buildServiceUrl, VALIDATE_PATHS } from './provider.js';
import { parseCas1Response, parseServiceResponse } from './response.js';
import type { CasProviderSettings } from './settings.js';

const REACH_FIX = 'check baseUrl (the CAS server prefix, e.g. https://cas.example.org/cas) and that the gateway reaches it (DNS, firewall, proxy, TLS trust)';
const REGISTER_FIX = (service: string) => `register the service at the CAS server: ${service.split('?')[0]} as a prefix or pattern (the gateway adds ?tx=<id>)`;

async function get(url: string, timeoutMs: number, fetchImpl: typeof fetch): Promise<{ status: number; body: string }> {
  const response = await fetchImpl(url, { redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  const body = (await response.text()).slice(0, 64 * 1024);
  return { status: response.status, body };
}

/**
 * Checks a CAS server for the gateway's service URL: `<baseUrl>/login` answers, and the validation
 * endpoint of the configured version answers a deliberately invalid ticket with a CAS failure
 * (INVALID_TICKET: it knows the service; INVALID_SERVICE / UNAUTHORIZED_SERVICE: register it).
 */
export async function checkCasProvider(name: string, settings: CasProviderSettings, publicUrl: string, fetchImpl: typeof fetch = fetch): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const service = buildServiceUrl(providerUrls(publicUrl, name).callback, 'providers-check');
  const loginUrl = `${settings.baseUrl}/login?${new URLSearchParams({ service })}`;
  try {
    const login = await get(loginUrl, settings.timeoutMs, fetchImpl);
    if (login.status === 200 || (login.status >= 300 && login.status < 400)) results.push(ok('login page', `${settings.baseUrl}/login answers HTTP ${login.status}`));
    else results.push(fail('login page', `${settings.baseUrl}/login answered HTTP ${login.status}`, REACH_FIX));
  } catch (error) {
    results.push(fail('login page', `${settings.baseUrl}/login: ${describeError(error)}`, REACH_FIX));
    return results;
  }
  const path = VALIDATE_PATHS[settings.version];
  const validateUrl = `${settings.baseUrl}${path}?${new URLSearchParams({ service, ticket: 'ST-0-jsg-providers-check-invalid' })}`;
  const what = `validation (${path}, CAS ${settings.version})`;
  let answer: { status: number; body: string };
  try {
    answer = await get(validateUrl, settings.timeoutMs, fetchImpl);
  } catch (error) {
    results.push(fail(what, `${settings.baseUrl}${path}: ${describeError(error)}`, REACH_FIX));
    return results;
  }
  if (answer.status !== 200) {
    results.push(fail(what, `${settings.baseUrl}${path} answered HTTP ${answer.status}`, `check baseUrl and version (${settings.version} validates at ${path})`));
    return results;
  }
  const result = settings.version === '1.0' ? parseCas1Response(answer.body) : parseServiceResponse(answer.body);
  if (result.ok === 'malformed') {
    results.push(fail(what, `the answer is not a CAS ${settings.version} validation response (${result.reason})`, `check baseUrl and version (${settings.version} validates at ${path})`));
  } else if (result.ok === true) {
    results.push(fail(what, 'the CAS server accepted a made-up ticket', 'do not use this CAS server: it validates tickets it never issued'));
  } else if (result.code === 'INVALID_TICKET') {
    results.push(ok(what, `answers for ${service.split('?')[0]} (a made-up ticket is refused with INVALID_TICKET)`));
  } else if (result.code === 'INVALID_SERVICE' || result.code === 'UNAUTHORIZED_SERVICE') {
    results.push(fail(what, `the CAS server refuses the service URL (${result.code})`, REGISTER_FIX(service)));
  } else {
    results.push(fail(what, `the CAS server answered ${result.code}${result.message ? ` (${result.message.slice(0, 200)})` : ''}`, 'see the CAS server log'));
  }
  return results;
}
