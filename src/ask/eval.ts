// Evaluation of the ask pipeline on a question set: each question (and paraphrase) is translated with its own
// example left out, both its query and the gold query run, and the answers are compared as sets (execution
// accuracy, set F1), with query validity, correct refusals and latency, overall and per tag.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { Asker } from './ask.ts';
import { sparqlPrefixes } from './prefixes.ts';
import type { Answer, ExecuteResult, Executor, Row } from './types.ts';

export type EvalQuestion = {
  id: string;
  question: string;
  paraphrases: string[];
  tags: string[];
  gold?: string;
  answerable: boolean;
  expect?: 'read-only' | 'out-of-scope' | 'no-data';
  requires: string[];
  absent: string[];
};

export type EvalCase = { id: string; text: string; tags: string[]; paraphrase: boolean; question: EvalQuestion };

export type CaseResult = {
  id: string;
  text: string;
  tags: string[];
  answerable: boolean;
  status: Answer['status'];
  refusal?: string;
  template?: string;
  translator: string;
  sparql: string | null;
  /** Same answer set as the gold query (answerable questions). */
  match: boolean;
  f1: number;
  /** The generated query parsed, passed the checks and ran. */
  valid: boolean | null;
  /** Unanswerable questions: refused or answered "no data". */
  correctRefusal: boolean | null;
  latencyMs: number;
  goldRows: number;
  rows: number;
  note?: string;
};

export type TagScore = { tag: string; answerable: number; match: number; f1: number; unanswerable: number; refused: number };

export type EvalReport = {
  cases: CaseResult[];
  skipped: { id: string; reason: string }[];
  answerable: number;
  executionAccuracy: number;
  meanF1: number;
  validity: number;
  unanswerable: number;
  correctRefusals: number;
  falseRefusals: number;
  latencyP50: number;
  latencyP90: number;
  tags: TagScore[];
};

export const GOLD_PREFIXES = sparqlPrefixes('bg', 'obo', 'rdfs', 'dcterms', 'dcat', 'schema');

/** Reads and checks a question set; errors name the file and the question. */
export function loadQuestionSet(file: string): EvalQuestion[] {
  const raw = parse(readFileSync(file, 'utf8')) as { questions?: Record<string, unknown>[] };
  if (!Array.isArray(raw.questions)) throw new Error(`${file}: expected a top-level 'questions' list`);
  const ids = new Set<string>();
  return raw.questions.map((q, i) => {
    const where = `${file}: questions[${i}]${typeof q.id === 'string' ? ` (${q.id})` : ''}`;
    if (typeof q.id !== 'string' || q.id === '') throw new Error(`${where}: needs an 'id'`);
    if (ids.has(q.id)) throw new Error(`${where}: duplicate id '${q.id}'`);
    ids.add(q.id);
    if (typeof q.question !== 'string') throw new Error(`${where}: needs a 'question'`);
    const answerable = q.answerable !== false;
    if (answerable && typeof q.gold !== 'string') throw new Error(`${where}: an answerable question needs a 'gold' query`);
    if (!answerable && !['read-only', 'out-of-scope', 'no-data'].includes(String(q.expect))) {
      throw new Error(`${where}: an unanswerable question needs 'expect: read-only | out-of-scope | no-data'`);
    }
    const list = (key: string): string[] => {
      const v = q[key];
      if (v === undefined) return [];
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new Error(`${where}: '${key}' must be a list of strings`);
      return v as string[];
    };
    const out: EvalQuestion = {
      id: q.id,
      question: q.question,
      paraphrases: list('paraphrases'),
      tags: list('tags'),
      answerable,
      requires: list('requires'),
      absent: list('absent'),
    };
    if (typeof q.gold === 'string') out.gold = q.gold;
    if (!answerable) out.expect = q.expect as EvalQuestion['expect'];
    return out;
  });
}

/** One case per question and per paraphrase, with the questions that do not apply to the loaded archives left out. */
export function expandCases(questions: EvalQuestion[], archives: string[]): { cases: EvalCase[]; skipped: EvalReport['skipped'] } {
  const cases: EvalCase[] = [];
  const skipped: EvalReport['skipped'] = [];
  for (const q of questions) {
    const missing = q.requires.filter((a) => !archives.includes(a));
    const present = q.absent.filter((a) => archives.includes(a));
    if (missing.length > 0) {
      skipped.push({ id: q.id, reason: `needs archive ${missing.join(', ')}` });
      continue;
    }
    if (present.length > 0) {
      skipped.push({ id: q.id, reason: `only applies without archive ${present.join(', ')}` });
      continue;
    }
    cases.push({ id: q.id, text: q.question, tags: q.tags, paraphrase: false, question: q });
    for (const p of q.paraphrases) cases.push({ id: q.id, text: p, tags: [...q.tags, 'paraphrase'], paraphrase: true, question: q });
  }
  return { cases, skipped };
}

