import { readFileSync } from 'node:fs';
import type { ProsodyAlgorithm } from '../../tokens/settings.js';
import { diagnose, DoctorSettingsError, type DoctorReport, type ProsodySettings } from '../../doctor/prosody.js';
import { auditProsodyConfig, parseProsodyConfig, type ProsodyFinding } from '../../doctor/prosody-config.js';
import { guard, parse, UsageError } from '../args.js';

const USAGE =
  'usage: jitsi-sso-gateway doctor <token|-> --app-id <id> (--secret <s> | --secret-file <f> | --public-key-file <f>\n' +
  '       | --asap-key-server <url> | --jwks-url <url>) --xmpp-domain <d> --room <room> [--tenant <t>]\n' +
  '       [--issuer <iss>]... [--audience <aud>]... [--algorithm HS256|…|RS512] [--json]\n' +
  '       jitsi-sso-gateway doctor --prosody-config <file.cfg.lua> [--json]';

const ALGORITHMS = ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512'];

function readFile(option: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`${option}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** Accepts the token bare, quoted, as `Bearer …`, or in a `#jwt="…"` / `?jwt=` meeting URL. */
export function extractToken(input: string): string {
  let token = input.trim();
  const fromUrl = /[#?&]jwt=([^&]+)/.exec(token);
  if (fromUrl?.[1]) token = decodeURIComponent(fromUrl[1]);
  token = token.replace(/^Bearer\s+/i, '');
  if (token.length >= 2 && token.startsWith('"') && token.endsWith('"')) token = token.slice(1, -1);
  return token;
}

/** Formats a report: one line per rule, then `ACCEPT` or `REJECT: <rule>: <message>`. */
export function formatReport(report: DoctorReport): string {
  const width = Math.max(...report.rules.map((result) => result.rule.length));
  const lines = report.rules.map((result) => {
    const mark = result.skipped ? '·' : result.ok ? '✓' : '✗';
    const note = result.ok && result.warning ? ' [warning]' : '';
    return `${mark} ${result.rule.padEnd(width)}  ${result.message}${note}`;
  });
  lines.push(report.failure ? `REJECT: ${report.failure.rule}: ${report.failure.message}` : 'ACCEPT');
  return `${lines.join('\n')}\n`;
}

/** One block per finding: `warning <code> (<where>)` and the explanation; or a line saying all is well. */
export function formatFindings(findings: readonly ProsodyFinding[]): string {
  if (findings.length === 0) return 'no problems found for the gateway\'s journeys (wait for host, token domain, guests)\n';
  return `${findings.map((finding) => `${finding.level} ${finding.code} (${finding.where})\n  ${finding.message}`).join('\n')}\n`;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * `doctor`: would Prosody accept this token for this room? Prints each of Prosody's rules with
 * ✓/✗ and ACCEPT or the first rule that rejects it. Exit 0 on ACCEPT, 1 on REJECT, 2 on usage
 * errors. The secret is never printed. Pass `-` as the token to read it from stdin (keeps it out
 * of the shell history).
 */
export async function run(argv: string[]): Promise<number> {
  return guard(async () => {
    const { values, positionals } = parse(
      argv,
      {
        'app-id': { type: 'string' },
        secret: { type: 'string' },
        'secret-file': { type: 'string' },
        'public-key-file': { type: 'string' },
        'asap-key-server': { type: 'string' },
        'jwks-url': { type: 'string' },
        'xmpp-domain': { type: 'string' },
        room: { type: 'string' },
        tenant: { type: 'string' },
        issuer: { type: 'string', multiple: true },
        audience: { type: 'string', multiple: true },
        algorithm: { type: 'string' },
        json: { type: 'boolean', default: false },
        'prosody-config': { type: 'string' },
      },
      true,
    );
    if (values['prosody-config'] !== undefined) {
      if (positionals.length > 0) throw new UsageError(`--prosody-config audits a Prosody configuration; check a token in a separate run\n${USAGE}`);
      const findings = auditProsodyConfig(parseProsodyConfig(readFile('--prosody-config', values['prosody-config'])));
      process.stdout.write(values.json ? `${JSON.stringify({ findings }, null, 2)}\n` : formatFindings(findings));
      return findings.some((finding) => finding.level === 'warning') ? 1 : 0;
    }
    if (positionals.length !== 1) throw new UsageError(`doctor needs exactly one token\n${USAGE}`);
    if (!values['app-id']) throw new UsageError(`--app-id is required\n${USAGE}`);
    if (!values['xmpp-domain']) throw new UsageError(`--xmpp-domain is required\n${USAGE}`);
    if (!values.room) throw new UsageError(`--room is required (the room name as in the meeting URL)\n${USAGE}`);
    if (values.secret !== undefined && values['secret-file'] !== undefined) throw new UsageError('use --secret or --secret-file, not both');
    const secret = values['secret-file'] !== undefined ? readFile('--secret-file', values['secret-file']).replace(/\r?\n$/, '') : values.secret;
    const publicKeyPem = values['public-key-file'] !== undefined ? readFile('--public-key-file', values['public-key-file']) : undefined;
    if (secret === undefined && !publicKeyPem && !values['asap-key-server'] && !values['jwks-url']) {
      throw new UsageError(`one of --secret, --secret-file, --public-key-file, --asap-key-server or --jwks-url is required\n${USAGE}`);
    }
    for (const option of ['asap-key-server', 'jwks-url'] as const) {
      const url = values[option];
      if (url !== undefined && !/^https?:\/\/[^/]/.test(url)) throw new UsageError(`--${option} must be an http(s) URL`);
    }
    if (values.algorithm !== undefined && !ALGORITHMS.includes(values.algorithm)) throw new UsageError(`--algorithm must be one of ${ALGORITHMS.join(', ')}`);

    const raw = positionals[0] === '-' ? await readStdin() : (positionals[0] ?? '');
    const token = extractToken(raw);
    const settings: ProsodySettings = {
      appId: values['app-id'],
      appSecret: secret,
      publicKeyPem,
      asapKeyServer: values['asap-key-server'],
      cacheKeysUrl: values['jwks-url'],
      signatureAlgorithm: values.algorithm as ProsodyAlgorithm | undefined,
      acceptedIssuers: values.issuer,
      acceptedAudiences: values.audience,
      xmppDomain: values['xmpp-domain'],
      room: values.room,
      tenant: values.tenant,
    };
    let report: DoctorReport;
    try {
      report = await diagnose(token, settings);
    } catch (error) {
      if (error instanceof DoctorSettingsError) throw new UsageError(error.message);
      throw error;
    }
    process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
    return report.verdict === 'ACCEPT' ? 0 : 1;
  });
}
