/**
 * The model card fields of model.json: what each training corpus is (language, license, as
 * ../shared/corpora/README.md records them) and what the model is for. models/README.md is the
 * human-readable card; these fields travel with the model file itself.
 */
import type { CorpusSummary } from '../core/model/metadata.js';

export interface CorpusCard {
  readonly language: string;
  readonly license: string;
  /** True when the license forbids commercial use or no usable license is known. */
  readonly commercialUseUnclear: boolean;
}

export const CORPUS_CARDS: Readonly<Record<string, CorpusCard>> = {
  ravdess: { language: 'English (North American), acted', license: 'CC BY-NC-SA 4.0', commercialUseUnclear: true },
  tess: { language: 'English (Canadian), acted', license: 'CC BY-NC-ND 4.0', commercialUseUnclear: true },
  savee: { language: 'English (British), acted', license: 'no open license: research use after registration with the University of Surrey', commercialUseUnclear: true },
  cremad: { language: 'English (US), acted', license: 'ODbL 1.0 (database), DbCL 1.0 (contents)', commercialUseUnclear: false },
  nemo: { language: 'Polish, acted', license: 'CC BY-NC-SA 4.0', commercialUseUnclear: true },
  ased: { language: 'Amharic, acted', license: 'none stated by the authors', commercialUseUnclear: true },
  turev: { language: 'Turkish single words, acted', license: 'unclear: README says CC BY-NC-ND 4.0, LICENSE file is GPL v3', commercialUseUnclear: true },
};

export interface ModelCard {
  readonly intendedUse: string;
  readonly notFor: string;
  readonly corpora: Record<string, CorpusSummary & Partial<CorpusCard>>;
}

export function modelCard(corpora: Record<string, CorpusSummary>): ModelCard {
  const out: Record<string, CorpusSummary & Partial<CorpusCard>> = {};
  for (const [name, summary] of Object.entries(corpora)) out[name] = { ...summary, ...(CORPUS_CARDS[name] ?? {}) };
  return {
    intendedUse: 'Per-second estimate of which of eight acted emotion categories speech sounds most like, with calibrated scores, aggregated and reviewed by people (supervisor views, QA sampling, research).',
    notFor: 'Decisions about a person without human review; inferring what a person actually feels; covert monitoring. Trained on acted speech only; several training corpora are non-commercial or unlicensed (see corpora and models/README.md).',
    corpora: out,
  };
}
