// Screens a question before any translator sees it: requests to change data are refused (the system is
// read-only), and questions about the world rather than the archives are refused as out of scope.
import { tokenize } from '../terms/normalize.ts';
import type { Lexicon } from './lexicon.ts';
import type { RefusalReason } from './types.ts';

export type Screening = { reason: RefusalReason; message: string } | null;

// An imperative or a request: the modifying verb opens the sentence, or follows "please", "can you", "I want to"...
const REQUEST_LEAD =
  /^(?:(?:hey|ok|okay|now|then|also|and|so|first|next|finally)[,\s]+)*(?:(?:please|pls|plz)\s+|kindly\s+|(?:can|could|would|will)\s+(?:you|we|i)\s+(?:(?:please|pls)\s+)?|i\s+(?:want|need|would like|'d like)\s+(?:you\s+)?to\s+|let'?s\s+|go\s+(?:ahead\s+)?and\s+|you\s+(?:must|should|will)\s+|(?:help\s+me|time\s+to)\s+)?/i;
// SPARQL Update keywords written out, whatever the phrasing.
const UPDATE_SYNTAX = /\b(?:INSERT\s+DATA|DELETE\s+DATA|DELETE\s+WHERE|DROP\s+(?:SILENT\s+)?(?:GRAPH|ALL|DEFAULT|NAMED)|CLEAR\s+(?:SILENT\s+)?(?:GRAPH|ALL|DEFAULT|NAMED)|LOAD\s+<|CREATE\s+GRAPH|COPY\s+(?:GRAPH|DEFAULT)|MOVE\s+(?:GRAPH|DEFAULT)|ADD\s+(?:GRAPH|DEFAULT))\b/i;

/** Refuses modification requests and out-of-scope questions; null when the question may go on. */
export function screenQuestion(question: string, lexicon: Lexicon): Screening {
  const sentences = question
    .split(/(?<=[.!?;:])\s+|\n+|,\s*(?=(?:and\s+)?(?:then\s+)?(?:please\s+)?[a-z]+\s)/i)
    .map((s) => s.trim())
    .filter(Boolean);
  if (UPDATE_SYNTAX.test(question)) return readOnly();
  for (const s of sentences) {
    const lead = REQUEST_LEAD.exec(s)?.[0] ?? '';
    const verb = /^[a-z]+/i.exec(s.slice(lead.length))?.[0]?.toLowerCase();
    if (verb !== undefined && lexicon.modify.has(verb) && !asksForAReport(s.slice(lead.length + verb.length))) return readOnly();
  }
  const words = tokenize(question).map((t) => t.norm);
  const text = ` ${words.join(' ')} `;
  const opinion = lexicon.opinion.find((p) => text.includes(` ${p} `));
  if (opinion !== undefined) {
    return {
      reason: 'out-of-scope',
      message:
        `This asks for an opinion or advice ('${opinion}'), which the archives cannot give: they record what was done, not what is best. ` +
        'Ask what data exists instead, e.g. "Which methods were used to image capillaries?"',
    };
  }
  const outOfScope = lexicon.outOfScope.find((p) => text.includes(` ${p} `));
  const asksForData = words.some((w) => lexicon.dataWords.has(w));
  if (outOfScope !== undefined && !asksForData) {
    return {
      reason: 'out-of-scope',
      message:
        `This asks about '${outOfScope}', which the archives cannot answer: they hold metadata about experiments (subjects, ` +
        'sessions, methods, brain regions, files, licences), not medical, general or personal advice.',
    };
  }
  return null;
}

function readOnly(): NonNullable<Screening> {
  return {
    reason: 'read-only',
    message:
      'benchgraph answers questions and never changes data: archives change only through `benchgraph ingest` by their curators. ' +
      'Nothing was run. Ask a question instead, e.g. "What data has never been published?"',
  };
}

/** "Create a list of…", "write me a table of…": verbs of making an answer, not of changing data. */
function asksForAReport(rest: string): boolean {
  return /^\s+(?:me\s+|us\s+)?(?:a|an|the|my)?\s*(?:new\s+)?(?:list|table|summary|overview|report|csv|export|breakdown|query|count|chart|plot|crate|ro-crate|file listing)\b/i.test(rest);
}
