// The ask pipeline: screen the question, link its terms, translate it, check the query, run it with a LIMIT and a
// time limit, and answer with the rows, where each row came from, its licence, and an honest account of the rest.
import type { TermIndex } from '../terms/index.ts';
import { QueryError } from '../store/store.ts';
import { buildCatalogue, type Catalogue, holds, PROPERTY_OF_KIND } from './catalogue.ts';
import { checkQuery } from './check.ts';
import { archiveOfIri } from './executor.ts';
import { explainQuery } from './explain.ts';
import { screenQuestion } from './guard.ts';
import type { Lexicon } from './lexicon.ts';
import { knownLabel, labelOf, linkQuestion } from './link.ts';
import { sparqlPrefixes } from './prefixes.ts';
import { buildSchema, type SchemaSummary } from './schema.ts';
import type {
  Answer,
  ExecuteResult,
  Executor,
  Linking,
  Row,
  SourceInfo,
  StudyCredit,
  TranslateOptions,
  Translation,
  Translator,
} from './types.ts';

export type AskDeps = {
  terms: TermIndex;
  lexicon: Lexicon;
  execute: Executor;
  sources: SourceInfo[];
  translator: Translator;
  /** Where the schema summary's declarations come from. */
  shapesDir: string;
  ontologiesDir: string;
  /** Most rows an answer returns (every generated query carries this LIMIT). */
  limit: number;
  /** Time limit of each query, in milliseconds. */
  timeoutMs: number;
};

/** A stage the pipeline reached, for streaming progress to a client. */
export type AskProgress =
  | { stage: 'linked'; resolved: Answer['resolved']; unresolved: Answer['unresolved'] }
  | { stage: 'translated'; translator: string; confidence: number; sparql: string | null }
  | { stage: 'checked'; ok: boolean }
  | { stage: 'executed'; rows: number };

export type AskOptions = TranslateOptions & { limit?: number; progress?: (event: AskProgress) => void };

/** A translator that can take one more round after an execution error or an empty answer (the LLM translator). */
export type Reviser = {
  revise(question: string, linking: Linking, previous: Translation & { kind: 'query' }, problem: string, opts?: TranslateOptions): Promise<Translation>;
};

export type Asker = {
  ask(question: string, opts?: AskOptions): Promise<Answer>;
  catalogue(): Promise<Catalogue>;
  schema(): Promise<SchemaSummary>;
  /** Forget the catalogue and schema (after an ingest), so the next question reads them again. */
  refresh(): void;
  deps: AskDeps;
};

const PREFIXES = sparqlPrefixes('bg');
const CREDIT_CHUNK = 400;

