// A small XML reader for metadata files (OME-XML): elements, attributes, text, CDATA and the predefined and
// numeric entities; no DTDs (a DOCTYPE is skipped, its entities are not defined). Errors give line and column.
import { UnreadableInputError } from '../ingest/records.ts';

export type XmlElement = {
  /** Local name (the part after any prefix). */
  name: string;
  /** Namespace URI of the element (from xmlns declarations in scope), or '' when none. */
  namespace: string;
  /** Attributes by local name, prefixed ones (xmlns, xsi:...) left out. */
  attributes: Record<string, string>;
  children: XmlElement[];
  /** Character data directly inside the element, entities decoded, surrounding whitespace trimmed. */
  text: string;
  line: number;
  column: number;
};

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Parses a whole document into its root element. */
export function parseXml(text: string, file: string): XmlElement {
  let i = 0;
  // Offsets of line starts, for turning an offset into line and column by binary search.
  const starts = [0];
  for (let j = text.indexOf('\n'); j !== -1; j = text.indexOf('\n', j + 1)) starts.push(j + 1);
  const position = (at: number) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= at) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: at - starts[lo]! + 1 };
  };
  const fail = (message: string, at = i): never => {
    const { line, column } = position(at);
    throw new UnreadableInputError(file, `malformed XML: ${message}`, line, column);
  };
  const decode = (s: string, at: number) =>
    s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[A-Za-z]+);|&/g, (m, e: string | undefined) => {
      if (e === undefined) return fail("'&' that starts no entity (write &amp;)", at);
      if (e.startsWith('#x')) return String.fromCodePoint(Number.parseInt(e.slice(2), 16));
      if (e.startsWith('#')) return String.fromCodePoint(Number.parseInt(e.slice(1), 10));
      return ENTITIES[e] ?? fail(`unknown entity '${m}' (only &lt; &gt; &amp; &quot; &apos; and numeric ones are defined)`, at);
    });
  const skip = (open: string, close: string, what: string) => {
    const end = text.indexOf(close, i + open.length);
    if (end === -1) fail(`${what} is not closed (expected '${close}')`);
    i = end + close.length;
  };
  const skipMisc = () => {
    for (;;) {
      while (i < text.length && /\s/.test(text[i]!)) i++;
      if (text.startsWith('<?', i)) skip('<?', '?>', 'processing instruction');
      else if (text.startsWith('<!--', i)) skip('<!--', '-->', 'comment');
      else if (text.startsWith('<!DOCTYPE', i)) {
        const bracket = text.indexOf('[', i);
        const gt = text.indexOf('>', i);
        if (bracket !== -1 && bracket < gt) skip('<!DOCTYPE', ']>', 'DOCTYPE');
        else skip('<!DOCTYPE', '>', 'DOCTYPE');
      } else return;
    }
  };

  const element = (scope: Map<string, string>): XmlElement => {
    const start = i;
    i++; // '<'
    const nameMatch = /^[A-Za-z_][\w.:-]*/.exec(text.slice(i, i + 200));
    if (!nameMatch) fail('expected an element name after <');
    const qname = nameMatch![0];
    i += qname.length;
    const raw: [string, string, number][] = [];
    for (;;) {
      while (/\s/.test(text[i] ?? '')) i++;
      if (text.startsWith('/>', i) || text[i] === '>') break;
      if (i >= text.length) fail(`element <${qname}> is not closed`, start);
      const attr = /^([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/.exec(text.slice(i, i + 100_000));
      if (!attr) fail(`expected an attribute name="value" in <${qname}>`);
      raw.push([attr![1]!, attr![2] ?? attr![3]!, i]);
      i += attr![0].length;
    }
    const ns = new Map(scope);
    for (const [name, value] of raw) {
      if (name === 'xmlns') ns.set('', value);
      else if (name.startsWith('xmlns:')) ns.set(name.slice(6), value);
    }
    const colon = qname.indexOf(':');
    const prefix = colon === -1 ? '' : qname.slice(0, colon);
    const namespace = ns.get(prefix);
    if (namespace === undefined && prefix !== '') fail(`undeclared namespace prefix '${prefix}' in <${qname}>`, start);
    const attributes: Record<string, string> = {};
    for (const [name, value, at] of raw) if (!name.includes(':') && name !== 'xmlns') attributes[name] = decode(value, at);
    const el: XmlElement = {
      name: colon === -1 ? qname : qname.slice(colon + 1),
      namespace: namespace ?? '',
      attributes,
      children: [],
      text: '',
      ...position(start),
    };
    if (text.startsWith('/>', i)) {
      i += 2;
      return el;
    }
    i++; // '>'
    let chars = '';
    for (;;) {
      const lt = text.indexOf('<', i);
      if (lt === -1) fail(`element <${qname}> is not closed (expected </${qname}>)`, start);
      chars += decode(text.slice(i, lt), i);
      i = lt;
      if (text.startsWith('</', i)) {
        const close = /^<\/([A-Za-z_][\w.:-]*)\s*>/.exec(text.slice(i, i + 300));
        if (!close) fail('expected a closing tag');
        if (close![1] !== qname) fail(`expected </${qname}> (opened at line ${el.line}), found </${close![1]}>`);
        i += close![0].length;
        el.text = chars.trim();
        return el;
      }
      if (text.startsWith('<!--', i)) skip('<!--', '-->', 'comment');
      else if (text.startsWith('<![CDATA[', i)) {
        const end = text.indexOf(']]>', i);
        if (end === -1) fail('CDATA section is not closed');
        chars += text.slice(i + 9, end);
        i = end + 3;
      } else if (text.startsWith('<?', i)) skip('<?', '?>', 'processing instruction');
      else el.children.push(element(ns));
    }
  };

  skipMisc();
  if (text[i] !== '<') fail('expected the root element');
  const root = element(new Map());
  skipMisc();
  if (i < text.length) fail('content after the root element');
  return root;
}
