// Browser build (after tsc): the SDK as one ESM file and the demo page, into dist/web/ (served at / by the server).
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist/web');
await mkdir(out, { recursive: true });
const common = { bundle: true, format: 'esm', platform: 'browser', target: 'es2022', sourcemap: true, logLevel: 'warning' };
await build({ ...common, entryPoints: [path.join(root, 'client-sdk/browser/index.ts')], outfile: path.join(out, 'undertone-sdk.js') });
await build({ ...common, entryPoints: [path.join(root, 'web/app.ts')], outfile: path.join(out, 'app.js') });
await copyFile(path.join(root, 'web/index.html'), path.join(out, 'index.html'));
