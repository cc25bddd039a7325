// The example store: every named query in queries/ (the federation's named queries and the ask templates' own
// examples), retrieved lexically for the LLM prompt, with the question's own examples left out on request.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { normalizeKey } from '../terms/normalize.ts';
import { ownQuery, parseTemplate } from './templates.ts';

export type Example = { name: string; purpose: string; asks: string[]; sparql: string; words: Set<string> };

const STOP = new Set(['the', 'a', 'an', 'of', 'in', 'on', 'for', 'and', 'or', 'with', 'to', 'is', 'are', 'which', 'what', 'show', 'me', 'all', 'there', 'any', 'from', 'by', 'do', 'does', 'that', 'their', 'have', 'has']);

/** Reads `queries/*.rq`: the first comment line is the purpose; `# ask:` lines are questions the query answers. */
export function loadExamples(dir: string): Example[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.rq'))
    .sort()
    .map((f) => {
      const file = join(dir, f);
      const text = readFileSync(file, 'utf8');
      const name = f.replace(/\.rq$/, '');
      if (f.startsWith('ask-')) {
        const t = parseTemplate(file, text);
        return example(name, t.purpose, t.asks, ownQuery(t));
      }
      // The federation's named queries open with "# purpose: …".
      const purpose = /^#\s*(?:purpose:\s*)?(.+)$/m.exec(text)?.[1]?.trim() ?? name.replace(/-/g, ' ');
      const body = text
        .split('\n')
        .filter((l) => !/^\s*#/.test(l))
        .join('\n')
        .trim();
      return example(name, purpose, [], `${body}\n`);
    });
}

function example(name: string, purpose: string, asks: string[], sparql: string): Example {
  return { name, purpose, asks, sparql, words: wordsOf([purpose, ...asks].join(' ')) };
}

function wordsOf(text: string): Set<string> {
  return new Set(
    normalizeKey(text)
      .split(' ')
      .filter((w) => w.length > 1 && !STOP.has(w)),
  );
}

/**
 * The `k` examples most similar to the question (word overlap, rarer words weigh more). Left out: examples named
 * in `exclude`, and examples whose purpose or example questions are (nearly) one of `excludeQuestions`.
 */
export function retrieveExamples(
  examples: Example[],
  question: string,
  k: number,
  opts: { exclude?: ReadonlySet<string>; excludeQuestions?: readonly string[] } = {},
): Example[] {
  const q = wordsOf(question);
  const own = (opts.excludeQuestions ?? []).map(wordsOf);
  const candidates = examples.filter((e) => !opts.exclude?.has(e.name) && !own.some((o) => [e.purpose, ...e.asks].some((t) => jaccard(o, wordsOf(t)) >= 0.6)));
  const df = new Map<string, number>();
  for (const e of candidates) for (const w of e.words) df.set(w, (df.get(w) ?? 0) + 1);
  const n = candidates.length;
  return candidates
    .map((e) => ({ e, score: [...q].reduce((s, w) => s + (e.words.has(w) ? Math.log(1 + n / (df.get(w) ?? 1)) : 0), 0) }))
    .filter((x) => x.score > 0)
    .sort((a, b) => b.score - a.score || a.e.name.localeCompare(b.e.name))
    .slice(0, k)
    .map((x) => x.e);
}

function jaccard(a: Set<string>, b: Set<string>): number {
  const inter = [...a].filter((x) => b.has(x)).length;
  return inter / (a.size + b.size - inter || 1);
}
