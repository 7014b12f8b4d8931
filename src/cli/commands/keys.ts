import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { asapName } from '../../keys/keyring.js';
import { guard, parse, UsageError } from '../args.js';

/**
 * `keys generate`: a new RSA key pair with a fresh kid, for an RS256/384/512 target, and the
 * `keys:` entry to paste. The entry must pass check-config as printed: a target's first key is
 * `active` (exactly one key signs); `--rotate` prints `next` for a key added beside an active one.
 */
export async function run(argv: string[]): Promise<number> {
  return guard(async () => {
    const { values, positionals } = parse(
      argv,
      { bits: { type: 'string', default: '2048' }, kid: { type: 'string' }, out: { type: 'string' }, rotate: { type: 'boolean', default: false } },
      true,
    );
    if (positionals[0] !== 'generate' || positionals.length !== 1) {
      throw new UsageError('usage: jitsi-sso-gateway keys generate [--bits 2048] [--kid <kid>] [--out <dir>] [--rotate]');
    }
    const bits = Number(values.bits);
    if (![2048, 3072, 4096].includes(bits)) throw new UsageError('--bits must be 2048, 3072 or 4096');
    const kid = values.kid ?? `jsg-${new Date().toISOString().slice(0, 10)}-${randomBytes(4).toString('hex')}`;
    if (!/^[A-Za-z0-9._:-]{1,128}$/.test(kid)) throw new UsageError('--kid may use only letters, digits and . _ : -');
    const { privateKey, publicKey } = generateKeyPairSync('rsa', {
      modulusLength: bits,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const status = values.rotate
      ? 'next      # publish first; make it active (and the old key retiring) once jwksMaxAgeSeconds has passed'
      : 'active    # the key that signs; when rotating later, add the new key with --rotate (status: next)';
    if (values.out) {
      mkdirSync(values.out, { recursive: true });
      const keyFile = resolve(join(values.out, `${kid}.key.pem`));
      const pubFile = resolve(join(values.out, `${kid}.pub.pem`));
      writeFileSync(keyFile, privateKey, { mode: 0o600 });
      writeFileSync(pubFile, publicKey);
      process.stdout.write(
        `# kid: ${kid}\n# private key: ${keyFile}\n# public key: ${pubFile}\n# asap path: /asap/${asapName(kid)}.pem\n` +
          `# add to the target's keys (algorithm: RS256):\n- kid: ${kid}\n  status: ${status}\n  privateKeyFile: ${keyFile}\n`,
      );
    } else {
      const inline = privateKey.trimEnd().split('\n').map((line) => `    ${line}`).join('\n');
      process.stdout.write(
        `# kid: ${kid}\n# asap path: /asap/${asapName(kid)}.pem\n# add to the target's keys (algorithm: RS256); better: --out <dir> and privateKeyFile\n` +
          `- kid: ${kid}\n  status: ${status}\n  privateKey: |\n${inline}\n# public key (for reference; the gateway derives it):\n${publicKey.trimEnd().split('\n').map((line) => `#   ${line}`).join('\n')}\n`,
      );
    }
    return 0;
  });
}
