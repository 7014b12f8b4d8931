#!/usr/bin/env node
/**
 * jitsi-sso-gateway <command> [options]
 *   serve         run the gateway (default)
 *   check-config  validate a configuration and explain it
 *   keys          keys generate: an RSA key pair and kid for RS* targets
 *   token         mint a token for a room (operators, tests)
 *   doctor        explain whether Prosody would accept a token, and if not, which rule rejects it
 */
const COMMANDS: Record<string, () => Promise<{ run(argv: string[]): Promise<number> }>> = {
  serve: () => import('./commands/serve.js'),
  'check-config': () => import('./commands/check-config.js'),
  keys: () => import('./commands/keys.js'),
  token: () => import('./commands/token.js'),
  doctor: () => import('./commands/doctor.js'),
};

const USAGE = `usage: jitsi-sso-gateway <command> [options]

commands:
  serve [--config <file>] [--demo]     run the gateway
  check-config --config <file>         validate a configuration and explain it
  keys generate [--bits 2048] [--kid <kid>] [--out <dir>]
                                       create an RSA key pair for an RS256/384/512 target
  token --config <file> [--target <name>] --room <room> [--tenant <t>] [--moderator]
        [--name <n>] [--email <e>] [--ttl <seconds>]
                                       mint a token; prints the JWT alone on stdout
  doctor <token> --app-id <id> (--secret <s> | --secret-file <f> | --public-key-file <f>
        | --asap-key-server <url> | --jwks-url <url>) --xmpp-domain <d> --room <room>
        [--tenant <t>] [--issuer <iss>]... [--audience <aud>]...
                                       say ACCEPT, or which of Prosody's rules rejects the token
  doctor --prosody-config <file.cfg.lua>
                                       warn about Prosody settings that break the journeys
                                       (wait for host with auto owners, allow_empty_token, guests)

Configuration: --config or JSG_CONFIG; env overrides JSG_<PATH> (e.g. JSG_STORE__REDIS__URL);
secrets also as <field>File / ..._FILE.`;

async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '--help' || first === '-h' || first === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const name = first === undefined || first.startsWith('-') ? 'serve' : first;
  const args = first === undefined || first.startsWith('-') ? argv : rest;
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(`unknown command "${name}"\n\n${USAGE}\n`);
    return 2;
  }
  const command = await load();
  return command.run(args);
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
