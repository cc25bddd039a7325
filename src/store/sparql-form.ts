// Reads a SPARQL query's form and whether it names its own dataset, without parsing it (oxigraph parses it next).

/** The four SPARQL query forms. */
export type QueryForm = 'SELECT' | 'ASK' | 'CONSTRUCT' | 'DESCRIBE';

/** What {@link scanQuery} found: `form` is undefined when the text does not start like a query. */
export type QueryShape = { form: QueryForm | undefined; hasDataset: boolean };

// One token per match, strings/IRIs/comments first so that keywords inside them are never seen.
const TOKEN = new RegExp(
  [
    String.raw`\s+`,
    String.raw`#[^\n\r]*`,
    String.raw`"""[\s\S]*?"""`,
    String.raw`'''[\s\S]*?'''`,
    String.raw`"(?:[^"\\\n\r]|\\.)*"`,
    String.raw`'(?:[^'\\\n\r]|\\.)*'`,
    String.raw`<[^<>"{}|^\x60\\\s]*>`,
    String.raw`[?$][^\s(){}\[\],;.]*`,
    // A bare word is a keyword; with a colon it is a prefixed name (whose local part may be any keyword).
    String.raw`[A-Za-z_\u00C0-\uFFFF][\w\-\u00B7-\uFFFF]*(?::[^\s(){}\[\],;]*)?`,
    String.raw`:[^\s(){}\[\],;]*`,
    String.raw`[\s\S]`,
  ]
    .map((p) => `(?:${p})`)
    .join('|'),
  'gy',
);
const PROLOGUE = new Set(['BASE', 'PREFIX', 'VERSION']);
const FORMS = new Set<string>(['SELECT', 'ASK', 'CONSTRUCT', 'DESCRIBE']);

/**
 * The form of a SPARQL query (first keyword after the BASE/PREFIX prologue) and whether it has a FROM or
 * FROM NAMED clause. A lexical scan, enough to pick the result format; syntax errors are left to the engine.
 */
export function scanQuery(sparql: string): QueryShape {
  let form: QueryForm | undefined;
  let hasDataset = false;
  let sawForm = false;
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(sparql); m !== null && m[0] !== ''; m = TOKEN.exec(sparql)) {
    const token = m[0];
    if (!/^[A-Za-z]+$/.test(token)) continue;
    const word = token.toUpperCase();
    if (!sawForm) {
      if (PROLOGUE.has(word)) continue;
      sawForm = true;
      form = FORMS.has(word) ? (word as QueryForm) : undefined;
      if (form === undefined) break;
    } else if (word === 'FROM') {
      hasDataset = true;
      break;
    }
  }
  return { form, hasDataset };
}
