// The hybrid translator: the offline translator when it is confident, the LLM otherwise when one is configured;
// without an LLM it says what it understood and what it could not, and never guesses the rest.
import type { Reviser } from './ask.ts';
import type { Translation, Translator } from './types.ts';

export type HybridOptions = {
  /** Offline answers at or above this confidence are used without asking the LLM. */
  confident: number;
  /** Without an LLM, offline answers below this confidence become a refusal that says what was and was not understood. */
  floor: number;
};

export const HYBRID_DEFAULTS: HybridOptions = { confident: 0.7, floor: 0.5 };

export function hybridTranslator(offline: Translator, llm: (Translator & Reviser) | null, opts: HybridOptions = HYBRID_DEFAULTS): Translator & Reviser {
  return {
    name: llm === null ? 'offline' : 'hybrid',
    async translate(question, linking, translateOpts): Promise<Translation> {
      const first = await offline.translate(question, linking, translateOpts);
      if (first.kind === 'query' && first.confidence >= opts.confident) return first;
      if (llm === null) {
        if (first.kind === 'query' && first.confidence >= opts.floor) return first;
        if (first.kind === 'refusal') return first;
        const unresolved = linking.unresolved.map((u) => `'${u.phrase}'`).join(', ');
        return {
          kind: 'refusal',
          reason: 'not-understood',
          message: `Only part of the question was understood (confidence ${first.confidence}), and no LLM is configured to try the rest. Understood: ${first.explanation} Not understood: ${unresolved || 'the way the parts fit together'}.`,
          translator: 'offline',
          confidence: first.confidence,
          warnings: first.warnings,
        };
      }
      const second = await llm.translate(question, linking, translateOpts);
      const why = first.kind === 'query' ? `the offline translator was not confident (${first.confidence})` : `the offline translator could not translate it (${first.message})`;
      if (second.kind === 'query') return { ...second, warnings: [`${why}, so the LLM wrote the query`, ...second.warnings] };
      // The LLM failed too: an offline query that understood most of the question is better than nothing, said as such.
      if (first.kind === 'query' && first.confidence >= opts.floor) {
        return { ...first, warnings: [`the LLM could not improve on it: ${second.message}`, ...first.warnings], ...(second.tokens !== undefined ? { tokens: second.tokens } : {}) };
      }
      return second;
    },
    async revise(question, linking, previous, problem, translateOpts) {
      if (llm === null || previous.translator !== 'llm') return previous;
      return llm.revise(question, linking, previous, problem, translateOpts);
    },
  };
}