/** Builds the ask pipeline over an executor and a translator. */
export function createAsk(deps: AskDeps): Asker {
  let catalogue: Promise<Catalogue> | null = null;
  let schema: Promise<SchemaSummary> | null = null;
  // Built once and kept; a build that fails (a source timing out) is forgotten, so the next question tries again.
  const getCatalogue = () => {
    if (catalogue === null) {
      const built = buildCatalogue(deps.execute, deps.sources, deps.timeoutMs);
      built.catch(() => {
        if (catalogue === built) catalogue = null;
      });
      catalogue = built;
    }
    return catalogue;
  };
  const getSchema = () => {
    if (schema === null) {
      const built = buildSchema(deps.execute, { shapesDir: deps.shapesDir, ontologiesDir: deps.ontologiesDir }, deps.timeoutMs);
      built.catch(() => {
        if (schema === built) schema = null;
      });
      schema = built;
    }
    return schema;
  };
  const label = (iri: string) => labelOf(deps, iri);

  async function ask(question: string, opts: AskOptions = {}): Promise<Answer> {
    const t0 = performance.now();
    const limit = Math.min(opts.limit ?? deps.limit, deps.limit);
    const answer: Answer = {
      question,
      status: 'refused',
      message: '',
      sparql: null,
      explanation: '',
      resolved: [],
      unresolved: [],
      translator: deps.translator.name,
      confidence: 0,
      warnings: [],
      timings: { linkMs: 0, translateMs: 0, checkMs: 0, executeMs: 0, creditMs: 0, totalMs: 0 },
      limit,
      timeoutMs: deps.timeoutMs,
      vars: [],
      rows: [],
      truncated: false,
      sources: deps.sources,
      studies: [],
    };
    const done = () => {
      answer.timings.totalMs = round(performance.now() - t0);
      return answer;
    };

    const screened = screenQuestion(question, deps.lexicon);
    if (screened !== null) {
      answer.refusal = screened.reason;
      answer.message = screened.message;
      answer.explanation = screened.message;
      answer.translator = 'guard';
      answer.confidence = 1;
      return done();
    }

    let t = performance.now();
    const cat = await getCatalogue();
    const linking = linkQuestion(question, { ...deps, catalogue: cat });
    answer.resolved = [
      ...linking.terms.map((x) => ({ phrase: x.phrase, kind: x.kind, label: x.label, iris: x.iris, via: x.via })),
      ...linking.times.map((x) => ({ phrase: x.phrase, kind: 'time' as const, label: x.comparisons.map((c) => `day ${c.op} ${c.value}`).join(' and '), iris: x.relativeTo?.iris ?? [], via: 'pattern' as const })),
      ...linking.settings.map((x) => ({ phrase: x.phrase, kind: 'setting' as const, label: `${x.label} ${x.comparisons.map((c) => `${c.op} ${c.value} ${x.unit}`).join(' and ')}`, iris: [], via: 'pattern' as const })),
    ];
    answer.unresolved = linking.unresolved.map((u) => ({ phrase: u.phrase, reason: u.reason }));
    for (const x of linking.terms) if (x.note !== undefined) answer.warnings.push(x.note);
    answer.timings.linkMs = round(performance.now() - t);
    opts.progress?.({ stage: 'linked', resolved: answer.resolved, unresolved: answer.unresolved });

    t = performance.now();
    let translation = await deps.translator.translate(question, linking, opts);
    answer.timings.translateMs = round(performance.now() - t);
    applyTranslation(answer, translation);
    opts.progress?.({ stage: 'translated', translator: translation.translator, confidence: translation.confidence, sparql: translation.kind === 'query' ? translation.sparql : null });
    if (translation.kind === 'refusal') {
      answer.refusal = translation.reason;
      answer.message = translation.message;
      answer.explanation = translation.message;
      return done();
    }

    t = performance.now();
    const schemaSummary = await getSchema();
    let checked = checkQuery(translation.sparql, schemaSummary, { limit });
    answer.timings.checkMs = round(performance.now() - t);
    opts.progress?.({ stage: 'checked', ok: checked.ok });
    if (!checked.ok) {
      answer.status = 'refused';
      answer.refusal = 'unsafe-query';
      answer.sparql = translation.sparql;
      answer.message = `The ${translation.translator} translator produced a query that failed its checks, so it was not run: ${checked.errors.join(' ')}`;
      return done();
    }

    t = performance.now();
    let result: ExecuteResult | null = null;
    let failure: string | null = null;
    try {
      result = await deps.execute(checked.sparql, { timeoutMs: deps.timeoutMs, signal: opts.signal });
    } catch (error) {
      if (!(error instanceof QueryError)) throw error;
      failure = error.message;
    }
    // The LLM translator gets one more round after an execution error or an empty answer.
    const reviser = deps.translator as Partial<Reviser>;
    if ((failure !== null || result?.rows.length === 0) && reviser.revise !== undefined && translation.translator !== 'offline') {
      const problem = failure !== null ? `Running the query failed: ${failure}` : 'The query ran but returned no rows.';
      const second = await reviser.revise(question, linking, translation, problem, opts);
      if (second.kind === 'query') {
        const checked2 = checkQuery(second.sparql, schemaSummary, { limit });
        if (checked2.ok) {
          try {
            const r2 = await deps.execute(checked2.sparql, { timeoutMs: deps.timeoutMs, signal: opts.signal });
            if (r2.rows.length > 0 || failure !== null) {
              translation = second;
              checked = checked2;
              result = r2;
              failure = null;
              applyTranslation(answer, second);
            }
          } catch (error) {
            if (!(error instanceof QueryError)) throw error;
          }
        }
      }
    }
    // Archives that describe whole studies have no sessions: the offline translator's study-level question.
    if (result !== null && result.rows.length === 0 && translation.kind === 'query' && translation.fallback !== undefined) {
      const fb = translation.fallback;
      const checkedFallback = checkQuery(fb.sparql, schemaSummary, { limit });
      if (checkedFallback.ok) {
        let r: ExecuteResult | null = null;
        try {
          r = await deps.execute(checkedFallback.sparql, { timeoutMs: deps.timeoutMs, signal: opts.signal });
        } catch (error) {
          if (!(error instanceof QueryError)) throw error;
          // The answer stays the (empty) answer of the main query; say why the wider one is missing.
          answer.warnings.push(`The study-level query could not be run: ${error.message}`);
        }
        if (r !== null && r.rows.length > 0) {
          result = r;
          checked = checkedFallback;
          answer.explanation = fb.explanation;
          answer.template = fb.template;
          answer.warnings.push(fb.note);
        }
      }
    }
    answer.timings.executeMs = round(performance.now() - t);
    opts.progress?.({ stage: 'executed', rows: result?.rows.length ?? 0 });
    answer.sparql = checked.sparql;
    answer.warnings.push(...checked.warnings);
    if (answer.explanation === '') answer.explanation = explainQuery(checked.sparql, label);
    if (failure !== null || result === null) {
      answer.status = 'error';
      answer.message = `The query could not be run: ${failure}`;
      return done();
    }

    t = performance.now();
    answer.vars = result.vars;
    answer.warnings.push(...(result.warnings ?? []));
    answer.truncated = result.rows.length >= limit;
    if (answer.truncated) answer.warnings.push(`Only the first ${limit} rows are shown; the answer has more.`);
    const credited = await credit(result, cat);
    answer.rows = result.rows.map((row, i) => ({
      values: displayValues(row, (iri) => knownLabel(deps, iri)),
      terms: row,
      archive: credited.rows[i]!.archive,
      license: credited.rows[i]!.license,
      study: credited.rows[i]!.study,
    }));
    answer.studies = credited.studies;
    answer.sources = deps.sources.filter((s) => result!.sources.includes(s.name));
    answer.timings.creditMs = round(performance.now() - t);

    if (result.rows.length === 0 && result.boolean === undefined) {
      answer.status = 'no-data';
      answer.message = noDataMessage(linking, cat, deps, translation);
    } else {
      answer.status = 'answered';
      const archives = [...new Set(answer.rows.map((r) => r.archive).filter((a): a is string => a !== null))];
      answer.message =
        result.boolean !== undefined
          ? `The answer is ${result.boolean ? 'yes' : 'no'}.`
          : `${result.rows.length}${answer.truncated ? '+' : ''} row${result.rows.length === 1 ? '' : 's'}${archives.length > 0 ? ` from ${archives.join(', ')}` : ''}.`;
    }
    return done();
  }

  /** The archive, study and licence of each row: from the executor's row sources and the records' studies. */
  async function credit(result: ExecuteResult, cat: Catalogue) {
    const studyByIri = new Map(cat.studies.map((s) => [s.iri, s]));
    const records = new Set<string>();
    for (const row of result.rows) for (const v of Object.values(row)) if (v.type === 'uri' && archiveOfIri(v.value) !== null) records.add(v.value.replace(/#.*$/, ''));
    const studyOf = new Map<string, string>();
    for (const iri of records) if (studyByIri.has(iri)) studyOf.set(iri, iri);
    const lookup = [...records].filter((r) => !studyOf.has(r));
    for (let i = 0; i < lookup.length; i += CREDIT_CHUNK) {
      const chunk = lookup.slice(i, i + CREDIT_CHUNK);
      const q = `${PREFIXES}SELECT ?r ?study WHERE { VALUES ?r { ${chunk.map((r) => `<${r}>`).join(' ')} } ?r bg:inStudy ?study } LIMIT ${CREDIT_CHUNK * 4}`;
      const r = await deps.execute(q, { timeoutMs: deps.timeoutMs });
      for (const b of r.rows) studyOf.set(b.r!.value, b.study!.value);
    }
    const used = new Set<string>();
    const rows = result.rows.map((row, i) => {
      const fromExecutor = result.rowSources?.[i] ?? [];
      const studies = new Set<string>();
      for (const v of Object.values(row)) {
        if (v.type !== 'uri') continue;
        const s = studyOf.get(v.value.replace(/#.*$/, ''));
        if (s !== undefined) studies.add(s);
      }
      const archive = fromExecutor[0] ?? (studies.size > 0 ? archiveOfIri([...studies][0]!) : null) ?? (typeof row.archive?.value === 'string' && cat.sources.some((s) => s.name === row.archive!.value) ? row.archive.value : null);
      let study: StudyCredit | undefined = studies.size === 1 ? studyByIri.get([...studies][0]!) : undefined;
      // A row of one archive whose studies share one licence (counts per archive) takes that licence.
      let license = study?.license ?? null;
      if (study === undefined && archive !== null) {
        const ofArchive = cat.studies.filter((s) => s.archive === archive);
        const licenses = [...new Set(ofArchive.map((s) => s.license).filter((l): l is string => l !== undefined))];
        if (ofArchive.length === 1) study = ofArchive[0];
        license = licenses.length === 1 ? licenses[0]! : (cat.sources.find((s) => s.name === archive)?.license ?? (licenses.length > 1 ? licenses.join(' | ') : null));
      }
      if (study !== undefined) used.add(study.iri);
      else for (const s of studies) used.add(s);
      return { archive, license, study: study?.iri ?? null };
    });
    // With no row tied to a study (e.g. counts over all archives), credit every study of the archives that answered.
    if (used.size === 0 && result.rows.length > 0) {
      const archives = new Set(rows.map((r) => r.archive).filter((a): a is string => a !== null));
      for (const s of cat.studies) if (archives.size === 0 || (s.archive !== null && archives.has(s.archive))) used.add(s.iri);
    }
    return { rows, studies: cat.studies.filter((s) => used.has(s.iri)) };
  }

  return {
    ask,
    catalogue: getCatalogue,
    schema: getSchema,
    refresh() {
      catalogue = null;
      schema = null;
    },
    deps,
  };
}

function applyTranslation(answer: Answer, t: Translation): void {
  answer.translator = t.translator;
  answer.confidence = t.confidence;
  answer.warnings.push(...t.warnings.filter((w) => !answer.warnings.includes(w)));
  if (t.tokens !== undefined) answer.tokens = t.tokens;
  if (t.kind === 'query') {
    answer.sparql = t.sparql;
    answer.explanation = t.explanation;
    if (t.template !== undefined) answer.template = t.template;
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

const NUMERIC = /#(integer|decimal|double|float|long|int|short|nonNegativeInteger|positiveInteger)$/;

/** Values for people: labels for terms, numbers as numbers, DOIs decoded; record IRIs stay IRIs. */
export function displayValues(row: Row, label: (iri: string) => string | null): Record<string, string | number | boolean | null> {
  const out: Record<string, string | number | boolean | null> = {};
  for (const [k, v] of Object.entries(row)) {
    if (v.type === 'uri') {
      if (archiveOfIri(v.value) !== null) out[k] = v.value;
      else if (v.value.startsWith('https://doi.org/')) out[k] = decodeURIComponent(v.value);
      else out[k] = label(v.value) ?? v.value;
    } else if (v.type === 'literal') {
      if (v.datatype !== undefined && NUMERIC.test(v.datatype)) out[k] = Number(v.value);
      else if (v.datatype?.endsWith('#boolean')) out[k] = v.value === 'true';
      else out[k] = v.value;
    } else out[k] = v.type === 'bnode' ? `_:${v.value}` : null;
  }
  return out;
}

/** Why nothing came back: the linked terms no archive holds, or the conditions that do not meet. */
function noDataMessage(linking: Linking, cat: Catalogue, deps: AskDeps, t: Translation & { kind: 'query' }): string {
  const absent: string[] = [];
  for (const x of linking.terms) {
    if (x.iris.length === 0) {
      if (x.kind === 'archive' && !cat.sources.some((s) => s.name === x.value)) absent.push(`the archive '${x.value}' (not among ${cat.sources.map((s) => s.name).join(', ')})`);
      continue;
    }
    const property = PROPERTY_OF_KIND[x.kind];
    if (property === undefined || x.kind === 'status') continue;
    if (!x.iris.some((iri) => holds(cat, deps.terms, property, iri))) absent.push(`${x.label} (${x.kind})`);
  }
  if (absent.length > 0) return `No data: no archive queried holds ${absent.join(', ')}. Nothing was invented; the query and its explanation show what was asked.`;
  return `No rows match all the conditions together. ${t.explanation}`;
}
