import { join } from 'node:path';

/** Where the teacher's files live (pcm, embeddings, soft labels): outside the repo, beside the other caches. */
export const DEFAULT_TEACHER_DIR = process.env.UNDERTONE_TEACHER ?? '/work/cache/teacher';

/** mn04's soft labels for the shipped split (`npm run teacher:ship` writes them; training/teacher/build-ship.sh). */
export const SHIP_TEACHER = join(DEFAULT_TEACHER_DIR, 'soft', 'ship.json');
