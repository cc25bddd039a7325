// Small HTML pages for people who open the server's links in a browser; every value is escaped.
import type { Quad, Term } from '@rdfjs/types';
import { prefixes } from '../namespaces.ts';

/** Escapes text for HTML element content and attribute values. */
export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A whole page: `body` must already be HTML (built with {@link esc}). */
export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 70rem; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; width: 100%; } td, th { text-align: left; vertical-align: top; padding: .3rem .5rem; border-bottom: 1px solid #ddd; }
code, pre, textarea { font: 13px ui-monospace, monospace; } a { color: #0b5cad; text-decoration: none; } a:hover { text-decoration: underline; }
.muted { color: #666; } textarea { width: 100%; }
</style>
</head>
<body>
<p class="muted"><a href="/archives">benchgraph archives</a></p>
<h1>${esc(title)}</h1>
${body}
</body>
</html>
`;
}

/** A short form of an IRI using the project's prefixes, for display. */
export function shortIri(iri: string): string {
  for (const [p, ns] of Object.entries(prefixes)) {
    if (iri.startsWith(ns) && iri.length > ns.length) return `${p}:${iri.slice(ns.length)}`;
  }
  return iri;
}

/** A term as HTML: IRIs as links (shortened when a prefix fits), literals with their language or datatype. */
export function termHtml(term: Term): string {
  switch (term.termType) {
    case 'NamedNode':
      return `<a href="${esc(term.value)}">${esc(shortIri(term.value))}</a>`;
    case 'BlankNode':
      return `<span class="muted">_:${esc(term.value)}</span>`;
    case 'Literal': {
      const suffix = term.language
        ? `<span class="muted">@${esc(term.language)}</span>`
        : term.datatype.value === `${prefixes.xsd}string`
          ? ''
          : ` <span class="muted">${esc(shortIri(term.datatype.value))}</span>`;
      return `${esc(term.value)}${suffix}`;
    }
    default:
      return esc(term.value);
  }
}

/** A table of triples, grouped by subject in the given order. */
export function triplesTable(quads: Quad[]): string {
  if (quads.length === 0) return '<p class="muted">No triples.</p>';
  const rows = quads.map(
    (q, i) =>
      `<tr><td>${i > 0 && quads[i - 1].subject.equals(q.subject) ? '' : termHtml(q.subject)}</td>` +
      `<td>${termHtml(q.predicate)}</td><td>${termHtml(q.object)}</td></tr>`,
  );
  return `<table><thead><tr><th>subject</th><th>predicate</th><th>object</th></tr></thead>\n<tbody>\n${rows.join('\n')}\n</tbody></table>`;
}

/** A definition list from label/HTML pairs (values already HTML), skipping empty values. */
export function facts(entries: [string, string | undefined][]): string {
  const items = entries
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${v}</td></tr>`);
  return `<table>${items.join('\n')}</table>`;
}
