/**
 * The human-readable evaluation report: one Markdown file plus one confusion-matrix SVG per
 * section (e.g. one section per corpus and one "merged"). Percentages throughout.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { confusionSvg } from './confusion-svg.js';
import { classRows, pct } from './format-table.js';
import type { Metrics } from './metrics.js';

export interface ReportSection {
  /** Section heading and summary-table row name, e.g. "RAVDESS" or "merged". */
  readonly name: string;
  /** Metrics of one label per utterance (the pooled prediction against the file's label). */
  readonly utterance: Metrics;
  /** Metrics of one label per voiced window; omitted when not computed (shown as "—"). */
  readonly window?: Metrics;
  /**
   * File name of this section's utterance-level confusion SVG, relative to the report's directory
   * (a plain file name such as "eval-ravdess.svg"; see `sectionSvgName`).
   */
  readonly svgFile: string;
  /** Optional Markdown paragraph(s) shown under the section heading. */
  readonly notes?: string;
}

export interface ReportInput {
  /** The report's `#` heading. */
  readonly title: string;
  /** Free text (Markdown) describing the split: which speakers/folds/files were held out. */
  readonly split: string;
  /** In display order; each becomes a summary-table row and a section. */
  readonly sections: readonly ReportSection[];
  /** Optional Markdown shown after the summary table (model, date, command line, …). */
  readonly notes?: string;
}

/** Escapes text for a Markdown table cell (pipes would end the cell; newlines the row). */
function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function table(header: string[], align: ('l' | 'r')[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [
    line(header.map(cell)),
    line(align.map((a) => (a === 'r' ? '---:' : ':---'))),
    ...rows.map((r) => line(r.map(cell))),
  ].join('\n');
}

function summaryCells(m: Metrics | undefined): string[] {
  if (!m) return ['—', '—', '—', '—'];
  return [String(m.n), pct(m.accuracy), pct(m.uar), pct(m.macroF1)];
}

function perClassTable(m: Metrics): string {
  const rows = classRows(m).map((r) => [r.label, r.precision, r.recall, r.f1, r.support]);
  return table(['Class', 'Precision %', 'Recall %', 'F1 %', 'Support'], ['l', 'r', 'r', 'r', 'r'], rows);
}

function unsupportedNote(m: Metrics): string[] {
  const missing = m.confusion.labels.filter((l) => m.perClass[l]?.support === 0);
  return missing.length > 0 ? ['', `_No samples of ${missing.join(', ')}: excluded from UAR and macro-F1._`] : [];
}

/** A relative link target with each path segment percent-encoded (spaces, parentheses, …). */
function linkTarget(file: string): string {
  const encode = (seg: string) => encodeURIComponent(seg).replace(/\(/g, '%28').replace(/\)/g, '%29');
  return file.split('/').map(encode).join('/');
}

/**
 * The report as Markdown: title, split paragraph, a summary table (one row per section with n,
 * accuracy, UAR and macro-F1 at utterance and window level), then per section its per-class
 * tables and a link to its confusion-matrix SVG.
 */
export function renderReport(input: ReportInput): string {
  const out: string[] = [`# ${input.title}`, '', '## Split', '', input.split.trim(), '', '## Summary', ''];
  out.push(
    table(
      ['Section', 'Utt. n', 'Utt. accuracy %', 'Utt. UAR %', 'Utt. macro-F1 %', 'Win. n', 'Win. accuracy %', 'Win. UAR %', 'Win. macro-F1 %'],
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
      input.sections.map((s) => [s.name, ...summaryCells(s.utterance), ...summaryCells(s.window)]),
    ),
    '',
    'Utt. = one predicted label per utterance; Win. = one per scored window. ' +
      'UAR is the mean per-class recall over the classes present in the ground truth; macro-F1 likewise averages F1 over those classes.',
  );
  if (input.notes?.trim()) out.push('', input.notes.trim());

  for (const s of input.sections) {
    out.push('', `## ${s.name.replace(/\r?\n/g, ' ')}`, '');
    if (s.notes?.trim()) out.push(s.notes.trim(), '');
    out.push('### Utterance level', '', perClassTable(s.utterance), ...unsupportedNote(s.utterance), '');
    out.push(`![Confusion matrix, ${s.name.replace(/[[\]\r\n]/g, ' ')}, utterance level](${linkTarget(s.svgFile)})`);
    if (s.window) out.push('', '### Window level', '', perClassTable(s.window), ...unsupportedNote(s.window));
  }
  return out.join('\n') + '\n';
}

/** Title drawn on a section's confusion SVG. */
function sectionSvgTitle(section: ReportSection): string {
  return `${section.name} — utterance level`;
}

/** A file-name-safe SVG name for a section: `${baseName}-${slug(section)}.svg`. */
export function sectionSvgName(baseName: string, sectionName: string): string {
  const slug = sectionName
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return `${baseName}-${slug || 'section'}.svg`;
}

export interface WrittenReport {
  /** Path of the Markdown file. */
  readonly markdown: string;
  /** Paths of the SVG files, one per section, in section order. */
  readonly svgs: string[];
}

/**
 * Writes `${dir}/${baseName}.md` and each section's confusion SVG at `${dir}/${svgFile}`, creating
 * `dir` if needed. Throws before writing anything when an svgFile is not a plain relative name
 * inside `dir` or two sections share one.
 */
export async function writeReport(dir: string, baseName: string, input: ReportInput): Promise<WrittenReport> {
  if (!baseName || baseName.includes('/') || baseName.includes('\\')) {
    throw new Error(`writeReport: baseName must be a plain file name, got "${baseName}"`);
  }
  const seen = new Set<string>();
  const svgPaths = input.sections.map((s) => {
    const rel = path.normalize(s.svgFile);
    if (!s.svgFile.endsWith('.svg') || path.isAbsolute(rel) || rel.split(path.sep).includes('..')) {
      throw new Error(`writeReport: section "${s.name}": svgFile must be a relative .svg path inside the report directory, got "${s.svgFile}"`);
    }
    if (seen.has(rel)) throw new Error(`writeReport: two sections share the SVG file "${s.svgFile}"`);
    seen.add(rel);
    return path.join(dir, rel);
  });
  const markdown = renderReport(input);
  const svgs = input.sections.map((s) => confusionSvg(s.utterance.confusion, sectionSvgTitle(s)));

  await mkdir(dir, { recursive: true });
  const mdPath = path.join(dir, `${baseName}.md`);
  for (let i = 0; i < svgPaths.length; i++) {
    await mkdir(path.dirname(svgPaths[i]), { recursive: true });
    await writeFile(svgPaths[i], svgs[i], 'utf8');
  }
  await writeFile(mdPath, markdown, 'utf8');
  return { markdown: mdPath, svgs: svgPaths };
}
