// OBO 1.4 flat-file parser: header tags and [Term]/[Typedef] stanzas, keeping only what the slim builder reads.

/** One `tag: value` line of a stanza, with its line number for error messages. */
export type OboClause = { tag: string; value: string; line: number };

export type OboStanza = { type: string; id: string; line: number; clauses: OboClause[] };

export type OboDocument = { file: string; header: OboClause[]; stanzas: OboStanza[] };

export type OboSynonym = {
  text: string;
  scope: 'EXACT' | 'RELATED' | 'NARROW' | 'BROAD';
  type: string | null;
};

/** A parse failure that names the file and line, like `taxslim.obo:12: expected "tag: value"`. */
export class OboParseError extends Error {
  readonly file: string;
  readonly line: number;
  constructor(file: string, line: number, message: string) {
    super(`${file}:${line}: ${message}`);
    this.name = 'OboParseError';
    this.file = file;
    this.line = line;
  }
}

/** Splits an OBO text into header clauses and stanzas; values keep their modifiers and comments. */
export function parseObo(text: string, file: string): OboDocument {
  const lines = text.split(/\r?\n/);
  const header: OboClause[] = [];
  const stanzas: OboStanza[] = [];
  let current: { type: string; line: number; clauses: OboClause[] } | null = null;
  const finish = () => {
    if (current === null) return;
    const idClause = current.clauses.find((c) => c.tag === 'id');
    if (idClause === undefined || idClause.value === '') {
      throw new OboParseError(file, current.line, `[${current.type}] stanza has no "id:" clause`);
    }
    stanzas.push({
      type: current.type,
      id: stripComment(idClause.value),
      line: current.line,
      clauses: current.clauses,
    });
  };
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let line = lines[i]!;
    // A trailing unescaped backslash continues the value on the next line (OBO 1.4 section 2.1).
    while (endsWithEscape(line) && i + 1 < lines.length) {
      line = line.slice(0, -1) + lines[++i]!;
    }
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('!')) continue;
    if (trimmed.startsWith('[')) {
      if (!trimmed.endsWith(']'))
        throw new OboParseError(file, lineNo, `expected a stanza header like "[Term]", got "${trimmed}"`);
      finish();
      current = { type: trimmed.slice(1, -1).trim(), line: lineNo, clauses: [] };
      continue;
    }
    const colon = trimmed.indexOf(':');
    if (colon <= 0)
      throw new OboParseError(file, lineNo, `expected "tag: value", got "${truncate(trimmed)}"`);
    const clause = {
      tag: trimmed.slice(0, colon).trim(),
      value: trimmed.slice(colon + 1).trim(),
      line: lineNo,
    };
    if (current === null) header.push(clause);
    else current.clauses.push(clause);
  }
  finish();
  return { file, header, stanzas };
}

/** Values of one tag in a stanza or header, in file order. */
export function values(clauses: OboClause[], tag: string): OboClause[] {
  return clauses.filter((c) => c.tag === tag);
}

/** Removes trailing `{modifiers}` and `! comment` from a value such as `UBERON:1 {source="x"} ! brain`. */
export function stripComment(value: string): string {
  let out = '';
  let braces = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    if (ch === '\\' && i + 1 < value.length) {
      const escaped = ch + value[++i];
      if (braces === 0) out += escaped;
      continue;
    }
    if (ch === '{') braces++;
    else if (ch === '}' && braces > 0) braces--;
    else if (ch === '!' && braces === 0 && (i === 0 || value[i - 1] === ' ' || value[i - 1] === '\t')) break;
    if (braces === 0 && ch !== '}') out += ch;
  }
  return out.trim();
}

/** Parses `"text" SCOPE [TYPE] [xrefs] {mods}` from a synonym clause. */
export function parseSynonym(clause: OboClause, file: string): OboSynonym {
  const { text, rest } = readQuoted(clause, file);
  const words = stripComment(rest.replace(/\[[^\]]*\]/g, ' '))
    .split(/\s+/)
    .filter((w) => w !== '');
  const scope = words[0] ?? 'RELATED';
  if (scope !== 'EXACT' && scope !== 'RELATED' && scope !== 'NARROW' && scope !== 'BROAD') {
    throw new OboParseError(
      file,
      clause.line,
      `expected synonym scope EXACT, RELATED, NARROW or BROAD, got "${scope}"`,
    );
  }
  return { text, scope, type: words[1] ?? null };
}

