import { pino, type Logger, type LoggerOptions, type DestinationStream } from 'pino';

export type { Logger };

/**
 * Structured JSON logs (one line per event) on stdout. Secret-bearing fields are redacted by path
 * as a second line of defence: code never passes tokens or secrets to the logger.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level,
    base: { service: 'jitsi-sso-gateway' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: {
      paths: ['token', 'jwt', 'secret', 'password', 'clientSecret', 'privateKey', '*.token', '*.secret', '*.password', 'req.headers.authorization', 'req.headers.cookie'],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
