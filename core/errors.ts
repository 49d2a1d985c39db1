/**
 * An error about one input (a file, a message, a packet) that callers report and move past:
 * the CLI prints it on one line naming the file, the server maps it to a JSON error and a
 * close code. Anything that is not an AudioInputError is a bug, not bad input.
 */
export class AudioInputError extends Error {
  constructor(message: string, readonly source?: string) {
    super(source ? `${source}: ${message}` : message);
    this.name = 'AudioInputError';
  }
}
