// Assembles the ask pipeline from the configuration: term index, lexicon, templates, the union-store executor over
// the archives of the data directory, and the translator (offline by default; hybrid with an LLM when configured).
import type { Config } from '../config.ts';
import { loadTermIndex } from '../terms/index.ts';
import { type Asker, createAsk } from './ask.ts';
import { loadUnionExecutor } from './executor.ts';
import { loadLexicon } from './lexicon.ts';
import { offlineTranslator } from './offline.ts';
import { loadTemplates } from './templates.ts';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { Catalogue } from './catalogue.ts';
import { loadExamples } from './examples.ts';
import { hybridTranslator } from './hybrid.ts';
import { labelOf } from './link.ts';
import { chatModelFromConfig, llmTranslator, loadLlmConfig } from './llm.ts';
import type { Executor, SourceInfo, Translator } from './types.ts';

/** Default number of rows an answer returns. */
export const ASK_LIMIT = 1000;

export type OpenAskOptions = {
  /** Archives to federate (default: every archive of the data directory). */
  archives?: string[];
  /** An executor to use instead of loading the archives (the federated executor plugs in here). */
  executor?: { execute: Executor; sources: SourceInfo[] };
  /**
   * Which translator answers: `offline` (no model), `llm` (the model only), `hybrid` (default: offline when
   * confident, else the model; with no model configured it is the offline translator).
   */
  mode?: 'offline' | 'llm' | 'hybrid';
  /** A LangChain chat model; default: the one configured by BENCHGRAPH_LLM_* variables, if any. */
  model?: BaseChatModel | null;
  /** Environment to read the LLM configuration from (default: process.env). */
  env?: Record<string, string | undefined>;
  limit?: number;
};

/** The pieces the translators share. */
export type AskParts = Awaited<ReturnType<typeof loadAskParts>>;

/** Term index, lexicon and templates, loaded from the configured folders. */
export async function loadAskParts(config: Config) {
  const terms = await loadTermIndex(config.ontologiesDir);
  const lexicon = loadLexicon(terms, { mapping: config.mappingFile, licenses: config.licensesFile, ontologiesDir: config.ontologiesDir });
  const templates = loadTemplates(config.queriesDir);
  return { terms, lexicon, templates };
}

/** The ask pipeline over the archives of `config.dataDir` (or the given executor). */
export async function openAsk(config: Config, opts: OpenAskOptions = {}): Promise<Asker> {
  const parts = await loadAskParts(config);
  const limit = Math.min(opts.limit ?? ASK_LIMIT, config.maxResultRows);
  const executor = opts.executor ?? (await loadUnionExecutor(config.dataDir, { archives: opts.archives, ontologyFiles: parts.terms.files }));
  let catalogue: Catalogue | null = null;
  const offline = offlineTranslator({
    ...parts,
    limit,
    catalogue: () => {
      if (catalogue === null) throw new Error('the catalogue is read before the first translation');
      return catalogue;
    },
  });
  const model = opts.model !== undefined ? opts.model : chatModelFromConfig(loadLlmConfig(opts.env ?? process.env));
  const mode = opts.mode ?? 'hybrid';
  if (mode === 'llm' && model === null) throw new Error('mode llm needs a chat model: set BENCHGRAPH_LLM_BASE_URL and BENCHGRAPH_LLM_MODEL');
  let schemaOf: () => ReturnType<Asker['schema']> = () => {
    throw new Error('the schema is read before the first translation');
  };
  const llm =
    model === null || mode === 'offline'
      ? null
      : llmTranslator({ model, examples: loadExamples(config.queriesDir), schema: () => schemaOf(), label: (iri) => labelOf(parts, iri), limit });
  const translator: Translator = mode === 'llm' ? llm! : mode === 'offline' ? offline : hybridTranslator(offline, llm);
  const asker = createAsk({
    ...parts,
    execute: executor.execute,
    sources: executor.sources,
    translator,
    shapesDir: config.shapesDir,
    ontologiesDir: config.ontologiesDir,
    limit,
    timeoutMs: config.queryTimeoutMs,
  });
  schemaOf = asker.schema;
  catalogue = await asker.catalogue();
  const refresh = asker.refresh;
  asker.refresh = () => {
    refresh();
    void asker.catalogue().then((c) => {
      catalogue = c;
    });
  };
  return asker;
}
