/**
 * Structured JSON logs (pino) on stdout, one object per line. Sessions log through a child logger
 * carrying their sessionId. Audio is never logged: only sizes, counts and formats.
 */
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/** A logger that drops everything (library use, most tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/**
 * A model that cannot load stops the server at start (exit 1): besides the JSON log line, one
 * plain line on stderr for whoever ran the command, naming the directory and the file.
 */
export function reportStartFailure(message: string): void {
  process.stderr.write(`undertone serve: cannot start: ${message}\n`);
}
