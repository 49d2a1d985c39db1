/**
 * How `undertone predict` writes results: human text, JSON lines or CSV, one record per second
 * of each timeline or one per file (per channel with --split-channels). The one-file path and
 * the batch write through the same writer, in input order, so their outputs are the same bytes.
 */
import type { Label } from '../../core/labels.js';
import type { Scores } from '../../core/predict.js';
import type { CallSummary } from '../../core/protocol/end.js';
import type { ChannelPrediction, FileAnalysis } from '../analyse-file.js';
import { formatAlert, formatSecond, topScores } from '../format.js';

export const OUTPUT_FORMATS = ['text', 'jsonl', 'csv'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];
export const OUTPUT_LEVELS = ['second', 'file'] as const;
export type OutputLevel = (typeof OUTPUT_LEVELS)[number];

export interface ResultWriter {
  /** Writes one file's records. */
  write(a: FileAnalysis): void;
}

function channelHeading(p: ChannelPrediction): string {
  return p.channel === null ? '' : ` channel ${p.channel}${p.party ? ` (${p.party})` : ''}`;
}

/** Whether records carry channel fields: only with --split-channels, so plain output is unchanged. */
function channelFields(p: ChannelPrediction): { channel?: number; party?: string | null } {
  return p.channel === null ? {} : { channel: p.channel, party: p.party };
}

function csvField(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csvRow(fields: (string | number | boolean | null | undefined)[]): string {
  return fields.map(csvField).join(',') + '\n';
}

function scoreCells(labels: readonly Label[], scores: Scores | null | undefined): (number | undefined)[] {
  return labels.map((l) => (scores ? Number(scores[l]!.toFixed(6)) : undefined));
}

/** The call summary as text: shares, peak arousal and alerts on one line, then the settled segments. */
export function summaryLines(s: CallSummary): string[] {
  const share = Object.entries(s.voicedShare)
    .sort((a, b) => b[1]! - a[1]!)
    .map(([l, v]) => `${l} ${Math.round(v! * 100)} %`)
    .join(', ');
  const peak = s.peakArousal ? `peak arousal ${s.peakArousal.value.toFixed(2)} at ${(s.peakArousal.endMs / 1000).toFixed(0)} s` : 'no voiced second';
  const alerts = Object.entries(s.alertCounts).map(([rule, n]) => `${rule} x${n}`).join(', ') || 'none';
  const seconds = (ms: number) => (ms / 1000).toFixed(1);
  return [
    `  summary: ${share || 'no speech'}; ${peak}; alerts: ${alerts}`,
    `  segments: ${s.segments.map((g) => `${seconds(g.startMs)}-${seconds(g.endMs)} s ${g.label}`).join(', ') || 'none'}`,
    ...s.alerts.map((a) => `  ${formatAlert(a)}`),
  ];
}

export function createWriter(format: OutputFormat, level: OutputLevel, labels: readonly Label[], out: (text: string) => void): ResultWriter {
  if (format === 'text') {
    return {
      write(a) {
        for (const p of a.predictions) {
          const lines = [`${a.file}${channelHeading(p)} (${(p.durationMs / 1000).toFixed(2)} s, ${a.model}): ${p.label ? `${p.label} — ${topScores(p.scores!, 3)}` : 'no speech detected'}`];
          if (p.summary) lines.push(...summaryLines(p.summary));
          if (level === 'second') for (const e of p.timeline) lines.push(formatSecond(e));
          out(lines.join('\n') + '\n');
        }
      },
    };
  }
  if (format === 'jsonl') {
    return {
      write(a) {
        for (const p of a.predictions) {
          const ch = channelFields(p);
          // Per file: the Prediction's fields in their own order (what --json always printed).
          const summary = p.summary ? { summary: p.summary } : {};
          if (level === 'file') out(JSON.stringify({ file: a.file, ...ch, model: a.model, timeline: p.timeline, label: p.label, scores: p.scores, durationMs: p.durationMs, ...summary }) + '\n');
          else for (const e of p.timeline) out(JSON.stringify({ file: a.file, ...ch, model: a.model, ...e }) + '\n');
        }
      },
    };
  }
  const head =
    level === 'second'
      ? ['file', 'channel', 'party', 'model', 'second', 'start_s', 'end_s', 'voiced', 'label', ...labels]
      : ['file', 'channel', 'party', 'model', 'duration_s', 'seconds', 'voiced_seconds', 'label', ...labels];
  out(csvRow(head));
  return {
    write(a) {
      for (const p of a.predictions) {
        if (level === 'file') {
          const voiced = p.timeline.filter((e) => e.voiced).length;
          out(csvRow([a.file, p.channel, p.party, a.model, p.durationMs / 1000, p.timeline.length, voiced, p.label, ...scoreCells(labels, p.scores)]));
        } else {
          for (const e of p.timeline) {
            out(csvRow([a.file, p.channel, p.party, a.model, e.second, e.startMs / 1000, e.endMs / 1000, e.voiced, e.label, ...scoreCells(labels, e.scores)]));
          }
        }
      }
    },
  };
}
