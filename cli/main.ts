#!/usr/bin/env node
/** The `undertone` command: predict, evaluate, train, serve, stream. */
import { runEvaluate } from './evaluate.js';
import { runPredict } from './predict.js';
import { runServe } from './serve.js';
import { runStream } from './stream.js';
import { runTrain } from './train.js';
import { commandArguments, endWithRelay, relayLongCommandLine } from './short-command-line.js';

const USAGE = `usage: undertone <command> [options]

commands:
  predict DIR|FILE...  per-second emotion timeline and overall label of audio files (WAV, MP3, FLAC,
                       Ogg Vorbis/Opus; folders, --jobs N, --split-channels for two-party recordings)
  evaluate             accuracy, UAR, F1 and confusion of a model on a labelled manifest
  train                train the model from the corpora (or cross-validate with --cv)
  serve                the live WebSocket server (docs/protocol.md)
  stream FILE          stream a file to a live server and print its labels as they arrive

Run "undertone <command> --help" for its options.`;

const commands: Record<string, (argv: string[]) => Promise<number>> = {
  predict: runPredict,
  evaluate: runEvaluate,
  train: runTrain,
  serve: runServe,
  stream: runStream,
};

async function main(): Promise<number> {
  // A command line too long for onnxruntime runs in a child with a short one (short-command-line.ts).
  const relayed = relayLongCommandLine();
  if (relayed) return relayed;
  endWithRelay();
  const [name, ...rest] = commandArguments();
  if (!name || name === '--help' || name === '-h') {
    process.stderr.write(USAGE + '\n');
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`undertone: unknown command "${name}"\n${USAGE}\n`);
    return 2;
  }
  return command(rest);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: Error) => {
    // One line for the user; the stack only when asked for (UNDERTONE_DEBUG=1).
    process.stderr.write(`undertone: ${process.env.UNDERTONE_DEBUG ? (e.stack ?? e.message) : e.message}\n`);
    process.exitCode = 1;
  },
);
