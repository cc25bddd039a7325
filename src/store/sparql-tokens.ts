// A lexical scan of SPARQL text: the significant tokens with their offsets and brace depth, for small rewrites.

// One token per match; strings, IRIs and comments come first so that keywords and braces inside them are skipped.
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
    String.raw`[A-Za-z_\u00C0-\uFFFF][\w\-\u00B7-\uFFFF]*(?::[^\s(){}\[\],;]*)?`,
    String.raw`:[^\s(){}\[\],;]*`,
    String.raw`\d+`,
    String.raw`[\s\S]`,
  ]
    .map((p) => `(?:${p})`)
    .join('|'),
  'gy',
);

/**
 * One token: its text, its offset in the query, the depth of `{ }` nesting it sits at (a brace counts at the depth
 * outside it), and `word` (upper case) when it is a bare keyword.
 */
export type Token = { text: string; index: number; depth: number; word: string | undefined };

/** The tokens of a SPARQL query or update, without whitespace and comments. */
export function tokens(sparql: string): Token[] {
  const out: Token[] = [];
  const re = new RegExp(TOKEN.source, TOKEN.flags);
  let depth = 0;
  for (let m = re.exec(sparql); m !== null && m[0] !== ''; m = re.exec(sparql)) {
    const text = m[0];
    if (/^\s/.test(text) || text.startsWith('#')) continue;
    if (text === '}') depth--;
    out.push({ text, index: m.index, depth, word: /^[A-Za-z]+$/.test(text) ? text.toUpperCase() : undefined });
    if (text === '{') depth++;
  }
  return out;
}
