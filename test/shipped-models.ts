/**
 * The fixture of the server tests that compare the server's labels with `predict` (vitest only:
 * it registers hooks, so benches must not import it).
 */
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { EmotionModel } from '../core/model/emotion-model.js';
import type { ServerConfig } from '../server/process/config.js';
import { modelDir } from '../server/process/paths.js';
import { type TestServer, startTestServer } from './harness.js';

/** The setup of the server tests that compare labels with predict: the reference models in this process and a server with the same ones. */
export interface ShippedModels {
  /** The shipped wideband model (models/), loaded in the test process. */
  readonly wideband: EmotionModel;
  /** The shipped narrowband model (models/narrowband/). */
  readonly narrowband: EmotionModel;
  /** An in-process server on a loopback port with both. */
  readonly srv: TestServer;
}

/**
 * Registers the beforeAll that loads the shipped models and starts a test server (`overrides`
 * on its config), and the afterAll that drains the server and releases the models. The returned
 * object's fields are set once beforeAll has run (read them in a test or a later beforeAll).
 */
export function shippedModels(overrides: Partial<ServerConfig> = {}): ShippedModels {
  const fixture = {} as { wideband: EmotionModel; narrowband: EmotionModel; srv: TestServer };
  beforeAll(async () => {
    fixture.wideband = await EmotionModel.load(modelDir());
    fixture.narrowband = await EmotionModel.load(path.join(modelDir(), 'narrowband'));
    fixture.srv = await startTestServer(overrides);
  });
  afterAll(async () => {
    await fixture.srv?.server.drain();
    await fixture.wideband?.release();
    await fixture.narrowband?.release();
  });
  return fixture;
}
