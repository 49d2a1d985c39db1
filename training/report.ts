/** Writes an Evaluation (training/evaluate.ts) as the Markdown + SVG report of training/eval. */
import { type ReportSection, sectionSvgName, writeReport, type WrittenReport } from './eval/report-md.js';
import type { Evaluation } from './evaluate.js';

export async function writeEvaluationReport(
  dir: string,
  baseName: string,
  ev: Evaluation,
  text: { title: string; split: string; notes?: string },
): Promise<WrittenReport> {
  const sections: ReportSection[] = ev.sections.map((s) => ({
    name: s.name,
    utterance: s.utterance,
    window: s.window,
    svgFile: sectionSvgName(baseName, s.name),
  }));
  return writeReport(dir, baseName, { title: text.title, split: text.split, sections, notes: text.notes });
}
