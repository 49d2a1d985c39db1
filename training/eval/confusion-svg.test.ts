import { describe, expect, it } from 'vitest';
import { LABELS, type Label } from '../../core/labels.js';
import { confusionSvg, escapeXml, rateColor } from './confusion-svg.js';
import { computeMetrics } from './metrics.js';

// ---------------------------------------------------------------------------------------------
// A minimal, strict XML parser (elements, attributes, text, entities, comments, <?xml?>): enough
// to prove the SVG is well-formed and to query it structurally instead of with regexes.
// ---------------------------------------------------------------------------------------------

interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: (XmlElement | string)[];
}

const NAME_START = /[A-Za-z_:]/;
const NAME_CHAR = /[A-Za-z0-9_:.-]/;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(raw: string, where: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i];
    if (ch === '<') throw new Error(`raw '<' in ${where}`);
    if (ch !== '&') {
      out += ch;
      continue;
    }
    const end = raw.indexOf(';', i);
    if (end < 0) throw new Error(`unterminated entity in ${where}`);
    const ref = raw.slice(i + 1, end);
    if (ref in ENTITIES) out += ENTITIES[ref];
    else if (/^#[0-9]+$/.test(ref)) out += String.fromCodePoint(Number(ref.slice(1)));
    else if (/^#x[0-9a-fA-F]+$/.test(ref)) out += String.fromCodePoint(parseInt(ref.slice(2), 16));
    else throw new Error(`bad entity &${ref}; in ${where}`);
    i = end;
  }
  return out;
}

function parseXml(src: string): XmlElement {
  let i = 0;
  const fail = (msg: string): never => {
    throw new Error(`XML error at ${i}: ${msg}`);
  };
  const skipWs = () => {
    while (i < src.length && /\s/.test(src[i])) i++;
  };
  const readName = (): string => {
    if (!NAME_START.test(src[i] ?? '')) fail(`expected a name, got ${JSON.stringify(src[i])}`);
    const start = i;
    while (i < src.length && NAME_CHAR.test(src[i])) i++;
    return src.slice(start, i);
  };
  const skipMisc = () => {
    for (;;) {
      skipWs();
      if (src.startsWith('<!--', i)) {
        const end = src.indexOf('-->', i + 4);
        if (end < 0) fail('unterminated comment');
        i = end + 3;
      } else if (src.startsWith('<?', i)) {
        const end = src.indexOf('?>', i + 2);
        if (end < 0) fail('unterminated processing instruction');
        i = end + 2;
      } else return;
    }
  };
  const parseElement = (): XmlElement => {
    if (src[i] !== '<') fail('expected <');
    i++;
    const name = readName();
    const attrs: Record<string, string> = {};
    for (;;) {
      const hadWs = /\s/.test(src[i] ?? '');
      skipWs();
      if (src.startsWith('/>', i)) {
        i += 2;
        return { name, attrs, children: [] };
      }
      if (src[i] === '>') {
        i++;
        break;
      }
      if (!hadWs) fail('attributes must be separated by whitespace');
      const attr = readName();
      skipWs();
      if (src[i] !== '=') fail(`attribute ${attr} without =`);
      i++;
      skipWs();
      const quote = src[i];
      if (quote !== '"' && quote !== "'") fail(`attribute ${attr} value not quoted`);
      const end = src.indexOf(quote, i + 1);
      if (end < 0) fail('unterminated attribute value');
      if (attr in attrs) fail(`duplicate attribute ${attr}`);
      attrs[attr] = decodeEntities(src.slice(i + 1, end), `attribute ${attr}`);
      i = end + 1;
    }
    const children: (XmlElement | string)[] = [];
    for (;;) {
      if (i >= src.length) fail(`<${name}> not closed`);
      if (src.startsWith('</', i)) {
        i += 2;
        const close = readName();
        if (close !== name) fail(`</${close}> closes <${name}>`);
        skipWs();
        if (src[i] !== '>') fail('expected > after closing tag name');
        i++;
        return { name, attrs, children };
      }
      if (src.startsWith('<!--', i)) {
        const end = src.indexOf('-->', i + 4);
        if (end < 0) fail('unterminated comment');
        i = end + 3;
      } else if (src[i] === '<') {
        children.push(parseElement());
      } else {
        const end = src.indexOf('<', i);
        const stop = end < 0 ? src.length : end;
        children.push(decodeEntities(src.slice(i, stop), `text of <${name}>`));
        i = stop;
      }
    }
  };
  skipMisc();
  const root = parseElement();
  skipMisc();
  if (i !== src.length) fail('content after the root element');
  return root;
}

