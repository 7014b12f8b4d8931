import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { asapName } from '../../keys/keyring.js';
import { guard, parse, UsageError } from '../args.js';

/** `keys generate`: a new RSA key pair with a fresh kid, for an RS256/384/512 target. */
export async function run(argv: string[]): Promise<number> {
  return guard(async () => {
    const { values, positionals } = parse(argv, { bits: { type: 'string', default: '2048' }, kid: { type: 'string' }, out: { type: 'string' } }, true);
    if (positionals[0] !== 'generate' || positionals.length !== 1) throw new UsageError('usage: jitsi-sso-gateway keys generate [--bits 2048] [--kid <kid>] [--out <dir>]');
    const bits = Number(values.bits);
    if (![2048, 3072, 4096].includes(bits)) throw new UsageError('--bits must be 2048, 3072 or 4096');
    const kid = values.kid ?? `jsg-${new Date().toISOString().slice(0, 10)}-${Math.random().toString(36).slice(2, 8)}`;
    if (!/^[A-Za-z0-9._:-]{1,128}$/.test(kid)) throw new UsageError('--kid may use only letters, digits and . _ : -');
    const { privateKey, publicKey } = generateKeyPairSync('rsa', {
      modulusLength: bits,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    if (values.out) {
      mkdirSync(values.out, { recursive: true });
      writeFileSync(join(values.out, `${kid}.key.pem`), privateKey, { mode: 0o600 });
      writeFileSync(join(values.out, `${kid}.pub.pem`), publicKey);
      process.stdout.write(
        `kid: ${kid}\nprivate key: ${join(values.out, `${kid}.key.pem`)}\npublic key: ${join(values.out, `${kid}.pub.pem`)}\nasap path: /asap/${asapName(kid)}.pem\n\nadd to the target's keys:\n  - kid: ${kid}\n    status: next   # publish first; make it active after the JWKS max-age has passed\n    privateKeyFile: <path of the private key>\n`,
      );
    } else {
      process.stdout.write(`# kid: ${kid}\n# asap path: /asap/${asapName(kid)}.pem\n${privateKey}${publicKey}`);
    }
    return 0;
  });
}
