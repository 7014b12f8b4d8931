#!/usr/bin/env node
/**
 * jitsi-sso-gateway <command> [options]: the commands and their help are in ./commands.ts;
 * `--help` (or `-h`) answers for every command and sub-command before anything is loaded.
 */
import { COMMANDS, helpFor, usage, wantsHelp } from './commands.js';

async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '--help' || first === '-h' || first === 'help') {
    const entry = first === 'help' && rest[0] !== undefined ? COMMANDS[rest[0]] : undefined;
    process.stdout.write(`${entry ? helpFor(entry, rest.slice(1)) : usage()}\n`);
    return 0;
  }
  const name = first === undefined || first.startsWith('-') ? 'serve' : first;
  const args = first === undefined || first.startsWith('-') ? argv : rest;
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!entry) {
    process.stderr.write(`unknown command "${name}"\n\n${usage()}\n`);
    return 2;
  }
  if (wantsHelp(args)) {
    process.stdout.write(`${helpFor(entry, args)}\n`);
    return 0;
  }
  const command = await entry.load();
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
