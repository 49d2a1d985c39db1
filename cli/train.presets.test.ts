/**
 * `undertone train --preset wideband|narrowband` is the recipe of the installed models: each
 * preset's flags, read by the command's own option table, give the values the model.json in the
 * preset's output folder records. A model shipped with another recipe fails here until its preset
 * says the same; and a bad preset name is refused before anything runs.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { MODELS_DIR } from '../server/process/paths.js';
import { PRESETS, type Preset } from '../training/presets.js';
import { DEFAULT_MODEL_NAME } from '../training/train.js';
import { runCli } from '../test/cli.js';
import { TRAIN_OPTIONS } from './train.js';

function installed(dir: string): { name: string; recipe: Record<string, unknown> } {
  const m = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  return { name: m.name, recipe: m.training.recipe };
}

/**
 * A teacher file by its place in the teacher folder ('soft/ship.json'): model.json records the
 * absolute path it was trained from, a preset that distils would name it under this machine's
 * UNDERTONE_TEACHER.
 */
function teacherFile(path: string | undefined): string {
  return path ? path.split(sep).slice(-2).join('/') : '';
}

describe('undertone train --preset', () => {
  for (const preset of Object.keys(PRESETS) as Preset[]) {
    it(`${preset}: the flags give the recipe the installed model.json records`, () => {
      const v = parseArgs({ args: [...PRESETS[preset]], options: TRAIN_OPTIONS }).values;
      const out = v.out ?? MODELS_DIR;
      const { name, recipe } = installed(out);
      expect(out).toBe(preset === 'wideband' ? MODELS_DIR : join(MODELS_DIR, 'narrowband'));
      expect(v.name ?? DEFAULT_MODEL_NAME).toBe(name);
      expect({
        arch: v.arch,
        members: Number(v.members),
        augmentCopies: Number(v.augment),
        padProb: Number(v.pad),
        codecProb: Number(v.codec),
        telephoneProb: Number(v.telephone),
        windowSeconds: Number(v.window),
        epochs: Number(v.epochs),
        patience: Number(v.patience),
        steps: Number(v.steps),
        norm: v.norm,
        balance: v.balance,
        mixup: Number(v.mixup),
        seed: Number(v.seed),
        teacher: teacherFile(v.teacher),
        kdAlpha: Number(v['kd-alpha']),
        kdTemperature: Number(v['kd-temperature']),
      }).toEqual({
        arch: recipe.arch,
        members: recipe.members,
        augmentCopies: recipe.augmentCopies,
        padProb: recipe.padProb ?? 0,
        codecProb: recipe.codecProb ?? 0,
        telephoneProb: recipe.telephoneProb ?? 0,
        windowSeconds: recipe.windowSeconds,
        epochs: recipe.epochs,
        patience: recipe.patience,
        steps: recipe.steps,
        norm: recipe.norm,
        balance: recipe.balance,
        mixup: recipe.mixup,
        seed: recipe.seed,
        teacher: teacherFile(recipe.teacher as string),
        kdAlpha: recipe.kd_alpha,
        kdTemperature: recipe.kd_temperature,
      });
    });
  }

  it('a flag given with a preset overrides it', () => {
    const v = parseArgs({ args: [...PRESETS.wideband, '--members', '1'], options: TRAIN_OPTIONS }).values;
    expect(v.members).toBe('1');
    expect(v.arch).toBe('stem2d');
  });

  it("the shipped split's teacher, missing on a fresh machine, is refused with the command that builds it", async () => {
    // A fresh machine has no teacher cache: UNDERTONE_TEACHER points at an empty folder.
    const dir = mkdtempSync(join(tmpdir(), 'undertone-teacher-'));
    try {
      const ship = join(dir, 'soft', 'ship.json');
      const r = await runCli(['train', '--preset', 'wideband', '--teacher', ship], { UNDERTONE_TEACHER: dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`undertone train: --teacher ${ship}: no such file or folder (the shipped split's teacher: build it with \`npm run teacher:ship\`, about 6 minutes)\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses an unknown preset, naming the ones it takes', async () => {
    const r = await runCli(['train', '--preset', 'fullband']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('undertone train: --preset takes wideband or narrowband; got fullband\n');
  });
});