function elements(node: XmlElement, name?: string): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (n: XmlElement) => {
    if (!name || n.name === name) out.push(n);
    for (const c of n.children) if (typeof c !== 'string') walk(c);
  };
  walk(node);
  return out;
}

function textOf(node: XmlElement): string {
  return node.children.map((c) => (typeof c === 'string' ? c : textOf(c))).join('');
}

describe('the test XML parser', () => {
  it('accepts well-formed XML and decodes entities', () => {
    const doc = parseXml(`<?xml version="1.0"?><a x='1 &amp; 2'><b/>t &lt;3<!-- c --><c y="&#65;">z</c></a>`);
    expect(doc.attrs.x).toBe('1 & 2');
    expect(textOf(doc)).toBe('t <3z');
    expect(elements(doc, 'c')[0].attrs.y).toBe('A');
  });

  it.each([
    ['unbalanced', '<a><b></a>'],
    ['unclosed', '<a><b/>'],
    ['raw ampersand', '<a>x & y</a>'],
    ['raw < in attribute', "<a x='<'/>"],
    ['unquoted attribute', '<a x=1/>'],
    ['duplicate attribute', "<a x='1' x='2'/>"],
    ['two roots', '<a/><b/>'],
    ['unknown entity', '<a>&nbsp;</a>'],
  ])('rejects %s', (_, xml) => {
    expect(() => parseXml(xml)).toThrow();
  });
});

// ---------------------------------------------------------------------------------------------

function cells(doc: XmlElement): XmlElement[] {
  return elements(doc, 'rect').filter((r) => r.attrs.class === 'cell');
}

/** The text lines drawn inside a cell rect (texts centred on it, top to bottom). */
function cellTexts(doc: XmlElement, rect: XmlElement): string[] {
  const x = Number(rect.attrs.x);
  const y = Number(rect.attrs.y);
  const w = Number(rect.attrs.width);
  const h = Number(rect.attrs.height);
  // Cells live in a translated group; texts are in the same group, so local coordinates compare.
  return elements(doc, 'text')
    .filter((t) => Math.abs(Number(t.attrs.x) - (x + w / 2)) < 0.11 && Number(t.attrs.y) > y && Number(t.attrs.y) < y + h)
    .sort((a, b) => Number(a.attrs.y) - Number(b.attrs.y))
    .map(textOf);
}

