// Reads IDR study files (idrNNNN-study.txt: tab-separated key and values, in study, screen and experiment
// sections) into a JSON-LD document whose keys are the file's own keys, for the SPARQL mapping to take apart.
import { basename } from 'node:path';
import { UnreadableInputError } from '../ingest/records.ts';
import type { ImportFormat } from './formats.ts';
import type { JsonObject } from './jsonld.ts';
import type { Notice } from './normalize.ts';
import { decodeText, readBytes, type SourceDocument } from './readers.ts';

/** How the file is laid out; from the `layout` section of mappings/idr-study.yaml. */
type Layout = {
  context: string;
  /** A key that starts a new section (`Screen Number`) -> the section's type (`Screen`). */
  sections: Map<string, string>;
  /** Key prefixes whose keys are parallel columns (value i of every key belongs to object i), and what a broken
   * column in the group does: reject the file, or leave the group out with a warning. */
  groups: Map<string, 'reject' | 'warn'>;
  /** Companion keys of a term: `<stem> Term Source REF`, `<stem> Term Accession`. */
  termSource: string;
  termAccession: string;
  /** Where a term's names are, relative to the companions' stem: the stem itself, `<stem> Type`, ... */
  termNames: string[];
};

type Row = { key: string; values: string[]; line: number };

export async function readIdrStudy(file: string, format: ImportFormat): Promise<SourceDocument> {
  const layout = layoutOf(format);
  const bytes = await readBytes(file);
  const { text, notices } = decodeText(bytes, file);
  const rows = parseRows(text, file, notices);
  const sections: { type: string; rows: Row[] }[] = [{ type: 'Study', rows: [] }];
  for (const row of rows) {
    const type = layout.sections.get(row.key);
    if (type !== undefined) sections.push({ type, rows: [] });
    sections[sections.length - 1]!.rows.push(row);
  }
  const [study, ...parts] = sections.map((s) => sectionNode(s.type, s.rows, layout, file, notices));
  const counters = new Map<string, number>();
  for (const part of parts) {
    const type = String(part['@type']);
    const n = (counters.get(type) ?? 0) + 1;
    counters.set(type, n);
    part['@id'] = `#${type.toLowerCase()}-${n}`;
    part.index = n;
    const list = (study![type] as JsonObject[] | undefined) ?? [];
    list.push(part);
    study![type] = list;
  }
  study!['@context'] = layout.context;
  study!['@id'] = '#study';
  study!.sourceFile = basename(file);
  return { file, document: study!, bytes: [bytes], notices, skipped: [] };
}

function layoutOf(format: ImportFormat): Layout {
  const l = (format.options.layout ?? {}) as Record<string, unknown>;
  const need = (key: string) => {
    if (l[key] === undefined) throw new Error(`${format.file}: layout.${key} is missing`);
    return l[key];
  };
  return {
    context: String(need('context')),
    sections: new Map(Object.entries(need('sections') as Record<string, string>)),
    groups: groupsOf(need('groups'), format.file),
    termSource: String(need('termSource')),
    termAccession: String(need('termAccession')),
    termNames: (need('termNames') as string[]).map(String),
  };
}

function groupsOf(value: unknown, file: string): Map<string, 'reject' | 'warn'> {
  const out = new Map<string, 'reject' | 'warn'>();
  for (const [prefix, mode] of Object.entries((value ?? {}) as Record<string, unknown>)) {
    if (mode !== 'reject' && mode !== 'warn') throw new Error(`${file}: layout.groups.${prefix}: expected reject or warn, found ${JSON.stringify(mode)}`);
    out.set(prefix, mode);
  }
  return out;
}

/**
 * Rows of key and values. Comment lines (`# ...`) and empty lines are skipped; trailing empty cells are dropped.
 * A cell may be quoted ("a, b" or over several lines, with "" for a quote); a quote that never closes is read as
 * a plain character, with a notice, as IDR's files sometimes have one.
 */
function parseRows(text: string, file: string, notices: Notice[]): Row[] {
  const rows: Row[] = [];
  let i = 0;
  let line = 1;
  while (i < text.length) {
    const startLine = line;
    const cells: string[] = [];
    let cell = '';
    let atCellStart = true;
    for (; i < text.length; i++) {
      const c = text[i]!;
      if (atCellStart && c === '"') {
        const close = closingQuote(text, i + 1);
        if (close !== -1) {
          const body = text.slice(i + 1, close);
          cell += body.replaceAll('""', '"');
          for (const ch of body) if (ch === '\n') line++;
          i = close;
          atCellStart = false;
          continue;
        }
        notices.push({ kind: 'quote-unclosed', message: `${basename(file)}:${line}: a cell opens a quote that never closes; read as a plain character` });
      }
      atCellStart = false;
      if (c === '\t') {
        cells.push(cell);
        cell = '';
        atCellStart = true;
      } else if (c === '\n' || c === '\r') {
        if (c === '\r' && text[i + 1] === '\n') i++;
        i++;
        line++;
        break;
      } else cell += c;
    }
    cells.push(cell);
    const trimmed = cells.map((c) => c.trim());
    while (trimmed.length > 0 && trimmed[trimmed.length - 1] === '') trimmed.pop();
    const key = trimmed[0] ?? '';
    if (key === '' || key.startsWith('#')) continue;
    rows.push({ key, values: trimmed.slice(1), line: startLine });
  }
  if (rows.length === 0) throw new UnreadableInputError(file, 'not an IDR study file: no "Key<TAB>value" lines', 1, 1);
  return rows;
}