/** Reads the leading quoted string of a `def:` or `synonym:` value, unescaping OBO escapes. */
export function readQuoted(clause: OboClause, file: string): { text: string; rest: string } {
  const v = clause.value;
  if (!v.startsWith('"'))
    throw new OboParseError(file, clause.line, `expected a quoted string after "${clause.tag}:"`);
  let text = '';
  for (let i = 1; i < v.length; i++) {
    const ch = v[i]!;
    if (ch === '\\' && i + 1 < v.length) {
      const next = v[++i]!;
      text += next === 'n' ? '\n' : next === 't' ? '\t' : next;
      continue;
    }
    if (ch === '"') return { text, rest: v.slice(i + 1) };
    text += ch;
  }
  throw new OboParseError(file, clause.line, `unterminated quoted string in "${clause.tag}:"`);
}

/** Unescapes a plain OBO value such as a `name:` (`\!` -> `!`). */
export function unescapeValue(value: string): string {
  return value.replace(/\\(.)/g, (_m, ch: string) => (ch === 'n' ? '\n' : ch === 't' ? '\t' : ch));
}

function endsWithEscape(line: string): boolean {
  let n = 0;
  for (let i = line.length - 1; i >= 0 && line[i] === '\\'; i--) n++;
  return n % 2 === 1;
}

function truncate(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** What the slims keep of one OBO stanza; ids are CURIEs as written in the file (`UBERON:0000955`). */
export type OboTerm = {
  id: string;
  kind: 'class' | 'property';
  label: string | null;
  synonyms: OboSynonym[];
  isA: string[];
  partOf: string[];
  obsolete: boolean;
  replacedBy: string[];
  file: string;
  line: number;
};

/** The part-of relation as OBO files name it: by its Typedef id or by the BFO CURIE. */
const PART_OF = 'BFO:0000050';

/**
 * Reads the terms of a document. Genus-differentia definitions (`intersection_of`) add their genus as a
 * superclass and their part_of differentia as a part-of link, since `C = G and part_of some W` entails both.
 */
export function oboTerms(doc: OboDocument): Map<string, OboTerm> {
  const partOfNames = new Set([PART_OF, 'part_of']);
  for (const s of doc.stanzas) {
    if (s.type === 'Typedef' && values(s.clauses, 'xref').some((c) => stripComment(c.value) === PART_OF)) {
      partOfNames.add(s.id);
    }
  }
  const terms = new Map<string, OboTerm>();
  for (const s of doc.stanzas) {
    if (s.type !== 'Term' && s.type !== 'Typedef') continue;
    const name = values(s.clauses, 'name')[0];
    const isA = new Set(values(s.clauses, 'is_a').map((c) => stripComment(c.value)));
    const partOf = new Set<string>();
    for (const c of values(s.clauses, 'relationship')) {
      const [rel, target] = stripComment(c.value).split(/\s+/);
      if (rel === undefined || target === undefined) {
        throw new OboParseError(doc.file, c.line, 'expected "relationship: <relation> <id>"');
      }
      if (partOfNames.has(rel)) partOf.add(target);
    }
    for (const c of values(s.clauses, 'intersection_of')) {
      const parts = stripComment(c.value).split(/\s+/);
      if (parts.length === 1) isA.add(parts[0]!);
      else if (parts.length === 2 && partOfNames.has(parts[0]!)) partOf.add(parts[1]!);
    }
    terms.set(s.id, {
      id: s.id,
      kind: s.type === 'Term' ? 'class' : 'property',
      label: name === undefined ? null : unescapeValue(stripComment(name.value)),
      synonyms: values(s.clauses, 'synonym').map((c) => parseSynonym(c, doc.file)),
      // OWL-to-OBO translations leave `X part_of X` (from only-restrictions); a class is not its own parent.
      isA: [...isA].filter((p) => p !== s.id),
      partOf: [...partOf].filter((p) => p !== s.id),
      obsolete: values(s.clauses, 'is_obsolete').some((c) => stripComment(c.value) === 'true'),
      replacedBy: values(s.clauses, 'replaced_by').map((c) => stripComment(c.value)),
      file: doc.file,
      line: s.line,
    });
  }
  return terms;
}

/** The first value of a header tag (`data-version`, `date`, ...), or null. */
export function headerValue(doc: OboDocument, tag: string): string | null {
  const c = values(doc.header, tag)[0];
  return c === undefined ? null : c.value;
}
