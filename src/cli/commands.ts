/**
 * The commands of the CLI and their help: one table, so `--help` answers for every command and
 * sub-command without loading the command (test/cli/help.test.ts walks it).
 */
export interface CommandModule {
  run(argv: string[]): Promise<number>;
}

export interface CommandHelp {
  /** One line for the command list. */
  summary: string;
  /** The full help: usage line(s), then what the options do. */
  help: string;
}

export interface CommandEntry extends CommandHelp {
  load(): Promise<CommandModule>;
  /** Sub-commands (`keys generate`, `providers check`): their own help. */
  subcommands?: Record<string, CommandHelp>;
}

const KEYS_GENERATE = `usage: jitsi-sso-gateway keys generate [--bits 2048] [--kid <kid>] [--out <dir>] [--rotate]

Creates an RSA key pair and a fresh kid for an RS256/384/512 target and prints the keys: entry to
paste into the target's configuration.

  --bits <n>    2048 (default), 3072 or 4096
  --kid <kid>   the key id (default jsg-<date>-<random>); letters, digits and . _ : -
  --out <dir>   write <kid>.key.pem (mode 600) and <kid>.pub.pem there; the snippet names the file
  --rotate      a key added next to an active one: the snippet says status: next (publish it
                first, make it active after the target's jwksMaxAgeSeconds); without it the
                snippet is for a target's first key (status: active)`;

const PROVIDERS_CHECK = `usage: jitsi-sso-gateway providers check <name> --config <file>

Checks a configured identity provider from this machine before people sign in with it, and prints
what works, what does not, and the fix:
  OIDC: discovery document and issuer, the endpoints the gateway needs, the JWKS and its signing
        algorithms, and whether the token endpoint accepts the gateway's client authentication
        (a code grant with a deliberately invalid code: invalid_grant means the client was
        authenticated, invalid_client that it was not).
  CAS:  that <baseUrl>/login answers and that the validation endpoint answers for the gateway's
        service URL (a deliberately invalid ticket must be refused as a CAS failure).
Exit code 0 when every check passes, 1 otherwise.

  --config <file>   the gateway's configuration (or JSG_CONFIG)
  --json            the results as JSON`;

export const COMMANDS: Record<string, CommandEntry> = {
  serve: {
    summary: 'run the gateway',
    help: `usage: jitsi-sso-gateway serve [--config <file>] [--demo] [--port <port>]

Runs the gateway until SIGTERM (drains: readiness 503, keeps accepting for
server.shutdownDelaySeconds, then finishes requests) or SIGINT.

  --config <file>   the configuration (or JSG_CONFIG; env overrides JSG_<PATH>)
  --demo            mode demo: the built-in development IdP and a stand-in Jitsi page
  --port <port>     listen on this port instead of server.port`,
    load: () => import('./commands/serve.js'),
  },
  'check-config': {
    summary: 'validate a configuration, explain it, and print what to register at each IdP and in Jitsi',
    help: `usage: jitsi-sso-gateway check-config --config <file> [--quiet]

Validates the configuration (every problem at once) and explains it: per provider the exact URLs
to register at the IdP (redirect, post-logout redirect and back-channel logout URIs; CAS service
URL), per Jitsi target the matching Prosody, docker-jitsi-meet and config.js settings, and the
policy rules in plain words. Exit code 1 when the configuration is invalid.

  --config <file>   the configuration (or JSG_CONFIG)
  --quiet           only say whether it is valid, and the warnings`,
    load: () => import('./commands/check-config.js'),
  },
  keys: {
    summary: 'keys generate: an RSA key pair and kid for RS* targets',
    help: `usage: jitsi-sso-gateway keys <sub-command>

sub-commands:
  generate    create an RSA key pair and kid, and print the configuration entry

Run jitsi-sso-gateway keys generate --help for its options.`,
    subcommands: { generate: { summary: 'create an RSA key pair and kid', help: KEYS_GENERATE } },
    load: () => import('./commands/keys.js'),
  },
  providers: {
    summary: 'providers check <name>: test an identity provider before sending people to it',
    help: `usage: jitsi-sso-gateway providers <sub-command>

sub-commands:
  check <name>   check a configured identity provider (discovery, keys, client authentication;
                 CAS validation) and print what to fix

Run jitsi-sso-gateway providers check --help for its options.`,
    subcommands: { check: { summary: 'check a configured identity provider', help: PROVIDERS_CHECK } },
    load: () => import('./commands/providers.js'),
  },
  token: {
    summary: 'mint a token for a room (operators, tests); prints the JWT alone',
    help: `usage: jitsi-sso-gateway token --config <file> [--target <name>] --room <room> [--tenant <t>]
       [--moderator] [--name <n>] [--email <e>] [--id <id>] [--ttl <seconds>]

Mints one token for a room with the target's keys and prints the JWT alone on stdout.

  --target <name>   the target (default: defaultTarget, or the only one)
  --room <room>     the room name as in the meeting URL
  --tenant <t>      for /tenant/room URLs
  --moderator       a moderator token (affiliation owner)
  --name, --email, --id   context.user fields
  --ttl <seconds>   lifetime (capped by the target's maxTokenTtlSeconds)`,
    load: () => import('./commands/token.js'),
  },
  doctor: {
    summary: "explain whether Prosody would accept a token, and if not, which rule rejects it",
    help: `usage: jitsi-sso-gateway doctor <token|-> --app-id <id> (--secret <s> | --secret-file <f> | --public-key-file <f>
       | --asap-key-server <url> | --jwks-url <url>) --xmpp-domain <d> --room <room> [--tenant <t>]
       [--issuer <iss>]... [--audience <aud>]... [--algorithm HS256|…|RS512] [--json]
       jitsi-sso-gateway doctor --prosody-config <file.cfg.lua>

Applies Prosody's rules in order (format, typ, alg, kid, signature, iss, aud, exp/nbf with zero
leeway, sub, room) and prints ACCEPT, or REJECT: <rule>: <why> (exit code 1). The token may be
given bare, quoted, as "Bearer …", as a meeting URL with #jwt=, or read from stdin with -.

With --prosody-config it reads a Prosody configuration and warns about settings that break the
journeys (wait for host with automatic owners, allow_empty_token, guests).`,
    load: () => import('./commands/doctor.js'),
  },
};

/** The list of commands, for `jitsi-sso-gateway --help`. */
export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, entry]) => `  ${name.padEnd(width)}  ${entry.summary}`);
  return `usage: jitsi-sso-gateway <command> [options]

commands:
${lines.join('\n')}

Every command and sub-command answers --help. Configuration: --config or JSG_CONFIG; env
overrides JSG_<PATH> (e.g. JSG_STORE__REDIS__URL); secrets also as <field>File / ..._FILE.`;
}

/** Whether argv asks for help (--help or -h anywhere). */
export const wantsHelp = (argv: readonly string[]) => argv.includes('--help') || argv.includes('-h');

/** The help of a command, or of its sub-command when argv names one. */
export function helpFor(entry: CommandEntry, argv: readonly string[]): string {
  const sub = argv.find((arg) => !arg.startsWith('-'));
  return (sub !== undefined ? entry.subcommands?.[sub]?.help : undefined) ?? entry.help;
}
