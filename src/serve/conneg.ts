// Content negotiation: picks a response format from the Accept header (with q-values) or a `format` parameter.
import { notAcceptable } from './errors.ts';

/** A response format the server can produce. */
export type Format = {
  /** The Content-Type sent back (without charset). */
  mediaType: string;
  /** Other media types a client may ask for to get this format (e.g. `application/json`). */
  aliases?: string[];
  /** Short names accepted by the `format` parameter (`json`, `ttl`, ...). */
  names: string[];
  /** Text formats get `; charset=utf-8` in their Content-Type. */
  charset?: boolean;
};

export const FORMATS = {
  sparqlJson: {
    mediaType: 'application/sparql-results+json',
    aliases: ['application/json'],
    names: ['json', 'srj'],
  },
  sparqlXml: {
    mediaType: 'application/sparql-results+xml',
    aliases: ['application/xml', 'text/xml'],
    names: ['xml', 'srx'],
  },
  csv: { mediaType: 'text/csv', names: ['csv'], charset: true },
  tsv: { mediaType: 'text/tab-separated-values', names: ['tsv'], charset: true },
  turtle: {
    mediaType: 'text/turtle',
    aliases: ['application/x-turtle'],
    names: ['turtle', 'ttl'],
    charset: true,
  },
  ntriples: { mediaType: 'application/n-triples', aliases: ['text/plain'], names: ['ntriples', 'nt'] },
  nquads: { mediaType: 'application/n-quads', names: ['nquads', 'nq'] },
  trig: { mediaType: 'application/trig', names: ['trig'] },
  jsonld: {
    mediaType: 'application/ld+json',
    aliases: ['application/json'],
    names: ['jsonld', 'json-ld', 'json'],
  },
  rdfxml: {
    mediaType: 'application/rdf+xml',
    aliases: ['application/xml', 'text/xml'],
    names: ['rdfxml', 'rdf', 'xml'],
  },
  html: { mediaType: 'text/html', aliases: ['application/xhtml+xml'], names: ['html'], charset: true },
  json: { mediaType: 'application/json', names: ['json'] },
  text: { mediaType: 'text/plain', names: ['text', 'txt'], charset: true },
} satisfies Record<string, Format>;

/** The Content-Type header value for a format. */
export function contentType(format: Format): string {
  return format.charset ? `${format.mediaType}; charset=utf-8` : format.mediaType;
}

type Range = { type: string; subtype: string; q: number; order: number };

/** Parses an Accept header into media ranges; malformed entries are skipped, as RFC 9110 lets servers do. */
export function parseAccept(header: string): Range[] {
  const ranges: Range[] = [];
  header.split(',').forEach((part, order) => {
    const [range, ...params] = part.split(';').map((s) => s.trim());
    const m = /^([\w.+*-]+)\/([\w.+*-]+)$/.exec(range.toLowerCase());
    if (!m || (m[1] === '*' && m[2] !== '*')) return;
    let q = 1;
    for (const param of params) {
      const [key, value] = param.split('=').map((s) => s.trim());
      if (key.toLowerCase() === 'q') {
        q = Number(value);
        if (!/^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(value ?? '')) q = Number.NaN;
      }
    }
    if (!Number.isNaN(q)) ranges.push({ type: m[1], subtype: m[2], q, order });
  });
  return ranges;
}

// The q-value a list of ranges gives one media type: the most specific matching range decides (RFC 9110 §12.5.1).
function quality(ranges: Range[], mediaType: string): { q: number; specificity: number } {
  const [type, subtype] = mediaType.split('/');
  let best = { q: 0, specificity: -1 };
  for (const r of ranges) {
    const specificity =
      r.type === type && r.subtype === subtype
        ? 2
        : r.type === type && r.subtype === '*'
          ? 1
          : r.type === '*'
            ? 0
            : -1;
    if (specificity > best.specificity) best = { q: r.q, specificity };
  }
  return best;
}

/**
 * Chooses among `offers` (in the server's order of preference; the first is the default). A `format` parameter,
 * when given, wins over Accept: it is how a browser link or a client without header control picks a format.
 *
 * @throws HttpError 406 when nothing offered is acceptable, naming what is.
 */
export function negotiate(offers: Format[], accept: string | null, formatParam?: string | null): Format {
  if (formatParam) {
    const wanted = formatParam.trim().toLowerCase();
    const found =
      offers.find((f) => f.names.includes(wanted)) ??
      offers.find((f) => f.mediaType === wanted || f.aliases?.includes(wanted));
    if (found) return found;
    throw notAcceptable(
      `format=${formatParam} is not available here; use one of ${offers.map((f) => f.names[0]).join(', ')} ` +
        `(or the media types ${offers.map((f) => f.mediaType).join(', ')})`,
    );
  }
  if (accept === null || accept.trim() === '') return offers[0];
  const ranges = parseAccept(accept);
  if (ranges.length === 0) return offers[0];
  let best: { format: Format; q: number } | undefined;
  for (const format of offers) {
    // The most specific range matching the format's own type decides; an alias counts only when named exactly
    // (text/* asks for text, not for SPARQL XML results that happen to be acceptable as text/xml).
    let q = quality(ranges, format.mediaType);
    for (const alias of format.aliases ?? []) {
      const t = quality(ranges, alias);
      if (t.specificity === 2 && (q.specificity < 2 || t.q > q.q)) q = t;
    }
    if (q.q > 0 && (best === undefined || q.q > best.q)) best = { format, q: q.q };
  }
  if (best) return best.format;
  throw notAcceptable(
    `none of the requested media types (${accept}) is available here; available: ${offers
      .map((f) => f.mediaType)
      .join(', ')}`,
  );
}