/** Index of the quote closing a quoted cell opened before `from`, or -1 if it never closes. */
function closingQuote(text: string, from: number): number {
  for (let j = from; j < text.length; j++) {
    if (text[j] !== '"') continue;
    if (text[j + 1] === '"') {
      j++;
      continue;
    }
    const next = text[j + 1];
    return next === undefined || next === '\t' || next === '\n' || next === '\r' ? j : -1;
  }
  return -1;
}

/** `Comment[IDR Study Accession]` -> `CommentIDRStudyAccession`: a JSON-LD term the context maps to an IRI. */
function termName(key: string): string {
  return key.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''));
}

function broken(file: string, row: Row, count: number, anchor: Row): UnreadableInputError {
  return new UnreadableInputError(
    file,
    `broken columns: '${row.key}' has ${row.values.length} values but '${anchor.key}' (line ${anchor.line}) has ${count}; ` +
      `value ${count + 1} ('${row.values[count]}', column ${count + 2}) belongs to nothing`,
    row.line,
    count + 2,
  );
}

/** One section as a JSON-LD node: plain keys, term keys zipped with their companions, groups zipped by column. */
function sectionNode(type: string, rows: Row[], layout: Layout, file: string, notices: Notice[]): JsonObject {
  const node: JsonObject = { '@type': type };
  const byKey = new Map<string, Row>();
  for (const row of rows) {
    if (byKey.has(row.key)) {
      notices.push({ kind: 'key-repeated', message: `${basename(file)}:${row.line}: '${row.key}' repeats line ${byKey.get(row.key)!.line}; the first is used` });
      continue;
    }
    byKey.set(row.key, row);
  }
  const used = new Set<string>();
  // Groups of parallel columns: the first key of a group in the file is its anchor.
  for (const [prefix, mode] of layout.groups) {
    const members = [...byKey.values()].filter((r) => r.key.startsWith(`${prefix} `));
    if (members.length === 0) continue;
    const anchor = members[0]!;
    const count = anchor.values.length > 0 ? anchor.values.length : Math.max(...members.map((m) => m.values.length));
    const objects: JsonObject[] = [];
    for (const m of members) used.add(m.key);
    const misfit = members.find((m) => anchor.values.length > 0 && m.values.length > anchor.values.length);
    if (misfit) {
      const error = broken(file, misfit, anchor.values.length, anchor);
      if (mode === 'reject') throw error;
      notices.push({ kind: 'columns-misaligned', message: `${basename(file)}:${misfit.line}: ${error.message.replace(/^.*?: broken columns: /, '')}; the '${prefix}' keys are left out` });
      continue;
    }
    for (let i = 0; i < count; i++) {
      const o: JsonObject = { '@type': termName(prefix), index: i + 1 };
      for (const m of members) {
        const v = m.values[i];
        if (v !== undefined && v !== '') o[termName(m.key.slice(prefix.length + 1))] = v;
      }
      objects.push(o);
    }
    if (objects.length > 0) node[termName(prefix)] = objects;
  }
  // Terms: `<stem> Term Source REF` and `<stem> Term Accession` belong to the names under `<stem>` (or `<stem> Type`, ...).
  for (const row of byKey.values()) {
    if (used.has(row.key) || !row.key.endsWith(` ${layout.termAccession}`)) continue;
    const stem = row.key.slice(0, -layout.termAccession.length - 1);
    const source = byKey.get(`${stem} ${layout.termSource}`);
    const names = layout.termNames.map((suffix) => byKey.get(`${stem}${suffix}`)).find((r) => r !== undefined && !used.has(r.key));
    if (!names) continue;
    used.add(row.key);
    used.add(names.key);
    if (source) used.add(source.key);
    const n = names.values.length;
    if (n > 0 && row.values.length > n) throw broken(file, row, n, names);
    if (n > 0 && source && source.values.length > n) throw broken(file, source, n, names);
    const count = Math.max(n, row.values.length);
    const terms: JsonObject[] = [];
    for (let i = 0; i < count; i++) {
      const t: JsonObject = { '@type': 'Term', index: i + 1 };
      const name = names.values[i];
      const accession = row.values[i];
      // One source REF for several values applies to them all (IDR writes it once).
      const ref = source?.values[i] || (source?.values.length === 1 ? source.values[0] : undefined);
      if (name) t.name = name;
      if (accession) t.accession = accession;
      if (ref && (accession || name)) t.source = ref;
      if (name || accession) terms.push(t);
    }
    if (terms.length > 0) node[termName(names.key)] = terms;
  }
  for (const row of byKey.values()) {
    if (used.has(row.key)) continue;
    const values = row.values.filter((v) => v !== '');
    if (values.length > 0) node[termName(row.key)] = values.length === 1 ? values[0] : values;
  }
  return node;
}
