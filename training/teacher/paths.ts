/** Where the teacher's files live (pcm, embeddings, soft labels): outside the repo, beside the other caches. */
export const DEFAULT_TEACHER_DIR = process.env.UNDERTONE_TEACHER ?? '/work/cache/teacher';
