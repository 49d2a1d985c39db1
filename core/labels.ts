/**
 * The emotion label set shared by the corpora, training, the model and the wire protocol.
 * The order here is the canonical order; a model's own label order is stored in its metadata
 * (a model may know a subset, e.g. one trained without calm).
 */
export const LABELS = ['neutral', 'calm', 'happy', 'sad', 'angry', 'fearful', 'disgust', 'surprised'] as const;

export type Label = (typeof LABELS)[number];

export function isLabel(value: string): value is Label {
  return (LABELS as readonly string[]).includes(value);
}
