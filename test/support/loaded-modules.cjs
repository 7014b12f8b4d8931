// Preloaded into a gateway process by tests (node -r): on SIGUSR2 it writes one stderr line
// `loaded-modules <JSON array>` with every CommonJS module loaded so far (ESM imports of CommonJS
// packages such as ioredis and prom-client land in the same cache).
process.on('SIGUSR2', () => process.stderr.write(`loaded-modules ${JSON.stringify(Object.keys(require.cache))}\n`));
