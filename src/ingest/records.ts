// Reads bench record files (JSON, JSON Lines, YAML, CSV/TSV) into plain records that remember where they came from.
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { isMap, isSeq, LineCounter, parseAllDocuments, type Node as YamlNode } from 'yaml';

/** One record as the lab wrote it, with its place in the source file. */
export type SourceRecord = {
  data: Record<string, unknown>;
  file: string;
  line: number;
  /** Position in the file (0-based) — names the record when it has no id. */
  index: number;
  /** True for CSV/TSV rows: every cell is text until the schema coerces it. */
  fromTable: boolean;
};

/** Input that cannot be read as records at all: exit code 2 territory. */
export class UnreadableInputError extends Error {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
  constructor(file: string, message: string, line?: number, column?: number) {
    const where = line === undefined ? file : `${file}:${line}${column === undefined ? '' : `:${column}`}`;
    super(`${where}: ${message}`);
    this.name = 'UnreadableInputError';
    this.file = file;
    this.line = line;
    this.column = column;
  }
}

/** Reads every record of one file; the format follows the extension. */
export async function readRecordFile(file: string): Promise<SourceRecord[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UnreadableInputError(file, `cannot read file (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
  return parseRecords(text, file);
}

/** Parses records from text; `file` names the source in messages and picks the format by extension. */
export function parseRecords(text: string, file: string): SourceRecord[] {
  const ext = extname(file).toLowerCase();
  switch (ext) {
    case '.json':
      return fromJson(text, file);
    case '.jsonl':
    case '.ndjson':
      return fromJsonLines(text, file);
    case '.yaml':
    case '.yml':
      return fromYaml(text, file);
    case '.csv':
      return fromTable(text, file, ',');
    case '.tsv':
    case '.tab':
      return fromTable(text, file, '\t');
    default:
      throw new UnreadableInputError(
        file,
        `unknown record format '${ext || '(no extension)'}': expected .json, .jsonl, .yaml, .yml, .csv or .tsv`,
      );
  }
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    last = i;
  }
  return { line, column: offset - last };
}

function fromJson(text: string, file: string): SourceRecord[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    const lc = /line (\d+) column (\d+)/.exec(message);
    const pos = /position (\d+)/.exec(message);
    const where = lc
      ? { line: Number(lc[1]), column: Number(lc[2]) }
      : pos
        ? lineAndColumn(text, Number(pos[1]))
        : { line: undefined, column: undefined };
    throw new UnreadableInputError(file, `malformed JSON: ${message.replace(/ \(line \d+ column \d+\)/, '')}`, where.line, where.column);
  }
  const items = recordList(value, file);
  // JSON.parse keeps no positions; find each record's opening brace by scanning the top-level list once.
  const starts = objectStartLines(text, items.length);
  return items.map((data, index) => ({ data, file, line: starts[index] ?? 1, index, fromTable: false }));
}

/** Lines on which the top-level records begin (the `{` of each element of the outer list, or line 1). */
function objectStartLines(text: string, count: number): number[] {
  const lines: number[] = [];
  let depth = 0;
  let line = 1;
  let inString = false;
  let recordDepth = -1;
  for (let i = 0; i < text.length && lines.length < count; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) line++;
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (c === 123 && recordDepth === -1) recordDepth = depth; // first object met fixes the records' depth
      if (c === 123 && depth === recordDepth) lines.push(line);
      depth++;
    } else if (c === 125 || c === 93) depth--;
  }
  return lines;
}

function fromJsonLines(text: string, file: string): SourceRecord[] {
  const out: SourceRecord[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      const pos = /position (\d+)/.exec((err as Error).message);
      throw new UnreadableInputError(file, `malformed JSON: ${(err as Error).message}`, i + 1, pos ? Number(pos[1]) + 1 : undefined);
    }
    if (!isPlainObject(value)) throw new UnreadableInputError(file, 'expected one JSON object per line', i + 1, 1);
    out.push({ data: value, file, line: i + 1, index: out.length, fromTable: false });
  }
  return out;
}

function fromYaml(text: string, file: string): SourceRecord[] {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  if (!Array.isArray(docs)) return []; // an empty stream
  const out: SourceRecord[] = [];
  for (const doc of docs) {
    const err = doc.errors[0];
    if (err) {
      const pos = lineCounter.linePos(err.pos[0]);
      throw new UnreadableInputError(file, `malformed YAML: ${err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`, pos.line, pos.col);
    }
    if (doc.contents === null) continue;
    const value = doc.toJS({ maxAliasCount: 100 }) as unknown;
    const nodes = recordNodes(doc.contents as YamlNode);
    const items = recordList(value, file);
    items.forEach((data, i) => {
      const range = nodes[i]?.range;
      out.push({
        data,
        file,
        line: range ? lineCounter.linePos(range[0]).line : 1,
        index: out.length,
        fromTable: false,
      });
    });
  }
  return out;
}

/** The YAML nodes of the records, parallel to recordList()'s result. */
function recordNodes(root: YamlNode): YamlNode[] {
  if (isSeq(root)) return root.items as YamlNode[];
  if (isMap(root)) {
    const records = root.get('records', true);
    if (isSeq(records)) return records.items as YamlNode[];
  }
  return [root];
}

/** A file holds one record, a list of records, or {records: [...]}. */
function recordList(value: unknown, file: string): Record<string, unknown>[] {
  const list = Array.isArray(value)
    ? value
    : isPlainObject(value) && Array.isArray(value.records) && value.kind === undefined
      ? value.records
      : [value];
  list.forEach((item, i) => {
    if (!isPlainObject(item)) {
      throw new UnreadableInputError(file, `record ${i + 1}: expected an object with 'kind' and 'id', found ${typeName(item)}`);
    }
  });
  return list as Record<string, unknown>[];
}

function fromTable(text: string, file: string, delimiter: string): SourceRecord[] {
  let rows: { record: Record<string, string>; info: { lines: number } }[];
  try {
    rows = parseCsv(text, {
      columns: (header: string[]) => header.map((h) => h.trim()),
      delimiter,
      info: true,
      skip_empty_lines: true,
      bom: true,
      relax_column_count: false,
    });
  } catch (err) {
    const e = err as Error & { lines?: number; column?: number };
    throw new UnreadableInputError(file, `malformed ${delimiter === ',' ? 'CSV' : 'TSV'}: ${e.message}`, e.lines, undefined);
  }
  return rows.map(({ record, info }, index) => {
    const data: Record<string, unknown> = {};
    for (const [column, cell] of Object.entries(record)) {
      if (cell.trim() === '') continue;
      setPath(data, column, cell.trim(), file, info.lines);
    }
    if (data.kind === undefined) data.kind = 'session'; // a session table is the common case
    return { data, file, line: info.lines, index, fromTable: true };
  });
}

/** Puts a cell under a column path such as `settings.pixelSize` or `files[0].uri`. */
function setPath(target: Record<string, unknown>, path: string, value: string, file: string, line: number): void {
  const steps = path.split('.').flatMap((part) => {
    const m = /^([^[\]]+)((?:\[\d+\])*)$/.exec(part);
    if (!m) throw new UnreadableInputError(file, `column '${path}' is not a field path like 'settings.pixelSize' or 'files[0].uri'`, 1);
    const indexes = [...m[2].matchAll(/\[(\d+)\]/g)].map((x) => Number(x[1]));
    return [m[1], ...indexes];
  });
  let node: Record<string | number, unknown> = target;
  for (let i = 0; i < steps.length - 1; i++) {
    const key = steps[i];
    const nextIsIndex = typeof steps[i + 1] === 'number';
    if (node[key] === undefined) node[key] = nextIsIndex ? [] : {};
    const child = node[key];
    if (typeof child !== 'object' || child === null) {
      throw new UnreadableInputError(file, `column '${path}' conflicts with another column that sets '${String(key)}'`, line);
    }
    node = child as Record<string | number, unknown>;
  }
  node[steps[steps.length - 1]] = value;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'string' ? `the text ${JSON.stringify(value.slice(0, 40))}` : `a ${typeof value}`;
}
