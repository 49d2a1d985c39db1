#!/usr/bin/env node
/** The `undertone` command: predict, evaluate, train (and serve, once the server exists). */
import { runEvaluate } from './evaluate.js';
import { runPredict } from './predict.js';
import { runTrain } from './train.js';

const USAGE = `usage: undertone <command> [options]

commands:
  predict FILE...   per-second emotion timeline and overall label of audio files
  evaluate          accuracy, UAR, F1 and confusion of a model on a labelled manifest
  train             train the model from the corpora (or cross-validate with --cv)

Run "undertone <command> --help" for its options.`;

const commands: Record<string, (argv: string[]) => Promise<number>> = {
  predict: runPredict,
  evaluate: runEvaluate,
  train: runTrain,
};

async function main(): Promise<number> {
  const [name, ...rest] = process.argv.slice(2);
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
    // Expected failures (bad model dir, bad manifest) print one line; bugs print the stack.
    const expected = ['ModelLoadError', 'AudioInputError', 'TypeError [ERR_PARSE_ARGS_UNKNOWN_OPTION]'].includes(e.name) || /^(ERR_PARSE_ARGS)/.test((e as NodeJS.ErrnoException).code ?? '');
    process.stderr.write(`undertone: ${expected ? e.message : e.stack ?? e.message}\n`);
    process.exitCode = 1;
  },
);
