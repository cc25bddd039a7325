// The result row limit: bounds a SELECT query's outermost LIMIT and counts the rows of a serialized result.
import { tokens } from '../store/sparql-tokens.ts';

const PROLOGUE = new Set(['BASE', 'PREFIX', 'VERSION']);

/** A query rewritten so that it cannot return more than `maxRows + 1` rows; `counted` says the rows must be counted. */
export type BoundedQuery = { query: string; counted: boolean };

/**
 * Makes a SELECT query's outermost LIMIT at most `maxRows + 1`: a larger LIMIT is lowered, a missing one added
 * (before a trailing VALUES clause, else at the end). One row more than allowed tells a result that is too large
 * from one that is exactly at the limit. Other forms and queries with a LIMIT within bounds are returned unchanged.
 * A lexical scan: if the text is not valid SPARQL the engine reports that on the original query.
 */
export function boundQuery(sparql: string, maxRows: number): BoundedQuery {
  const bound = maxRows + 1;
  let form: string | undefined;
  let values: number | undefined;
  let limitWord = false;
  for (const { text, index, depth, word } of tokens(sparql)) {
    if (word !== undefined) {
      if (form === undefined) {
        if (PROLOGUE.has(word)) continue;
        form = word;
        if (form !== 'SELECT') return { query: sparql, counted: false };
      } else if (depth === 0 && word === 'LIMIT') {
        limitWord = true;
        continue;
      } else if (depth === 0 && word === 'VALUES') values = index;
    } else if (limitWord && /^\d+$/.test(text)) {
      if (Number(text) <= maxRows) return { query: sparql, counted: false };
      return { query: `${sparql.slice(0, index)}${bound}${sparql.slice(index + text.length)}`, counted: true };
    }
    limitWord = false;
  }
  if (form !== 'SELECT') return { query: sparql, counted: false };
  if (values !== undefined) {
    return { query: `${sparql.slice(0, values)}LIMIT ${bound}\n${sparql.slice(values)}`, counted: true };
  }
  // On a line of its own, so a trailing comment cannot swallow it.
  return { query: `${sparql}\nLIMIT ${bound}\n`, counted: true };
}

/**
 * Number of solutions in a serialized SELECT result or triples in N-Triples, without parsing the whole document:
 * each format marks a row with something that cannot occur inside a value.
 */
export function countRows(text: string, mediaType: string): number {
  switch (mediaType) {
    case 'application/sparql-results+xml':
      return occurrences(text, '<result>');
    case 'text/tab-separated-values':
      // A header line, then one line per row; values escape their line breaks.
      return occurrences(text, '\n') - 1;
    case 'application/n-triples':
    case 'application/n-quads':
      return occurrences(text, '\n');
    case 'text/csv':
      return csvLines(text) - 1;
    case 'application/sparql-results+json':
      return jsonBindings(text);
    default:
      throw new Error(`countRows: no row counter for ${mediaType}`);
  }
}

function occurrences(text: string, needle: string): number {
  let n = 0;
  for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + needle.length)) n++;
  return n;
}

// CSV quotes values holding line breaks; a doubled quote inside a value toggles twice, so parity tracks quoting.
function csvLines(text: string): number {
  let n = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) quoted = !quoted;
    else if (c === 10 && !quoted) n++;
  }
  return n;
}

// Objects opened at depth 2 ({ "results": { "bindings": [ {...} ] } }) are the solutions; strings are skipped.
function jsonBindings(text: string): number {
  let n = 0;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      for (i++; i < text.length && text.charCodeAt(i) !== 34; i++) if (text.charCodeAt(i) === 92) i++;
    } else if (c === 123) {
      if (depth === 2) n++;
      depth++;
    } else if (c === 125) depth--;
  }
  return n;
}
