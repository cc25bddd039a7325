// Query templates with typed slots: the `queries/ask-*.rq` files. Each file is a valid SPARQL query (its own example,
// described by its first line) whose lines carry markers saying which slot they depend on.
//
// Markers, at the end of a line:
//   #[if a,b,!c]        keep the line when slot or flag a is filled, or b is, or c is not (any of them);
//                       `a&!b` within one item means both (a filled and b not)
//   #[values a]         a `VALUES ?x { ... }` line: its values become slot a's terms; dropped when a is empty
//   #[filter a]         a `FILTER(...)` line: rebuilt from slot a's comparisons on the line's first variable
//   #[inline a]         a line whose last variable becomes slot a's one term; dropped when a is empty (a constant
//                       keeps property paths bound at one end: Comunica cannot send a path open at both ends
//                       to a SPARQL endpoint)
//   #[select]           a SELECT line: the variables the question asks to see are appended
//   #[order]            an ORDER BY line, replaced by the fill's order (largest, latest...) when there is one
//   #[group]            a SELECT / GROUP BY / ORDER BY line: its plain variables become the group variables
//                       (`#[group keep:file,size]` keeps those); with `measure`, COUNT(DISTINCT ?x) AS ?y is the measure;
//                       a measure with an aggregate (MAX, MIN, AVG) replaces the line's first COUNT(DISTINCT ?x) or SUM(?x);
//                       an ORDER BY group line gives way to the fill's order (the group with the most sessions first)
// A line starting with `#~ ` is inactive in the file's own example and taken when its marker says so.
// Header lines: `# ask: <question>` (questions the example answers), `# example: slot=value ...` (the slots
// the file's own text is filled with; a test checks the file is exactly that instantiation).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Comparison } from './types.ts';

export type Marker =
  | { kind: 'if'; any: { name: string; negated: boolean }[][] }
  | { kind: 'values'; slot: string }
  | { kind: 'inline'; slot: string }
  | { kind: 'filter'; slot: string }
  | { kind: 'select' }
  | { kind: 'order' }
  | { kind: 'group'; keep: string[]; measure: boolean };

/** Aggregates a measure may take instead of counting. */
export type Aggregate = 'MAX' | 'MIN' | 'AVG';

export type TemplateLine = { text: string; marker: Marker | null; inactive: boolean; line: number };

export type Template = {
  name: string;
  file: string;
  /** The first comment line: what the file's own query asks. */
  purpose: string;
  /** Example questions (`# ask:` lines). */
  asks: string[];
  /** Slots of the file's own example (`# example:`), as `name=value` strings. */
  example: Record<string, string[]>;
  /** Every slot name the markers mention. */
  slots: Set<string>;
  lines: TemplateLine[];
  text: string;
};

/** A slot's value: SPARQL terms for a VALUES line (`<iri>`, `"text"`, `bg:Name`), or comparisons for a FILTER. */
export type SlotValue = { terms?: string[]; comparisons?: Comparison[] };

export type Fill = {
  slots: Map<string, SlotValue>;
  /** Flags that are not slots: `unpublished`, `show:species`, `group:modality`, `measure:subjects`... */
  flags: Set<string>;
  /** Group variables (without '?'), in order. */
  group: string[];
  /** Variables to append to a #[select] line (without '?'). */
  show: string[];
  /** COUNT measure: variable counted and the name of the count column; with `aggregate`, that aggregate of the variable. */
  measure?: { variable: string; name: string; aggregate?: Aggregate };
  /** Order of an #[order] line: by a variable, largest first when descending. */
  order?: { variable: string; descending: boolean };
  limit: number;
};

const MARKER = /\s*#\[([^\]]*)\]\s*$/;

/** Loads every `ask-*.rq` file of a queries directory, sorted by name. */
export function loadTemplates(dir: string): Template[] {
  return readdirSync(dir)
    .filter((f) => /^ask-.*\.rq$/.test(f))
    .sort()
    .map((f) => parseTemplate(join(dir, f), readFileSync(join(dir, f), 'utf8')));
}