describe('confusionSvg', () => {
  const labels: Label[] = ['neutral', 'happy', 'sad'];
  const confusion = {
    labels,
    matrix: [
      [3, 1, 0],
      [0, 2, 2],
      [1, 0, 0],
    ],
  };

  it('is well-formed SVG with one rect per cell carrying its count', () => {
    const doc = parseXml(confusionSvg(confusion, 'Test'));
    expect(doc.name).toBe('svg');
    expect(doc.attrs.xmlns).toBe('http://www.w3.org/2000/svg');
    expect(doc.attrs.viewBox).toBe(`0 0 ${doc.attrs.width} ${doc.attrs.height}`);
    const rects = cells(doc);
    expect(rects).toHaveLength(9);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        const matching = rects.filter((r) => r.attrs['data-true'] === labels[i] && r.attrs['data-pred'] === labels[j]);
        expect(matching).toHaveLength(1);
        expect(Number(matching[0].attrs['data-count'])).toBe(confusion.matrix[i][j]);
      }
    }
  });

  it('colours cells by the row-normalised rate and prints percentage and count', () => {
    const doc = parseXml(confusionSvg(confusion, 'Test'));
    const at = (t: Label, p: Label) => cells(doc).find((r) => r.attrs['data-true'] === t && r.attrs['data-pred'] === p)!;
    // neutral row: 3 of 4 → 75 %, 1 of 4 → 25 %; happy row 2 of 4 → 50 %; sad row 1 of 1 → 100 %
    expect(at('neutral', 'neutral').attrs.fill).toBe(rateColor(0.75));
    expect(at('neutral', 'happy').attrs.fill).toBe(rateColor(0.25));
    expect(at('happy', 'sad').attrs.fill).toBe(rateColor(0.5));
    expect(at('sad', 'neutral').attrs.fill).toBe(rateColor(1));
    expect(at('neutral', 'sad').attrs.fill).toBe(rateColor(0));
    expect(cellTexts(doc, at('neutral', 'neutral'))).toEqual(['75%', '3']);
    expect(cellTexts(doc, at('neutral', 'happy'))).toEqual(['25%', '1']);
    expect(cellTexts(doc, at('happy', 'sad'))).toEqual(['50%', '2']);
    expect(cellTexts(doc, at('sad', 'neutral'))).toEqual(['100%', '1']);
    expect(cellTexts(doc, at('sad', 'sad'))).toEqual(['0%', '0']);
    expect(textOf(elements(at('happy', 'sad'), 'title')[0])).toBe('true happy → predicted sad: 2 of 4 (50.0%)');
  });

  it('never rounds a partial share to 0% or 100%', () => {
    const doc = parseXml(confusionSvg({ labels: ['neutral', 'sad'], matrix: [[999, 1], [0, 5]] }, 'Rounding'));
    const [nn, ns] = cells(doc);
    expect(cellTexts(doc, nn)).toEqual(['>99%', '999']);
    expect(cellTexts(doc, ns)).toEqual(['<1%', '1']);
  });

  it('shows every label as a row and a column label, the axis titles and the title', () => {
    const all = [...LABELS];
    const m = computeMetrics(all, [0, 1, 2, 3, 4, 5, 6, 7], [0, 1, 2, 3, 4, 5, 6, 0]);
    const doc = parseXml(confusionSvg(m.confusion, 'Merged — utterance level'));
    const texts = elements(doc, 'text').map(textOf);
    for (const l of all) expect(texts.filter((t) => t === l)).toHaveLength(2);
    expect(texts).toContain('True label');
    expect(texts).toContain('Predicted label');
    expect(texts).toContain('Merged — utterance level');
    expect(texts).toContain('n = 8 · accuracy 87.5% · colour = share of the true class');
    expect(cells(doc)).toHaveLength(64);
    // Sized for ~600 px wide with 8 classes.
    expect(Number(doc.attrs.width)).toBeGreaterThanOrEqual(550);
    expect(Number(doc.attrs.width)).toBeLessThanOrEqual(720);
  });

  it('escapes the title', () => {
    const title = `<script>alert("x")</script> & 'co'`;
    const svg = confusionSvg(confusion, title);
    expect(svg).not.toContain('<script>');
    const doc = parseXml(svg);
    expect(textOf(elements(doc, 'title')[0])).toBe(title);
    expect(elements(doc, 'text').map(textOf)).toContain(title);
    expect(escapeXml(`a<b>&"'`)).toBe('a&lt;b&gt;&amp;&quot;&apos;');
  });

  it('greys out a row with no samples instead of dividing by zero', () => {
    const doc = parseXml(confusionSvg({ labels: ['neutral', 'sad'], matrix: [[2, 0], [0, 0]] }, 'Empty row'));
    const sadRow = cells(doc).filter((r) => r.attrs['data-true'] === 'sad');
    for (const r of sadRow) {
      expect(r.attrs.fill).toBe('#eaeef2');
      expect(cellTexts(doc, r)).toEqual(['–', '0']);
    }
    expect(confusionSvg({ labels: ['neutral', 'sad'], matrix: [[2, 0], [0, 0]] }, 'x')).not.toContain('NaN');
  });

  it('rejects a matrix that does not match the labels', () => {
    expect(() => confusionSvg({ labels: ['neutral', 'sad'], matrix: [[1, 2]] }, 'x')).toThrow(RangeError);
    expect(() => confusionSvg({ labels: [], matrix: [] }, 'x')).toThrow(RangeError);
  });

  it('maps rates onto a light-to-dark scale', () => {
    expect(rateColor(0)).toBe('#f7fbff');
    expect(rateColor(1)).toBe('#08306b');
    const lum = (c: string) => [1, 3, 5].reduce((a, k) => a + parseInt(c.slice(k, k + 2), 16), 0);
    for (let s = 0; s < 10; s++) expect(lum(rateColor((s + 1) / 10))).toBeLessThan(lum(rateColor(s / 10)));
  });
});
