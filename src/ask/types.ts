// Plain data shared by the ask stages: linked terms, translations, the executor contract and the answer.

/** The kinds of thing a phrase of a question can name. */
export type LinkKind =
  | 'taxon'
  | 'anatomy'
  | 'method'
  | 'intervention'
  | 'sex'
  | 'laterality'
  | 'format'
  | 'status'
  | 'license'
  | 'archive'
  | 'instrument'
  | 'indicator'
  | 'strain'
  | 'keyword'
  | 'software'
  | 'objective'
  | 'identifier'
  | 'time'
  | 'setting';

/** A phrase of the question recognised as a term: phrase -> label -> IRI(s), with where it was found. */
export type LinkedTerm = {
  kind: LinkKind;
  phrase: string;
  label: string;
  /** One IRI for an ontology term; several when a phrase stands for a group (e.g. licences allowing commercial use). */
  iris: string[];
  /** Literal value for kinds matched against text in the data (archive names, indicators, strains, ids). */
  value?: string;
  start: number;
  end: number;
  /** How it was found: term index, the ask lexicon, a data value, or a pattern (time, settings). */
  via: 'terms' | 'lexicon' | 'data' | 'pattern';
  note?: string;
};

/**
 * A condition: `day > 7`, `excitationWavelength >= 900` (canonical units: day, nm, um, Hz, mW, byte), or on
 * calendar dates, `date >= "2024-03-01"` (ISO 8601 text, compared as text so dates and date-times mix).
 */
export type Comparison = { op: '>' | '>=' | '<' | '<=' | '='; value: number | string };

/** A calendar window ("in March 2024", "before 2024-06-01"), for the date a session or intervention happened. */
export type DateWindow = { comparisons: Comparison[]; phrase: string; start: number; end: number };

/** A time window relative to an intervention: day offsets, with the intervention named or not. */
export type TimeWindow = { comparisons: Comparison[]; relativeTo?: LinkedTerm; phrase: string; start: number; end: number };

/** A settings condition: `frameRate > 30` in the property's canonical unit. */
export type SettingCondition = { property: string; label: string; unit: string; comparisons: Comparison[]; phrase: string; start: number; end: number };

/** Everything entity linking found in one question. */
export type Linking = {
  terms: LinkedTerm[];
  times: TimeWindow[];
  dates: DateWindow[];
  settings: SettingCondition[];
  /** Phrases that look like names (capitalised, quoted, or content words) and matched nothing. */
  unresolved: { phrase: string; start: number; end: number; reason: string; critical: boolean }[];
};

/** Why a question got no query. */
export type RefusalReason = 'read-only' | 'out-of-scope' | 'not-understood' | 'unsafe-query';

/** What a translator produced for one question: a query to run, or a refusal with the reason in plain words. */
export type Translation =
  | {
      kind: 'query';
      sparql: string;
      translator: string;
      confidence: number;
      explanation: string;
      /** Name of the template or example the query came from, if any. */
      template?: string;
      warnings: string[];
      tokens?: { input: number; output: number };
      /** Repair rounds used by an LLM translator. */
      rounds?: number;
      /**
       * A study-level query to run when this one finds nothing: archives that describe whole studies (the public
       * image archives) have no sessions, but their studies answer questions about taxa and methods.
       */
      fallback?: { sparql: string; explanation: string; template: string; note: string };
    }
  | {
      kind: 'refusal';
      reason: RefusalReason;
      message: string;
      translator: string;
      confidence: number;
      warnings: string[];
      tokens?: { input: number; output: number };
      rounds?: number;
    };

/** Options a translator gets per question. */
export type TranslateOptions = {
  /** Examples (by name) never to retrieve: leave-one-out evaluation excludes the question's own example. */
  exclude?: ReadonlySet<string>;
  /** Question texts whose examples must not be retrieved (the question and its paraphrases). */
  excludeQuestions?: readonly string[];
  signal?: AbortSignal;
};

/** Question -> SPARQL. Every implementation (offline, LLM, hybrid) shares this shape. */
export type Translator = {
  name: string;
  translate(question: string, linking: Linking, opts?: TranslateOptions): Promise<Translation>;
};

/** One bound value (SPARQL 1.1 JSON results; RDF-star triple terms arrive as literals of their N-Triples form). */
export type RowTerm =
  | { type: 'uri'; value: string }
  | { type: 'bnode'; value: string }
  | { type: 'literal'; value: string; 'xml:lang'?: string; datatype?: string };

/** One result row: variable -> term. */
export type Row = Record<string, RowTerm>;

/** What an executor returns: the rows, the sources (archive names) that answered, and where each row came from if known. */
export type ExecuteResult = {
  vars: string[];
  rows: Row[];
  /** The sources queried (archive or endpoint names). */
  sources: string[];
  /** Per row, the archives it came from, when the executor can tell (same order as rows). */
  rowSources?: string[][];
  /** ASK queries. */
  boolean?: boolean;
  /** Sources that failed or were skipped, in plain words (the answer still has the others' rows). */
  warnings?: string[];
};

export type ExecuteOptions = { timeoutMs: number; signal?: AbortSignal };

/** Runs a read-only SPARQL query over the configured sources; the federated executor plugs in here. */
export type Executor = (sparql: string, opts: ExecuteOptions) => Promise<ExecuteResult>;

/** A source the executor can reach, as the answer and the exports describe it. */
export type SourceInfo = { name: string; title: string; license?: string };

/** The licence, study and citation a row is credited to. */
export type Credit = {
  archive: string | null;
  study?: string;
  studyTitle?: string;
  license?: string;
  citation?: string;
  doi?: string;
};

/** A study of a source, with what a modeler needs to credit it. */
export type StudyCredit = {
  iri: string;
  archive: string | null;
  title?: string;
  license?: string;
  doi?: string;
  citation?: string;
  creators: string[];
};

export type AnswerStatus = 'answered' | 'no-data' | 'refused' | 'error';

/** The answer to one question, as /ask, the CLI and the LangChain tool return it. */
export type Answer = {
  question: string;
  status: AnswerStatus;
  /** One or two sentences for people: what was found, or why nothing was. */
  message: string;
  sparql: string | null;
  explanation: string;
  resolved: { phrase: string; kind: LinkKind; label: string; iris: string[]; via: LinkedTerm['via'] }[];
  unresolved: { phrase: string; reason: string }[];
  translator: string;
  confidence: number;
  template?: string;
  refusal?: RefusalReason;
  warnings: string[];
  timings: { linkMs: number; translateMs: number; checkMs: number; executeMs: number; creditMs: number; totalMs: number };
  tokens?: { input: number; output: number };
  limit: number;
  timeoutMs: number;
  vars: string[];
  rows: { values: Record<string, string | number | boolean | null>; terms: Row; archive: string | null; license: string | null; study: string | null }[];
  truncated: boolean;
  sources: SourceInfo[];
  studies: StudyCredit[];
};