/**
 * Runs every case through the asker. Leave-one-out: the texts of a case's own question (the question and all its
 * paraphrases) are excluded from example retrieval, so no question sees its own example.
 */
export async function runEval(
  asker: Asker,
  cases: EvalCase[],
  skipped: EvalReport['skipped'] = [],
  /** Runs the gold queries (default: the asker's own executor); the union store when the asker federates. */
  goldExecute: Executor = asker.deps.execute,
): Promise<EvalReport> {
  const gold = new Map<string, ExecuteResult>();
  const results: CaseResult[] = [];
  await asker.schema();
  for (const c of cases) {
    const q = c.question;
    const answer = await asker.ask(c.text, { excludeQuestions: [q.question, ...q.paraphrases], exclude: new Set([q.id]) });
    const result: CaseResult = {
      id: c.id,
      text: c.text,
      tags: c.tags,
      answerable: q.answerable,
      status: answer.status,
      translator: answer.translator,
      sparql: answer.sparql,
      match: false,
      f1: 0,
      valid: answer.sparql === null ? null : answer.status !== 'error' && answer.refusal !== 'unsafe-query',
      correctRefusal: null,
      latencyMs: answer.timings.totalMs,
      goldRows: 0,
      rows: answer.rows.length,
    };
    if (answer.refusal !== undefined) result.refusal = answer.refusal;
    if (answer.template !== undefined) result.template = answer.template;
    if (q.answerable) {
      let g = gold.get(q.id);
      if (g === undefined) {
        g = await goldExecute(GOLD_PREFIXES + q.gold!, { timeoutMs: asker.deps.timeoutMs });
        gold.set(q.id, g);
      }
      result.goldRows = g.rows.length;
      if (answer.status === 'answered' || answer.status === 'no-data') {
        const cmp = compareAnswers(g, { vars: answer.vars, rows: answer.rows.map((r) => r.terms), sources: [] });
        result.match = cmp.match;
        result.f1 = cmp.f1;
        if (!cmp.match) result.note = cmp.note;
      } else {
        result.note = answer.message;
      }
    } else {
      result.correctRefusal = answer.status === 'refused' || answer.status === 'no-data';
      if (!result.correctRefusal) result.note = `expected ${q.expect}, got ${answer.rows.length} rows`;
    }
    results.push(result);
  }
  return summarize(results, skipped);
}

function summarize(cases: CaseResult[], skipped: EvalReport['skipped']): EvalReport {
  const answerable = cases.filter((c) => c.answerable);
  const unanswerable = cases.filter((c) => !c.answerable);
  const withQuery = cases.filter((c) => c.valid !== null);
  const latencies = cases.map((c) => c.latencyMs).sort((a, b) => a - b);
  const tags = [...new Set(cases.flatMap((c) => c.tags))].sort();
  return {
    cases,
    skipped,
    answerable: answerable.length,
    executionAccuracy: ratio(answerable.filter((c) => c.match).length, answerable.length),
    meanF1: answerable.length === 0 ? 0 : answerable.reduce((n, c) => n + c.f1, 0) / answerable.length,
    validity: ratio(withQuery.filter((c) => c.valid).length, withQuery.length),
    unanswerable: unanswerable.length,
    correctRefusals: ratio(unanswerable.filter((c) => c.correctRefusal).length, unanswerable.length),
    falseRefusals: answerable.filter((c) => c.status === 'refused').length,
    latencyP50: percentile(latencies, 0.5),
    latencyP90: percentile(latencies, 0.9),
    tags: tags.map((tag) => {
      const inTag = cases.filter((c) => c.tags.includes(tag));
      const a = inTag.filter((c) => c.answerable);
      const u = inTag.filter((c) => !c.answerable);
      return {
        tag,
        answerable: a.length,
        match: a.filter((c) => c.match).length,
        f1: a.length === 0 ? 0 : a.reduce((n, c) => n + c.f1, 0) / a.length,
        unanswerable: u.length,
        refused: u.filter((c) => c.correctRefusal).length,
      };
    }),
  };
}