/** Parses one template file; errors name the file and line. */
export function parseTemplate(file: string, text: string): Template {
  const name = file.replace(/^.*\//, '').replace(/\.rq$/, '');
  const lines: TemplateLine[] = [];
  const asks: string[] = [];
  const example: Record<string, string[]> = {};
  const slots = new Set<string>();
  let purpose = '';
  let inHeader = true;
  text.split('\n').forEach((raw, i) => {
    const where = `${file}:${i + 1}`;
    if (inHeader && raw.startsWith('#') && !raw.startsWith('#~')) {
      const body = raw.replace(/^#\s?/, '');
      if (purpose === '') purpose = body.trim();
      else if (body.startsWith('ask:')) asks.push(body.slice(4).trim());
      else if (body.startsWith('example:')) {
        for (const pair of body.slice(8).trim().split(/\s+/).filter(Boolean)) {
          const eq = pair.indexOf('=');
          if (eq <= 0) throw new Error(`${where}: expected name=value in '# example:', found '${pair}'`);
          (example[pair.slice(0, eq)] ??= []).push(pair.slice(eq + 1));
        }
      }
      return;
    }
    inHeader = false;
    // Comment lines in the body explain the template to curators; generated queries leave them out.
    if (/^\s*#(?!~|\[)/.test(raw)) return;
    const inactive = raw.startsWith('#~');
    const content = inactive ? raw.replace(/^#~ ?/, '') : raw;
    const m = MARKER.exec(content);
    const marker = m === null ? null : parseMarker(m[1]!, where);
    if (marker !== null) {
      if (marker.kind === 'if') for (const c of marker.any.flat()) if (!c.name.includes(':')) slots.add(c.name);
      if (marker.kind === 'values' || marker.kind === 'inline' || marker.kind === 'filter') slots.add(marker.slot);
    }
    if (inactive && marker === null) throw new Error(`${where}: a '#~' line needs a marker saying when it is taken`);
    lines.push({ text: m === null ? content : content.slice(0, m.index), marker, inactive, line: i + 1 });
  });
  if (purpose === '') throw new Error(`${file}: the first line must be a comment saying what the query asks`);
  return { name, file, purpose, asks, example, slots, lines, text };
}

function parseMarker(body: string, where: string): Marker {
  const [kind, ...rest] = body.trim().split(/\s+/);
  const arg = rest.join(' ');
  switch (kind) {
    case 'if':
      if (arg === '') throw new Error(`${where}: #[if] needs at least one slot or flag`);
      return {
        kind: 'if',
        any: arg.split(',').map((item) => item.split('&').map((c) => ({ name: c.trim().replace(/^!/, ''), negated: c.trim().startsWith('!') }))),
      };
    case 'values':
    case 'inline':
    case 'filter':
      if (!/^[A-Za-z][\w]*$/.test(arg)) throw new Error(`${where}: #[${kind}] needs one slot name, found '${arg}'`);
      return { kind, slot: arg };
    case 'select':
      return { kind: 'select' };
    case 'order':
      return { kind: 'order' };
    case 'group': {
      const keep = /keep:([\w,]+)/.exec(arg)?.[1]?.split(',') ?? [];
      return { kind: 'group', keep, measure: /\bmeasure\b/.test(arg) };
    }
    default:
      throw new Error(`${where}: unknown marker #[${body}]; expected if, values, inline, filter, select, order or group`);
  }
}

/** Whether an #[if] marker holds: any of its items, each with all of its conditions. */
export function holds(fill: Fill, m: Extract<Marker, { kind: 'if' }>): boolean {
  return m.any.some((all) => all.every((c) => filled(fill, c.name) !== c.negated));
}

/** Whether a name is filled: a slot with terms or comparisons, or a flag. */
function filled(fill: Fill, name: string): boolean {
  const s = fill.slots.get(name);
  if (s !== undefined) return (s.terms?.length ?? 0) > 0 || (s.comparisons?.length ?? 0) > 0;
  return fill.flags.has(name);
}

/** Fills a template: keeps the lines whose markers hold, rewrites VALUES, FILTER, SELECT and GROUP lines, sets LIMIT. */
export function instantiate(t: Template, fill: Fill): string {
  const kept: { text: string; select: boolean }[] = [];
  for (const l of t.lines) {
    const text = l.text.replace(/\s+$/, '');
    const m = l.marker;
    if (m === null || m.kind === 'select') {
      kept.push({ text, select: m !== null });
      continue;
    }
    if (m.kind === 'if') {
      if (holds(fill, m)) kept.push({ text, select: false });
    } else if (m.kind === 'values') {
      const terms = fill.slots.get(m.slot)?.terms ?? [];
      if (terms.length > 0) kept.push({ text: text.replace(/\{[^}]*\}/, `{ ${terms.join(' ')} }`), select: false });
    } else if (m.kind === 'inline') {
      const terms = fill.slots.get(m.slot)?.terms ?? [];
      if (terms.length > 1) throw new Error(`${t.file}:${l.line}: #[inline ${m.slot}] takes one term, got ${terms.length}`);
      const variables = text.match(/\?\w+/g) ?? [];
      const last = variables[variables.length - 1];
      if (last === undefined) throw new Error(`${t.file}:${l.line}: #[inline] line has no variable`);
      if (terms.length === 1) {
        const at = text.lastIndexOf(last);
        kept.push({ text: `${text.slice(0, at)}${terms[0]}${text.slice(at + last.length)}`, select: false });
      }
    } else if (m.kind === 'order') {
      const indent = /^\s*/.exec(text)![0];
      const o = fill.order;
      kept.push({ text: o === undefined ? text : `${indent}${orderBy(o)}`, select: false });
    } else if (m.kind === 'filter') {
      const comparisons = fill.slots.get(m.slot)?.comparisons ?? [];
      const variable = /\?\w+/.exec(text)?.[0];
      if (variable === undefined) throw new Error(`${t.file}:${l.line}: #[filter] line has no variable`);
      if (comparisons.length > 0) {
        const indent = /^\s*/.exec(text)![0];
        kept.push({ text: `${indent}FILTER(${comparisons.map((c) => formatComparison(variable, c)).join(' && ')})`, select: false });
      }
    } else {
      const line = regroup(text, fill, m, `${t.file}:${l.line}`);
      if (line !== null) kept.push({ text: line, select: false });
    }
  }
  // #[select] lines get the shown variables that the rest of the kept query binds.
  const rest = kept.filter((k) => !k.select).map((k) => k.text).join('\n');
  const lines = kept.map((k) => {
    if (!k.select) return k.text;
    const present = new Set(k.text.match(/\?\w+/g) ?? []);
    const extra = fill.show.map((v) => `?${v}`).filter((v) => !present.has(v) && new RegExp(`\\${v}(?![\\w])`).test(rest));
    return extra.length === 0 ? k.text : k.text.replace(/\s+WHERE\s*\{/, ` ${extra.join(' ')} WHERE {`);
  });
  let query = lines.join('\n');
  if (/^\s*LIMIT\s+\d+\s*$/m.test(query)) query = query.replace(/^\s*LIMIT\s+\d+\s*$/m, `LIMIT ${fill.limit}`);
  else query = `${query.trimEnd()}\nLIMIT ${fill.limit}`;
  return `${query.trimEnd()}\n`;
}

/** The ORDER BY of a fill's order; ascending, rows without the value come last ("the youngest mouse" has an age). */
function orderBy(o: NonNullable<Fill['order']>): string {
  return `ORDER BY ${o.descending ? `DESC(?${o.variable})` : `(!BOUND(?${o.variable})) ?${o.variable}`}`;
}

/** Rewrites the plain variables of a group line (from its first to its last variable before any '('). */
function regroup(text: string, fill: Fill, m: Extract<Marker, { kind: 'group' }>, where: string): string | null {
  const paren = text.indexOf('(');
  const head = paren < 0 ? text : text.slice(0, paren);
  let tail = paren < 0 ? '' : text.slice(paren);
  const vars = head.match(/\?\w+/g) ?? [];
  if (vars.length === 0) throw new Error(`${where}: a #[group] line needs the example's group variables`);
  const first = head.indexOf(vars[0]!);
  const lastVar = vars[vars.length - 1]!;
  const last = head.lastIndexOf(lastVar) + lastVar.length;
  const group = fill.group.map((g) => `?${g}`);
  const next = [...group, ...vars.filter((v) => m.keep.includes(v.slice(1)) && !group.includes(v))];
  const indent = /^\s*/.exec(text)![0];
  if (/^\s*ORDER\s+BY\b/i.test(head) && fill.order !== undefined) {
    return `${indent}${orderBy(fill.order)}`;
  }
  if (/^\s*(GROUP|ORDER)\s+BY\b/i.test(head) && next.length === 0) return null;
  const aggregate = fill.measure?.aggregate;
  if (fill.measure !== undefined && aggregate !== undefined) {
    tail = tail.replace(/(?:COUNT\(DISTINCT \?\w+\)|SUM\(\?\w+\)) AS \?\w+/, `${aggregate}(?${fill.measure.variable}) AS ?${fill.measure.name}`);
  } else if (m.measure && fill.measure !== undefined) {
    tail = tail.replace(/COUNT\(DISTINCT \?\w+\) AS \?\w+/, `COUNT(DISTINCT ?${fill.measure.variable}) AS ?${fill.measure.name}`);
  }
  const line = `${head.slice(0, first)}${next.join(' ')}${head.slice(last)}${tail}`;
  return indent + line.slice(indent.length).replace(/ {2,}/g, ' ');
}

/** `?day > 7`; dates as text, `STR(?date) >= "2024-03-01"`, so xsd:date and xsd:dateTime values compare alike. */
function formatComparison(variable: string, c: Comparison): string {
  return typeof c.value === 'string' ? `STR(${variable}) ${c.op} ${JSON.stringify(c.value)}` : `${variable} ${c.op} ${formatNumber(c.value)}`;
}

function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toFixed(6)));
}

/** Turns an IRI into a SPARQL term. */
export function iriTerm(iri: string): string {
  return `<${iri}>`;
}

/** Turns text into a SPARQL string literal. */
export function literalTerm(text: string): string {
  return JSON.stringify(text);
}

/** The fill of a template's own example (`# example:` line): `slot=term`, `slot=>7,<=14`, `group=a,b`, `show=a`, `measure=x:name`, `flag=true`. */
export function exampleFill(t: Template, limit = 1000): Fill {
  const fill: Fill = { slots: new Map(), flags: new Set(), group: [], show: [], limit };
  for (const [name, values] of Object.entries(t.example)) {
    for (const value of values) {
      if (name === 'group') fill.group.push(...value.split(','));
      else if (name === 'show') fill.show.push(...value.split(','));
      else if (name === 'measure') {
        const [variable, count] = value.split(':');
        fill.measure = { variable: variable!, name: count ?? `${variable}s` };
      } else if (value === 'true') fill.flags.add(name);
      else if (/^(>=|<=|>|<|=)-?\d/.test(value)) {
        const comparisons = value.split(',').map((c) => {
          const m = /^(>=|<=|>|<|=)(-?\d+(?:\.\d+)?)$/.exec(c);
          if (m === null) throw new Error(`${t.file}: '# example: ${name}=${value}': expected comparisons like >7 or >0,<=7`);
          return { op: m[1] as Comparison['op'], value: Number(m[2]) };
        });
        fill.slots.set(name, { comparisons });
      } else {
        const slot = fill.slots.get(name) ?? { terms: [] };
        slot.terms!.push(value);
        fill.slots.set(name, slot);
      }
    }
  }
  for (const g of fill.group) fill.flags.add(`group:${g}`);
  for (const s of fill.show) fill.flags.add(`show:${s}`);
  if (fill.measure !== undefined) fill.flags.add(`measure:${fill.measure.name}`);
  return fill;
}

/** The query text of the file itself: header comments, inactive lines and markers removed. */
export function ownQuery(t: Template): string {
  const body = t.lines
    .filter((l) => !l.inactive)
    .map((l) => l.text.replace(/\s+$/, ''))
    .join('\n');
  return `${body.trimEnd()}\n`;
}
