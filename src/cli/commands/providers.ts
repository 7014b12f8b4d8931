import { loadConfig } from '../../config/load.js';
import type { CheckResult } from '../../idp/check.js';
import { guard, parse, UsageError } from '../args.js';

const USAGE = 'usage: jitsi-sso-gateway providers check <name> --config <file> [--json]';
const MARK: Record<CheckResult['status'], string> = { ok: '✓', warn: '!', fail: '✗' };

/** `providers check <name>`: the checks of src/idp/<kind>/check.ts, printed for the operator. */
export async function run(argv: string[]): Promise<number> {
  return guard(async () => {
    const { values, positionals } = parse(argv, { config: { type: 'string', short: 'c' }, json: { type: 'boolean', default: false } }, true);
    if (positionals[0] !== 'check') throw new UsageError(USAGE);
    if (positionals.length !== 2) throw new UsageError(`providers check needs the name of one provider\n${USAGE}`);
    const name = positionals[1] as string;
    const config = loadConfig({ file: values.config }).config;
    const settings = Object.hasOwn(config.providers, name) ? config.providers[name] : undefined;
    if (!settings) {
      const names = Object.keys(config.providers);
      throw new UsageError(`no provider named "${name.slice(0, 64)}"${names.length ? `; configured: ${names.join(', ')}` : ''}`);
    }
    let results: CheckResult[];
    switch (settings.kind) {
      case 'oidc': {
        const { checkOidcProvider } = await import('../../idp/oidc/check.js');
        results = await checkOidcProvider(name, settings, config.publicUrl);
        break;
      }
      case 'cas': {
        const { checkCasProvider } = await import('../../idp/cas/check.js');
        results = await checkCasProvider(name, settings, config.publicUrl);
        break;
      }
      case 'saml': {
        const { checkSamlProvider } = await import('../../idp/saml/check.js');
        results = await checkSamlProvider(name, settings);
        break;
      }
      default:
        results = [{ check: 'checks', status: 'warn', detail: `no checks for kind ${settings.kind} yet` }];
    }
    const failed = results.some((result) => result.status === 'fail');
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ provider: name, kind: settings.kind, ok: !failed, results }, null, 2)}\n`);
    } else {
      const lines = [`provider ${name} (${settings.kind}):`];
      for (const result of results) {
        lines.push(`  ${MARK[result.status]} ${result.check}: ${result.detail}`);
        if (result.fix) lines.push(`      fix: ${result.fix}`);
      }
      lines.push(failed ? `${name}: NOT READY — fix the ✗ lines above` : `${name}: ready`);
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    return failed ? 1 : 0;
  });
}