function ratio(n: number, d: number): number {
  return d === 0 ? 1 : n / d;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

// ---------------------------------------------------------------------------------------------------------------

/** A value as compared: IRIs and strings as they are, numbers in one canonical form. */
export function valueKey(t: Row[string] | undefined): string {
  if (t === undefined) return '';
  if (t.type === 'literal' && t.datatype !== undefined && /#(integer|decimal|double|float|long|int)$/.test(t.datatype)) return String(Number(t.value));
  return t.value;
}

/**
 * Compares a generated answer with the gold one as sets of tuples over the gold columns. Each gold column is
 * aligned with the generated column whose values overlap it most (generated queries may name columns differently
 * and carry more of them).
 */
export function compareAnswers(gold: ExecuteResult, generated: ExecuteResult): { match: boolean; f1: number; note?: string } {
  const goldVars = gold.vars.length > 0 ? gold.vars : Object.keys(gold.rows[0] ?? {});
  const genVars = generated.vars.length > 0 ? generated.vars : Object.keys(generated.rows[0] ?? {});
  const values = (rows: Row[], v: string) => new Set(rows.map((r) => valueKey(r[v])));
  const used = new Set<string>();
  const mapping: string[] = [];
  for (const g of goldVars) {
    const gv = values(gold.rows, g);
    let best: { v: string; score: number } | null = null;
    for (const c of genVars) {
      if (used.has(c)) continue;
      const cv = values(generated.rows, c);
      const inter = [...gv].filter((x) => cv.has(x)).length;
      const score = inter / (gv.size + cv.size - inter || 1) + (c === g ? 1e-6 : 0);
      if (best === null || score > best.score) best = { v: c, score };
    }
    if (best === null) return { match: false, f1: 0, note: `the answer has no column for ${g}` };
    used.add(best.v);
    mapping.push(best.v);
  }
  const goldSet = new Set(gold.rows.map((r) => goldVars.map((v) => valueKey(r[v])).join('\u0001')));
  const genSet = new Set(generated.rows.map((r) => mapping.map((v) => valueKey(r[v])).join('\u0001')));
  const inter = [...goldSet].filter((x) => genSet.has(x)).length;
  const precision = genSet.size === 0 ? (goldSet.size === 0 ? 1 : 0) : inter / genSet.size;
  const recall = goldSet.size === 0 ? 1 : inter / goldSet.size;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  const match = inter === goldSet.size && inter === genSet.size;
  return match ? { match, f1 } : { match, f1, note: `gold ${goldSet.size} tuples, answer ${genSet.size}, shared ${inter} (columns ${goldVars.map((g, i) => `${g}~${mapping[i]}`).join(', ')})` };
}

/** The report as text: totals, the targets, a table per tag, and the cases that failed. */
export function formatReport(r: EvalReport, targets = { accuracy: 0.85, refusals: 0.9, p50: 100 }): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const lines = [
    `cases: ${r.cases.length} (${r.answerable} answerable, ${r.unanswerable} unanswerable); skipped questions: ${r.skipped.length}`,
    `execution accuracy: ${pct(r.executionAccuracy)} (target ${pct(targets.accuracy)})   mean set F1: ${r.meanF1.toFixed(3)}`,
    `valid queries: ${pct(r.validity)}   correct refusals: ${pct(r.correctRefusals)} (target ${pct(targets.refusals)})   false refusals: ${r.falseRefusals}`,
    `latency p50: ${r.latencyP50.toFixed(1)} ms (target < ${targets.p50} ms)   p90: ${r.latencyP90.toFixed(1)} ms`,
    '',
    `${'tag'.padEnd(16)} ${'answerable'.padStart(10)} ${'exec acc'.padStart(9)} ${'F1'.padStart(6)} ${'unansw.'.padStart(8)} ${'refused'.padStart(8)}`,
  ];
  for (const t of r.tags) {
    lines.push(
      `${t.tag.padEnd(16)} ${String(t.answerable).padStart(10)} ${(t.answerable ? pct(t.match / t.answerable) : '-').padStart(9)} ${(t.answerable ? t.f1.toFixed(2) : '-').padStart(6)} ${String(t.unanswerable).padStart(8)} ${(t.unanswerable ? pct(t.refused / t.unanswerable) : '-').padStart(8)}`,
    );
  }
  const failed = r.cases.filter((c) => (c.answerable && !c.match) || (!c.answerable && !c.correctRefusal));
  if (failed.length > 0) {
    lines.push('', 'failed:');
    for (const c of failed) lines.push(`  ${c.id}: "${c.text}" -> ${c.status}${c.template ? ` (${c.template})` : ''}: ${c.note ?? ''}`);
  }
  for (const s of r.skipped) lines.push(`skipped ${s.id}: ${s.reason}`);
  return lines.join('\n');
}
