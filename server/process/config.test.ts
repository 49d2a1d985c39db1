import { describe, expect, it } from 'vitest';
import { ConfigError, SETTINGS, loadConfig, serveUsage } from './config.js';

describe('serve configuration', () => {
  it('defaults, then env vars, then flags (a flag wins)', () => {
    const d = loadConfig([], {}, '/m');
    expect(d).toMatchObject({ port: 8080, host: '0.0.0.0', modelDir: '/m', maxSessions: 0, latencyTargetMs: 50, idleTimeoutMs: 30000, startTimeoutMs: 10000, maxMessageBytes: 262144, apiKeys: [], maxBatch: 16, batchWaitMs: 5, inferenceThread: false });
    expect(d.workers).toBeGreaterThanOrEqual(1);
    const env = { PORT: '9000', UNDERTONE_MAX_SESSIONS: '7', UNDERTONE_API_KEYS: 'a, b,', UNDERTONE_IDLE_TIMEOUT: '2.5', UNDERTONE_WORKERS: '3', UNDERTONE_INFERENCE_THREAD: '1', UNDERTONE_MODEL: '/env-model' };
    expect(loadConfig([], env, '/m')).toMatchObject({ port: 9000, maxSessions: 7, apiKeys: ['a', 'b'], idleTimeoutMs: 2500, workers: 3, inferenceThread: true, modelDir: '/env-model' });
    expect(loadConfig(['--port', '0', '--max-sessions', '9', '--model', '/flag-model'], env, '/m')).toMatchObject({ port: 0, maxSessions: 9, modelDir: '/flag-model' });
  });

  it('hardening settings: origins, metrics port and keys, admission and flow limits', () => {
    const d = loadConfig([], {}, '/m');
    expect(d).toMatchObject({ allowedOrigins: [], metricsKeys: [], maxQueuedWindows: 256, maxEventLoopLagMs: 1000, retryAfterMs: 2000, rateBurstSeconds: 60, maxSpeed: 10, maxBufferedBytes: 1048576, maxSendBufferBytes: 1048576 });
    expect(d.metricsPort).toBeUndefined();
    const c = loadConfig(
      ['--allowed-origins', 'https://a.example, http://localhost:3000', '--metrics-port', '9100', '--max-speed', '0', '--max-send-buffer', '65536'],
      { UNDERTONE_METRICS_KEYS: 'm1,m2', UNDERTONE_MAX_EVENT_LOOP_LAG_MS: '0', UNDERTONE_RATE_BURST: '5' },
      '/m',
    );
    expect(c).toMatchObject({ allowedOrigins: ['https://a.example', 'http://localhost:3000'], metricsPort: 9100, metricsKeys: ['m1', 'm2'], maxSpeed: 0, maxSendBufferBytes: 65536, maxEventLoopLagMs: 0, rateBurstSeconds: 5 });
    expect(() => loadConfig(['--metrics-port', '99999'], {}, '/m')).toThrow(/--metrics-port/);
    expect(() => loadConfig(['--max-speed', '-1'], {}, '/m')).toThrow(/--max-speed/);
  });

  it('refuses bad values and unknown flags, naming the setting', () => {
    expect(() => loadConfig(['--port', '70000'], {}, '/m')).toThrow(ConfigError);
    expect(() => loadConfig([], { UNDERTONE_MAX_SESSIONS: 'lots' }, '/m')).toThrow(/UNDERTONE_MAX_SESSIONS/);
    expect(() => loadConfig(['--idle-timeout', '-1'], {}, '/m')).toThrow(/--idle-timeout/);
    expect(() => loadConfig([], { LOG_LEVEL: 'loud' }, '/m')).toThrow(/log level/);
    expect(() => loadConfig(['--prot', '1'], {}, '/m')).toThrow();
    expect(() => loadConfig(['--engine', 'fast'], {}, '/m')).toThrow(/--engine must be one of batched, naive/);
    expect(() => loadConfig([], { UNDERTONE_ENGINE: 'x' }, '/m')).toThrow(/UNDERTONE_ENGINE/);
  });

  it('engine: batched by default, naive by flag or env', () => {
    expect(loadConfig([], {}, '/m').engine).toBe('batched');
    expect(loadConfig([], { UNDERTONE_ENGINE: 'naive' }, '/m').engine).toBe('naive');
    expect(loadConfig(['--engine', 'batched'], { UNDERTONE_ENGINE: 'naive' }, '/m').engine).toBe('batched');
  });

  it('narrowband model: models/narrowband of the installation by default, flag over env, "none" disables', () => {
    expect(loadConfig([], {}, '/m').narrowbandModelDir).toBe('/m/narrowband');
    // --model moves the wideband model only: the default narrowband model stays the installation's.
    expect(loadConfig(['--model', '/flag-model'], {}, '/m').narrowbandModelDir).toBe('/m/narrowband');
    expect(loadConfig([], { UNDERTONE_NARROWBAND_MODEL: '/env-nb' }, '/m').narrowbandModelDir).toBe('/env-nb');
    expect(loadConfig(['--narrowband-model', '/flag-nb'], { UNDERTONE_NARROWBAND_MODEL: '/env-nb' }, '/m').narrowbandModelDir).toBe('/flag-nb');
    expect(loadConfig(['--narrowband-model', 'none'], {}, '/m')).not.toHaveProperty('narrowbandModelDir');
    expect(loadConfig([], { UNDERTONE_NARROWBAND_MODEL: 'none' }, '/m')).not.toHaveProperty('narrowbandModelDir');
    expect(() => loadConfig(['--narrowband-model', ''], {}, '/m')).toThrow(/--narrowband-model must be a directory or "none"/);
  });

  it('--help lists every flag and env var', () => {
    const usage = serveUsage();
    for (const s of Object.values(SETTINGS)) {
      expect(usage).toContain(`--${s.flag}`);
      expect(usage).toContain(s.env);
    }
  });
});
