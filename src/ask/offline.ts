// The offline translator: builds a frame (what is asked for, under which conditions, grouped how) from the linked
// question, picks the template of queries/ask-*.rq that fits, and fills its typed slots. No model, no network.
import { prefixes } from '../namespaces.ts';
import type { TermIndex } from '../terms/index.ts';
import { tokenize } from '../terms/normalize.ts';
import type { Catalogue } from './catalogue.ts';
import type { Lexicon } from './lexicon.ts';
import { labelOf } from './link.ts';
import { type Aggregate, type Fill, instantiate, iriTerm, literalTerm, type SlotValue, type Template } from './templates.ts';
import type { Comparison, LinkedTerm, Linking, TranslateOptions, Translation, Translator } from './types.ts';

export type Intent = 'sessions' | 'count' | 'subjects' | 'files' | 'size' | 'studies' | 'both' | 'gaps' | 'before-after' | 'record';

/** What the question asks, as the offline translator understood it. */
export type Frame = {
  intent: Intent;
  slots: Map<string, SlotValue>;
  flags: Set<string>;
  group: string[];
  show: string[];
  measure?: { variable: string; name: string; aggregate?: Aggregate };
  /** "the largest file", "the five latest sessions": the order and how many rows. */
  order?: { variable: string; descending: boolean };
  limit?: number;
  /** Plain-language pieces of the explanation, one per condition. */
  conditions: string[];
  /** Interpretations worth saying ("'stroke' taken as middle cerebral artery occlusion"). */
  notes: string[];
  /** Linked terms the frame could not use. */
  dropped: { phrase: string; reason: string }[];
};

const TEMPLATE_OF: Record<Intent, string> = {
  sessions: 'ask-sessions',
  count: 'ask-count',
  subjects: 'ask-subjects',
  files: 'ask-files',
  size: 'ask-size',
  studies: 'ask-studies',
  both: 'ask-both',
  gaps: 'ask-gaps',
  'before-after': 'ask-before-after',
  record: 'ask-record',
};

/** Dimension (target word) -> the variable the templates group by. */
const DIM_VAR: Record<string, string> = {
  archive: 'archive',
  modality: 'modality',
  region: 'region',
  species: 'species',
  sex: 'sex',
  subject: 'subject',
  day: 'day',
  status: 'status',
  format: 'format',
  license: 'license',
  hemisphere: 'side',
  objective: 'objective',
  instrument: 'instrument',
  indicator: 'indicator',
  strain: 'strain',
  procedure: 'procedure',
  study: 'study',
  session: 'session',
};

const SESSION_SLOTS = [
  'method', 'region', 'regionNot', 'side', 'day', 'anchor', 'date', 'status', 'unpublished', 'format', 'indicator', 'instrument', 'objective', 'session', 'keyword', 'software', 'registeredTo',
  'excitationWavelength', 'emissionWavelength', 'frameRate', 'samplingRate', 'pixelSize', 'depth', 'fieldOfView', 'laserPower',
];
const SUBJECT_SLOTS = ['taxon', 'sex', 'strain', 'intervention', 'interventionSide', 'interventionTarget', 'ageDays', 'subject'];
const BLOOD_VESSEL = `${prefixes.obo}UBERON_0001981`;

export type OfflineDeps = { terms: TermIndex; lexicon: Lexicon; templates: Template[]; catalogue: () => Catalogue; limit: number };

/** The offline translator over the given templates. */
export function offlineTranslator(deps: OfflineDeps): Translator {
  const byName = new Map(deps.templates.map((t) => [t.name, t]));
  return {
    name: 'offline',
    async translate(question: string, linking: Linking, _opts?: TranslateOptions): Promise<Translation> {
      const frame = buildFrame(question, linking, deps);
      if (frame === null) {
        return {
          kind: 'refusal',
          reason: 'not-understood',
          message: notUnderstood(question, linking),
          translator: 'offline',
          confidence: 0,
          warnings: [],
        };
      }
      const template = byName.get(TEMPLATE_OF[frame.intent]);
      if (template === undefined) throw new Error(`offline translator: template ${TEMPLATE_OF[frame.intent]}.rq is missing from queries/`);
      for (const name of frame.slots.keys()) {
        if (!template.slots.has(name)) {
          frame.dropped.push({ phrase: name, reason: `the ${template.name} template has no '${name}' condition` });
          frame.slots.delete(name);
        }
      }
      const fill: Fill = { slots: frame.slots, flags: frame.flags, group: frame.group, show: frame.show, limit: Math.min(frame.limit ?? deps.limit, deps.limit) };
      if (frame.measure !== undefined) fill.measure = frame.measure;
      if (frame.order !== undefined) {
        fill.order = frame.order;
        fill.flags.add(`order:${frame.order.variable}`);
      }
      for (const g of frame.group) fill.flags.add(`group:${g}`);
      for (const s of frame.show) fill.flags.add(`show:${s}`);
      if (frame.measure !== undefined) fill.flags.add(`measure:${frame.measure.name}`);
      if (SESSION_SLOTS.some((s) => frame.slots.has(s) || frame.flags.has(s))) fill.flags.add('sessions');
      if (SUBJECT_SLOTS.some((s) => frame.slots.has(s))) fill.flags.add('subjects');
      if (frame.intent === 'studies') studyFlags(frame, fill);
      if (frame.intent === 'count') countFlags(frame, fill);
      const sparql = instantiate(template, fill);
      const warnings = [...frame.notes, ...frame.dropped.map((d) => `'${d.phrase}' was not used: ${d.reason}`)];
      const translation: Translation = {
        kind: 'query',
        sparql,
        translator: 'offline',
        confidence: confidence(linking, frame),
        explanation: explain(frame),
        template: template.name,
        warnings,
      };
      const fallback = studyFallback(frame, byName.get(TEMPLATE_OF.studies), deps.limit);
      if (fallback !== undefined) translation.fallback = fallback;
      return translation;
    },
  };
}

const STUDY_LEVEL = new Set(['taxon', 'method', 'archive', 'license', 'keyword']);

/**
 * For sessions and counts whose conditions are all study-level (taxon, method, archive, licence, keyword): the
 * same question over studies, which archives that describe whole studies can answer when no session matches.
 */
function studyFallback(frame: Frame, studies: Template | undefined, limit: number): Extract<Translation, { kind: 'query' }>['fallback'] {
  if (studies === undefined || (frame.intent !== 'sessions' && frame.intent !== 'count') || frame.slots.size === 0) return undefined;
  if (![...frame.slots.keys()].every((s) => STUDY_LEVEL.has(s)) || frame.flags.has('unpublished')) return undefined;
  const group = frame.group.filter((g) => ['species', 'modality', 'archive'].includes(g));
  if (frame.intent === 'count' && group.length !== frame.group.length) return undefined;
  const f: Frame = { ...frame, intent: 'studies', group, show: [], flags: new Set(), measure: undefined as never };
  delete (f as { measure?: unknown }).measure;
  const fill: Fill = { slots: frame.slots, flags: new Set(group.map((g) => `group:${g}`)), group, show: [], limit };
  studyFlags(f, fill);
  return {
    sparql: instantiate(studies, fill),
    explanation: explain(f),
    template: studies.name,
    note: 'No session matches, so the answer lists the studies that do: archives that describe whole studies (such as the public image archives) record their organisms and methods per study, not per session.',
  };
}

/**
 * Studies: a taxon and a method alone are study-level conditions, which biosamples and study components of
 * archives that describe whole studies answer too; any other session or subject condition needs one session
 * that meets them all.
 */
function studyFlags(frame: Frame, fill: Fill): void {
  const studyLevel = ['taxon', 'method'];
  const sessionJoin =
    [...SESSION_SLOTS, ...SUBJECT_SLOTS].some((s) => !studyLevel.includes(s) && (frame.slots.has(s) || frame.flags.has(s))) || frame.group.includes('region');
  if (sessionJoin) {
    fill.flags.add('sessionJoin');
    if (frame.slots.has('taxon') || frame.group.includes('species')) fill.flags.add('sessionTaxon');
  } else {
    if (frame.slots.has('method') || frame.group.includes('modality')) fill.flags.add('studyMethod');
    if (frame.slots.has('taxon') || frame.group.includes('species')) fill.flags.add('studyTaxon');
  }
}

/**
 * Counting subjects (or studies) without any session condition counts every subject (study), with or without
 * sessions: archives that describe whole studies have studies but no sessions.
 */
function countFlags(frame: Frame, fill: Fill): void {
  const sessionGroups = ['modality', 'region', 'side', 'day', 'status', 'format', 'objective', 'instrument', 'indicator', 'study'];
  const sessionSlots = SESSION_SLOTS.some((s) => frame.slots.has(s) || frame.flags.has(s));
  // Ages are the subjects' own: their average is over subjects, not over sessions.
  const subjectsOnly =
    (frame.measure?.variable === 'subject' || frame.measure?.variable === 'ageDays') &&
    !sessionSlots &&
    !frame.slots.has('license') &&
    !frame.group.some((g) => sessionGroups.includes(g) || g === 'license' || !Object.values(DIM_VAR).includes(g));
  const studiesOnly =
    frame.measure?.variable === 'study' &&
    !sessionSlots &&
    !SUBJECT_SLOTS.some((s) => frame.slots.has(s)) &&
    frame.group.every((g) => g === 'archive' || g === 'license');
  if (subjectsOnly) fill.flags.add('subjectsOnly');
  else if (studiesOnly) fill.flags.add('studiesOnly');
  else fill.flags.add('sessionsJoined');
  if (frame.slots.has('archive') || frame.group.includes('archive')) {
    fill.flags.add(subjectsOnly ? 'archiveOfSubject' : studiesOnly ? 'archiveOfStudy' : 'archiveOfSession');
  }
  if (!subjectsOnly && !studiesOnly && (frame.slots.has('license') || frame.group.includes('study') || frame.group.includes('license') || frame.measure?.variable === 'study')) {
    fill.flags.add('studyOfSession');
  }
}

function notUnderstood(question: string, linking: Linking): string {
  const found = [...linking.terms.map((t) => `'${t.phrase}' (${t.label})`), ...linking.times.map((t) => `'${t.phrase}' (a time window)`)];
  const missing = linking.unresolved.map((u) => `'${u.phrase}'${u.critical ? ' (looks like a name, but matches nothing in the archives or ontologies)' : ''}`);
  const parts = ['The question could not be turned into a query over the archives without guessing.'];
  if (found.length > 0) parts.push(`Understood: ${found.join(', ')}.`);
  if (missing.length > 0) parts.push(`Not understood: ${missing.join(', ')}.`);
  if (unhandledNegation(question, linking)) parts.push('The offline translator does not express negations ("not", "except", "without") other than unpublished data and gaps in coverage.');
  parts.push('Ask about sessions, subjects, files or studies, e.g. "Show two-photon sessions in CA1" or "How many sessions does each archive hold?"');
  return parts.join(' ');
}

// ---------------------------------------------------------------------------------------------------------------

type Words = { list: string[]; text: string; has: (phrase: string) => boolean; re: (re: RegExp) => boolean };

function wordsOf(question: string): Words {
  const list = tokenize(question).map((t) => t.norm);
  const text = ` ${list.join(' ')} `;
  const lower = question.toLowerCase();
  return { list, text, has: (p) => text.includes(` ${p} `), re: (re) => re.test(lower) };
}

/** Builds the frame, or null when nothing in the question names data the archives hold. */
export function buildFrame(question: string, linking: Linking, deps: OfflineDeps): Frame | null {
  const w = wordsOf(question);
  // Names nobody recognised: answering without them would answer another question.
  if (linking.unresolved.some((u) => u.critical)) return null;
  const ctx = { terms: deps.terms, lexicon: deps.lexicon };
  const frame: Frame = { intent: 'sessions', slots: new Map(), flags: new Set(), group: [], show: [], conditions: [], notes: [], dropped: [] };
  const byKind = (k: LinkedTerm['kind']) => linking.terms.filter((t) => t.kind === k);
  // Words inside time windows, settings and identifiers ("day 14", "frame rate") are not what is asked for;
  // "mice" stays a target although it is also a taxon.
  const spans = [...linking.times, ...linking.settings, ...linking.terms.filter((t) => t.kind !== 'taxon')].map((x) => [x.start, x.end] as const);
  const allTargets = targetsIn(question, deps.lexicon);
  const targets = allTargets.filter((t) => !spans.some(([a, b]) => t.start >= a && t.start < b));

  // Interventions that name a time window's origin are anchors, not conditions on the subject.
  const anchors = new Set(linking.times.flatMap((t) => (t.relativeTo === undefined ? [] : [t.relativeTo])));
  const methods = byKind('method').filter((t) => t.iris.length > 0);
  const interventions = byKind('intervention').filter((t) => t.iris.length > 0 && !anchors.has(t));

  // --- intent -------------------------------------------------------------------------------------------------
  const head = headTarget(question, targets);
  const askedSetting = deps.lexicon.settings.find(
    (spec) =>
      spec.property !== 'contentSize' &&
      !linking.settings.some((x) => x.property === spec.property) &&
      new RegExp(`^\\s*(?:what|which)\\s+(?:(?:were|was|are|is)\\s+)?(?:the\\s+)?(?:${spec.words.filter(askableWord).map(escape).join('|') || '$^'})s?\\b`, 'i').test(question),
  );
  const identifiers = byKind('identifier');
  // "… and how big is each?", "with how large they are": the files listed with their sizes, not a total.
  const eachSize = w.re(/\bhow (?:big|large) (?:is each|each is|they are|are they|are the files|each (?:one|file) is)\b|\bsize of each\b|\beach (?:file'?s )?size\b/);
  if (identifiers.length > 0 && w.re(/\b(tell me about|describe|what do (?:we|you) know about|details (?:of|about|for|on)|information (?:on|about)|everything (?:on|about)|metadata (?:of|for))\b/)) {
    frame.intent = 'record';
  } else if (w.re(/\bboth\s+before\s+and\s+after\b|\bbefore\s+and\s+after\b/)) {
    frame.intent = 'before-after';
  } else if ((w.has('both') || w.re(/\bas well as\b|\band also\b/)) && methods.length >= 2) {
    frame.intent = 'both';
  } else if (methods.length >= 1 && w.re(/\b(gaps?|missing|lacks?|lacking|without|no|never)\b/) && w.re(/\b(combinations?|regions?|areas?|organisms?|species|gaps?)\b/) && !w.re(/\bhow many\b/)) {
    frame.intent = 'gaps';
  } else if (!eachSize && w.re(/\b(total (?:[\w-]+ )?size|how much (?:[\w-]+ ){0,3}data|how much (?:space|storage)|how big|how large|volume of (?:the )?data|size of (?:all|the)|total (?:volume|amount)|disk space|storage|in bytes|how many (?:bytes|gigabytes|terabytes|gb|tb))\b/)) {
    frame.intent = 'size';
  } else if (w.re(/\b(cite|citing|credit|acknowledge|citations?|who (?:should|do|must|to) i|whom|authors?|doi|dois|references?)\b/)) {
    frame.intent = 'studies';
  } else if (w.re(/\b(licen[cs]es?|licen[cs]ed|commercial(?:ly)?|reuse|re-use|can i use|allowed to use|may i use|terms of use)\b/) || byKind('license').length > 0) {
    frame.intent = 'studies';
  } else if (w.re(/\b(how many|number of|count|counts|how often|breakdown|break down|broken down|tally|distribution of)\b/)) {
    frame.intent = 'count';
  } else if (askedSetting !== undefined && !allTargets.some((t) => t.target === 'session')) {
    // "What laser powers were used in CA1?": the values, counted. With sessions named, their list shows it.
    frame.intent = 'count';
    frame.group.push(askedSetting.property);
  } else if (head === 'file' || (byKind('format').length > 0 && head !== 'session' && head !== 'subject' && head !== 'study')) {
    frame.intent = 'files';
  } else if (head === 'study') {
    frame.intent = 'studies';
  } else if (head === 'subject' && ((headAsked(targets) && !w.re(/(?:\band|,)\s+(?:what|which|show|list|give)\b/)) || !allTargets.some((t) => t.target === 'session' || t.target === 'file' || (t.dataWord && t.target === undefined)))) {
    frame.intent = 'subjects';
  } else if (head !== undefined && DIM_VAR[head] !== undefined && head !== 'subject' && head !== 'study' && head !== 'session') {
    // "Which organisms…", "what objectives…", "which archives…": the distinct values, counted.
    frame.intent = 'count';
    frame.group.push(DIM_VAR[head]!);
  }

  // "electrophysiology sessions per lab", "sessions per timepoint and modality": a breakdown is a count.
  if (frame.intent === 'sessions' && targets.some((t) => t.grouping && t.target !== undefined && t.target !== 'session' && DIM_VAR[t.target] !== undefined) && !w.re(/\b(?:list|show|give)\b/)) {
    frame.intent = 'count';
  }
  // "How many days after the window was the widefield mapping done?": the days themselves.
  if (frame.intent === 'count' && /\bhow many (?:days|weeks)\b/i.test(question) && linking.times.length > 0 && !frame.group.includes('day')) frame.group.push('day');
  // "Which visual areas…", "what hippocampal subfields…": a region named and asked for at once is listed, counted.
  const askedRegion = byKind('anatomy').some(
    (t) =>
      /\b(?:which|what)\s+$/i.test(question.slice(Math.max(0, t.start - 7), t.start)) &&
      (new RegExp(`\\b(?:${REGION_WORDS})$`, 'i').test(t.phrase) || new RegExp(`^\\s+(?:${REGION_WORDS})\\b`, 'i').test(question.slice(t.end))),
  );
  if (askedRegion && (frame.intent === 'sessions' || frame.intent === 'subjects')) {
    frame.intent = 'count';
    frame.group.push('region');
  }
  // "DG recordings exist for which organisms?", "ephys in mice? from which regions?": a dimension asked for later
  // in the question is what it lists.
  if (frame.intent === 'sessions' || (frame.intent === 'subjects' && !headAsked(targets))) {
    const asked = targets.find((t) => t.asked && t.target !== undefined && !['subject', 'study', 'session', 'file'].includes(t.target) && DIM_VAR[t.target] !== undefined);
    if (asked !== undefined) {
      frame.intent = 'count';
      frame.group.push(DIM_VAR[asked.target!]!);
    }
  }

  // "the maximum laser power", "the average file size per format", "the last post-stroke day each mouse was imaged":
  // one value per group, not a list or a count.
  const aggregate = ['sessions', 'count', 'size', 'subjects', 'files'].includes(frame.intent) ? aggregateIn(question, deps.lexicon, linking) : undefined;
  if (aggregate !== undefined) {
    const name = `${aggregate.aggregate.toLowerCase()}${aggregate.property[0]!.toUpperCase()}${aggregate.property.slice(1)}`;
    if (aggregate.property === 'contentSize') {
      frame.intent = 'size';
      frame.measure = { variable: 'size', name, aggregate: aggregate.aggregate };
    } else {
      frame.intent = 'count';
      frame.group = frame.group.filter((g) => g !== aggregate.property);
      frame.measure = { variable: aggregate.property, name, aggregate: aggregate.aggregate };
      frame.flags.add(`value:${aggregate.property}`);
    }
    frame.conditions.unshift(`the ${AGGREGATE_WORD[aggregate.aggregate]} ${aggregate.label}`);
  } else if (askedSetting !== undefined && frame.intent === 'sessions') frame.show.push(askedSetting.property);

  // --- grouping and measures (counts, sizes, studies) -----------------------------------------------------------
  if (frame.intent === 'count' || frame.intent === 'size' || frame.intent === 'studies') {
    for (const t of targets) {
      if (!t.grouping || t.target === undefined) continue;
      const v = DIM_VAR[t.target];
      if (v !== undefined && !frame.group.includes(v)) frame.group.push(v);
    }
    // "which … and at what pixel size", "and on which organisms": further dimensions asked with a wh-word.
    for (const t of targets) {
      if (!t.asked || t.target === undefined) continue;
      const v = DIM_VAR[t.target];
      if (v !== undefined && !frame.group.includes(v) && !(frame.intent === 'studies' && (v === 'study' || v === 'license'))) frame.group.push(v);
    }
    // Settings named without a value ("at what pixel size", "objectives and pixel sizes", "by frame rate") are dimensions.
    if (frame.intent === 'count') {
      for (const spec of deps.lexicon.settings) {
        if (spec.property === 'contentSize' || spec.property === 'ageDays' || linking.settings.some((s) => s.property === spec.property)) continue;
        const named = new RegExp(`\\b(?:what|which|by|per|each|and|with|their|its)\\s+(?:\\w+\\s+)?(?:${spec.words.filter((x) => x.includes(' ')).map(escape).join('|') || '$^'})s?\\b`, 'i');
        if (named.test(question) && !frame.group.includes(spec.property)) frame.group.push(spec.property);
      }
    }
  }
  // "In which hemisphere were the occlusions done?": with an intervention named, the side is the intervention's.
  if (frame.group.includes('side') && byKind('intervention').length > 0) frame.group = frame.group.map((g) => (g === 'side' ? 'interventionSide' : g));
  if (frame.intent === 'count' && aggregate === undefined) {
    const counted = measureOf(question, head);
    frame.measure = counted;
    // "How many sessions per mouse": the grouping target is not what is counted.
    frame.group = frame.group.filter((g) => !(g === 'subject' && counted.variable === 'subject'));
    // "Which lab holds the most unpublished sessions?": the group with the largest count.
    const most = /\b(?<!at\s)(?:the\s+)?(most|fewest|least)\b(?!\s+recent)/i.exec(question);
    if (most !== null && frame.group.length > 0 && !/\b(?:how many|number of)\b/i.test(question.slice(0, most.index))) {
      frame.order = { variable: counted.name, descending: most[1]!.toLowerCase() === 'most' };
      frame.limit = 1;
      frame.conditions.push(`the ${most[1]!.toLowerCase() === 'most' ? 'largest' : 'smallest'} count only`);
    }
  }
  if (frame.intent === 'studies') frame.group = frame.group.filter((g) => ['species', 'modality', 'region', 'archive'].includes(g));
  if (frame.intent === 'size') frame.group = frame.group.filter((g) => ['archive', 'format', 'region', 'species', 'status', 'subject', 'modality'].includes(g));

  // --- conditions ----------------------------------------------------------------------------------------------
  const setTerms = (slot: string, iris: string[]) => {
    const existing = frame.slots.get(slot)?.terms ?? [];
    const terms = [...new Set([...existing, ...iris.map(iriTerm)])];
    frame.slots.set(slot, { terms });
  };
  const labels = (iris: string[]) => iris.map((i) => labelOf(ctx, i)).join(' or ');

  const taxa = byKind('taxon');
  if (taxa.length > 0) {
    const iris = taxa.flatMap((t) => t.iris);
    setTerms('taxon', iris);
    frame.conditions.push(`of ${labels(iris)} (or a narrower taxon)`);
  }

  // Anatomy right after an intervention is its target ("a virus injection into CA1"); blood vessels next to one are
  // too ("occlusion of the middle cerebral artery").
  const targetsOfInterventions: LinkedTerm[] = [];
  // "apart from V1", "other than CA1": one region left out, the negation handled here.
  const excluded: LinkedTerm[] = [];
  const handled: [number, number][] = [];
  const regions = byKind('anatomy').filter((t) => {
    const not = EXCLUSION.exec(question.slice(0, t.start));
    if (not !== null) {
      excluded.push(t);
      handled.push([not.index, t.start]);
      return false;
    }
    const after = byKind('intervention').find((i) => i.end <= t.start && /^\s*(?:\w+\s+)?(?:into|in|to|of|over|targeting|at)\s+(?:the\s+|a\s+)?$/i.test(question.slice(i.end, t.start)));
    if (after !== undefined && !anchors.has(after)) {
      targetsOfInterventions.push(t);
      return false;
    }
    const vessel = t.iris.some((i) => i === BLOOD_VESSEL || deps.terms.ancestors(i).includes(BLOOD_VESSEL));
    if (vessel && byKind('intervention').length > 0) {
      frame.dropped.push({ phrase: t.phrase, reason: 'read as the target of the intervention, not as the region recorded' });
      return false;
    }
    return true;
  });
  if (targetsOfInterventions.length > 0) {
    const iris = targetsOfInterventions.flatMap((t) => t.iris);
    setTerms('interventionTarget', iris);
    frame.conditions.push(`where the intervention targeted ${labels(iris)} or a part of it`);
  }
  if (regions.length > 0) {
    const iris = regions.flatMap((t) => t.iris);
    setTerms('region', iris);
    frame.conditions.push(`in ${labels(iris)} or any of its parts`);
  }
  // One region left out is a filter; several would need one filter each, which the templates do not have.
  if (excluded.length === 1 && excluded[0]!.iris.length === 1) {
    setTerms('regionNot', excluded[0]!.iris);
    frame.conditions.push(`outside ${labels(excluded[0]!.iris)} and its parts`);
  } else handled.length = 0;

  if (frame.intent === 'both') {
    const [a, b] = splitMethods(methods);
    setTerms('methodA', a.flatMap((t) => t.iris));
    setTerms('methodB', b.flatMap((t) => t.iris));
    frame.conditions.push(`with both ${labels(a.flatMap((t) => t.iris))} and ${labels(b.flatMap((t) => t.iris))} sessions`);
  } else if (methods.length > 0) {
    // "imaged with two-photon microscopy": the general method a specific one narrows is no alternative to it.
    const all = methods.flatMap((t) => t.iris);
    const iris = all.filter((iri) => !all.some((other) => other !== iri && deps.terms.ancestors(other).includes(iri)));
    setTerms('method', iris);
    frame.conditions.push(frame.intent === 'gaps' ? `without any ${labels(iris)} session` : `recorded with ${labels(iris)} (or a more specific method)`);
  }

  const sexes = byKind('sex');
  if (sexes.length > 0) {
    const iris = sexes.flatMap((t) => t.iris);
    setTerms('sex', iris);
    frame.conditions.push(`of ${labels(iris)} subjects`);
  }

  if (interventions.length > 0) {
    const iris = interventions.flatMap((t) => t.iris);
    setTerms('intervention', iris);
    frame.conditions.push(`of subjects that had a ${labels(iris)}`);
    for (const t of interventions) if (t.via === 'lexicon' && t.phrase.toLowerCase() !== labelOf(ctx, t.iris[0]!).toLowerCase()) frame.notes.push(`'${t.phrase}' was taken as ${labels(t.iris)}`);
  }

  for (const side of byKind('laterality')) {
    if (side.iris.length === 0) {
      frame.dropped.push({ phrase: side.phrase, reason: side.note ?? 'not a fixed side' });
      continue;
    }
    const nearIntervention = byKind('intervention').some((i) => Math.abs(side.start - i.end) <= 20 || Math.abs(i.start - side.end) <= 20);
    if (nearIntervention && frame.intent !== 'gaps') {
      setTerms('interventionSide', side.iris);
      frame.conditions.push(`where the intervention was in the ${labels(side.iris)} hemisphere`);
    } else {
      setTerms('side', side.iris);
      frame.conditions.push(`in the ${labels(side.iris)} hemisphere`);
    }
  }

  for (const s of byKind('status')) {
    if (s.value === 'not-published') {
      frame.flags.add('unpublished');
      frame.conditions.push('not marked as published (unpublished, submitted or in preparation)');
    } else {
      setTerms('status', s.iris);
      frame.conditions.push(`whose publication status is ${s.label}`);
    }
  }

  const licenses = byKind('license');
  if (licenses.length > 0) {
    const iris = licenses.flatMap((t) => t.iris);
    setTerms('license', iris);
    frame.conditions.push(`under ${licenses.map((l) => l.label).join(' or ')} (${iris.map((i) => deps.lexicon.licenseIds.get(i) ?? i).join(', ')})`);
  } else if (frame.intent === 'studies' && w.re(/\bcommercial(?:ly)?\b/)) {
    setTerms('license', [...deps.lexicon.commercialUse]);
  }

  // "give me a CSV of …", "as JSON": the format of the answer, not of the data files.
  const formats = byKind('format').filter((t) => {
    const before = question.slice(Math.max(0, t.start - 12), t.start).toLowerCase();
    const after = question.slice(t.end, t.end + 12).toLowerCase();
    const exportRequest = /\b(?:as|in|into|an?)\s+$/.test(before) && (/^\s*(?:file\s+)?(?:of|with|for|listing|$|[.?!])/.test(after) || /\b(?:as|into)\s+$/.test(before));
    if (exportRequest) frame.notes.push(`'${t.phrase}' was read as the format of the answer (use the ${t.phrase.toLowerCase()} export), not as a condition on data files`);
    return !exportRequest;
  });
  if (formats.length > 0) {
    const iris = formats.flatMap((t) => t.iris);
    setTerms('format', iris);
    frame.conditions.push(`with ${labels(iris)} files`);
  }

  const archives = byKind('archive');
  if (archives.length > 0) {
    frame.slots.set('archive', { terms: archives.map((a) => literalTerm(a.value!)) });
    frame.conditions.push(`in the archive${archives.length > 1 ? 's' : ''} ${archives.map((a) => a.value).join(', ')}`);
    for (const a of archives) if (a.note !== undefined) frame.notes.push(a.note);
  }

  for (const id of identifiers) {
    // "registered to M01-2P-BL": the session others are aligned to.
    const registered = id.value === 'session' && /\b(?:registered|aligned|registration|co-registered)\s+(?:to|with|onto)\s+(?:session\s+)?$/i.test(question.slice(0, id.start));
    const slot = registered ? 'registeredTo' : frame.intent === 'record' ? 'record' : id.value === 'subject' ? 'subject' : id.value === 'session' ? 'session' : null;
    if (slot === null) {
      frame.dropped.push({ phrase: id.phrase, reason: `${id.label} names a ${id.value}, which only 'tell me about …' questions use` });
      continue;
    }
    setTerms(slot, id.iris);
    frame.conditions.push(registered ? `registered to ${id.label}` : `for ${id.label}`);
  }

  for (const kind of ['indicator', 'strain', 'instrument', 'objective', 'keyword', 'software'] as const) {
    const all = byKind(kind);
    for (const t of all) if (t.value === undefined) frame.dropped.push({ phrase: t.phrase, reason: `${t.label} is an ontology ${kind} type, which the templates do not filter on` });
    const found = all.filter((t) => t.value !== undefined);
    if (found.length === 0) continue;
    frame.slots.set(kind, { terms: found.map((f) => literalTerm(f.value!.toLowerCase())) });
    const values = found.map((f) => f.value).join("' or '");
    frame.conditions.push(
      kind === 'keyword' ? `about '${values}' (a study keyword or component title)` : kind === 'software' ? `analysed or registered with '${values}'` : kind === 'objective' ? `with an objective described as '${values}'` : `with ${kind} '${values}'`,
    );
  }

  // Time windows: the day offsets, and the intervention they count from.
  if (linking.times.length > 0) {
    const comparisons = linking.times.flatMap((t) => t.comparisons);
    const anchorIris = [...new Set(linking.times.flatMap((t) => t.relativeTo?.iris ?? []))];
    if (frame.intent === 'before-after') {
      if (anchorIris.length > 0) setTerms('anchor', anchorIris);
    } else {
      frame.slots.set('day', { comparisons });
      if (anchorIris.length > 0) setTerms('anchor', anchorIris);
      frame.conditions.push(`at ${describeDays(comparisons)}${anchorIris.length > 0 ? ` relative to the ${labels(anchorIris)}` : ' relative to an intervention'}`);
      if (frame.intent === 'sessions') frame.show.push('day');
    }
    for (const t of linking.times) for (const a of [t.relativeTo]) if (a?.via === 'lexicon') frame.notes.push(`'${a.phrase}' was taken as ${labels(a.iris)}`);
  }
  if (frame.intent === 'before-after') {
    const anchor = [...anchors, ...byKind('intervention')].flatMap((t) => t.iris);
    if (anchor.length > 0) {
      frame.slots.delete('intervention');
      setTerms('anchor', anchor);
    }
    frame.conditions.push(`with sessions both before and after ${anchor.length > 0 ? `the ${labels(anchor)}` : 'their intervention'}`);
  }

  for (const s of linking.settings) {
    if (s.comparisons.length === 0) continue;
    frame.slots.set(s.property, { comparisons: s.comparisons });
    frame.conditions.push(`with ${s.label} ${s.comparisons.map((c) => `${opWord(c.op)} ${c.value} ${s.unit === 'byte' ? 'bytes' : s.unit === 'day' ? 'days' : s.unit}`).join(' and ')}`);
    // Subjects are listed once each; the values that select them belong to their sessions.
    if (!frame.show.includes(s.property) && frame.intent !== 'subjects') frame.show.push(s.property);
  }

  // "How many male and female mice": several values of one kind in a count are its groups.
  if (frame.intent === 'count') {
    const dims: [LinkedTerm['kind'], string][] = [['sex', 'sex'], ['taxon', 'species'], ['method', 'modality'], ['anatomy', 'region'], ['laterality', 'side'], ['format', 'format'], ['archive', 'archive']];
    for (const [kind, v] of dims) if (byKind(kind).length >= 2 && !frame.group.includes(v)) frame.group.push(v);
  }

  if (linking.dates.length > 0) {
    frame.slots.set('date', { comparisons: linking.dates.flatMap((d) => d.comparisons) });
    frame.conditions.push(`dated ${linking.dates.map((d) => d.phrase.trim()).join(' and ')}`);
    frame.show.push('date');
  }

  // "the largest file", "the five most recent sessions", "the oldest mice": ordered, and few.
  // "Which mouse was the youngest?": the same, with the noun first.
  const nounFirst = new RegExp(`\\b(${SUPERLATIVE_NOUNS})\\s+(?:was|is|were|are)\\s+(?:the\\s+)?(${SUPERLATIVES})\\b`, 'i').exec(question);
  const superlative =
    new RegExp(`\\b(?:the\\s+)?(?:(\\d+|two|three|four|five|ten|twenty)\\s+)?(${SUPERLATIVES})\\s+(?:\\w+\\s+){0,2}?(${SUPERLATIVE_NOUNS})\\b`, 'i').exec(question) ??
    (nounFirst === null ? null : [nounFirst[0], undefined, nounFirst[2]!, nounFirst[1]!]) ??
    // "the biggest raw TIFF": of files, size is what is largest, whatever noun names them.
    (frame.intent === 'files' ? fileSuperlative(question) : null);
  if (superlative !== null) {
    const word = superlative[2]!.toLowerCase();
    const noun = superlative[3]!.toLowerCase();
    const order =
      frame.intent === 'files'
        ? /largest|biggest|heaviest/.test(word) ? { variable: 'size', descending: true } : word === 'smallest' ? { variable: 'size', descending: false } : undefined
        : frame.intent === 'subjects'
          ? word === 'oldest' ? { variable: 'ageDays', descending: true } : word === 'youngest' ? { variable: 'ageDays', descending: false } : undefined
          : frame.intent === 'sessions'
            ? /latest|newest|most recent|last/.test(word) ? { variable: 'date', descending: true } : /earliest|first|oldest/.test(word) ? { variable: 'date', descending: false } : undefined
            : undefined;
    if (order !== undefined) {
      frame.order = order;
      const n = superlative[1] === undefined ? undefined : (NUMBER_WORDS[superlative[1].toLowerCase()] ?? Number(superlative[1]));
      frame.limit = n ?? (/s$|mice/.test(noun) ? 10 : 1);
      if (!frame.show.includes(order.variable)) frame.show.push(order.variable);
      frame.conditions.push(`the ${frame.limit === 1 ? '' : `${frame.limit} `}${word} first`);
    }
  }

  // Shown columns that conditions imply.
  if (frame.slots.has('taxon')) frame.show.push('species');
  if (frame.slots.has('sex')) frame.show.push('sex');
  if (frame.slots.has('intervention')) frame.show.push('procedure');
  if (frame.slots.has('interventionSide')) frame.show.push('interventionSide');
  if (frame.slots.has('status')) frame.show.push('status');
  if (frame.slots.has('format') && frame.intent !== 'files') frame.show.push('format');
  if (frame.slots.has('archive')) frame.show.push('archive');

  if (frame.intent === 'gaps' && !frame.slots.has('method')) return null;
  if (frame.intent === 'both' && (!frame.slots.has('methodA') || !frame.slots.has('methodB'))) frame.intent = 'sessions';
  // "Which mice have both widefield and two-photon sessions?": the two kinds paired per subject, not per region.
  if (frame.intent === 'both' && head === 'subject' && !frame.slots.has('region') && !targets.some((t) => t.target === 'region')) frame.flags.add('bySubject');
  if (frame.intent === 'record' && !frame.slots.has('record')) frame.intent = 'sessions';

  // Nothing to go on: no term, no data word, no target.
  // Negations the templates cannot express ("imaged before but not after", "except CA1") are not guessed at.
  if (frame.intent !== 'gaps' && unhandledNegation(question, linking, handled)) {
    frame.notes.push('negation');
    return null;
  }

  const anything = frame.slots.size > 0 || frame.flags.size > 0 || frame.group.length > 0 || targets.some((t) => t.target !== undefined || t.dataWord);
  if (!anything) return null;
  return frame;
}

/** Words that name regions as such: "which visual areas", "which hippocampal subfields". */
const REGION_WORDS = 'areas?|regions?|structures?|subfields?|subregions?|fields?|layers?|parts?';

/** Words before a region that leave it out: "apart from V1", "other than the CA1", "outside of V1". */
const EXCLUSION = /\b(?:apart from|other than|except(?: for)?|excluding|besides|outside(?: of)?|but not(?: in)?|not in)\s+(?:the\s+)?$/i;

const NEGATION = /\b(not|except|excluding|exclude|other than|apart from|without|never|none|nothing|neither|nor|no|\w+n['’]t)\b/gi;

/** A negation word outside the phrases that carry their own ("not published", "never been published"). */
export function unhandledNegation(question: string, linking: Linking, handled: [number, number][] = []): boolean {
  NEGATION.lastIndex = 0;
  for (const m of question.matchAll(NEGATION)) {
    const inTerm = linking.terms.some((t) => m.index >= t.start && m.index < t.end) || handled.some(([a, b]) => m.index >= a && m.index < b);
    if (!inTerm) return true;
  }
  return false;
}

/** Words of "the largest file", "the five latest sessions", "the youngest mouse", and the nouns they order. */
const SUPERLATIVES = 'largest|biggest|heaviest|smallest|latest|newest|most recent|last|earliest|oldest|first|youngest';
const SUPERLATIVE_NOUNS = 'files?|sessions?|recordings?|mice|mouse|subjects?|animals?|rats?';

function fileSuperlative(question: string): (string | undefined)[] | null {
  const m = /\b(?:the\s+)?(?:(\d+|two|three|four|five|ten|twenty)\s+)?(largest|biggest|heaviest|smallest)\b/i.exec(question);
  return m === null ? null : [m[0], m[1], m[2]!, 'file'];
}

const NUMBER_WORDS: Record<string, number> = { two: 2, three: 3, four: 4, five: 5, ten: 10, twenty: 20 };

const AGGREGATE_WORD: Record<Aggregate, string> = { MAX: 'largest', MIN: 'smallest', AVG: 'average' };
const AGGREGATES: [RegExp, Aggregate][] = [
  [/^(?:max|maximum|maximal|highest|greatest|top|peak|last|latest|final)$/, 'MAX'],
  [/^(?:min|minimum|minimal|lowest|first|earliest)$/, 'MIN'],
  [/^(?:average|mean|avg|typical)$/, 'AVG'],
];

/**
 * An aggregate asked of a value: an aggregate word ("max", "average", "last") within three words before a setting
 * word, or before "day"/"timepoint" (the day relative to an intervention). Not for values the question also
 * compares ("frame rate above 30 Hz"), and "last"/"first" only of days ("the last session" is an order, not a value).
 */
function aggregateIn(question: string, lexicon: Lexicon, linking: Linking): { aggregate: Aggregate; property: string; label: string } | undefined {
  const lower = question.toLowerCase();
  // "How many days after the surgery was its first imaging session?": the day of the first (last) one.
  const ordinal = /\bhow many (?:days|weeks)\b[^?]*\b(first|earliest|last|latest|final)\b/.exec(lower);
  if (ordinal !== null) return { aggregate: /first|earliest/.test(ordinal[1]!) ? 'MIN' : 'MAX', property: 'day', label: 'day relative to the intervention' };
  for (const m of lower.matchAll(/\b([a-z]+)\b/g)) {
    const aggregate = AGGREGATES.find(([re]) => re.test(m[1]!))?.[1];
    // "the first 7 days after the stroke" is a time window, not an aggregate.
    if (aggregate === undefined || linking.times.some((t) => m.index >= t.start && m.index < t.end)) continue;
    const rest = lower.slice(m.index + m[1]!.length, m.index + m[1]!.length + 50).split(/\s+/).filter(Boolean).slice(0, 5).join(' ');
    const dayWord = /^(?:[\w-]+\s+){0,2}?(?:day|days|timepoint|timepoints|time point)\b/.test(rest);
    if (dayWord) {
      if (aggregate === 'AVG') continue;
      return { aggregate, property: 'day', label: 'day relative to the intervention' };
    }
    if (/^(?:last|latest|final|first|earliest|top)$/.test(m[1]!)) continue;
    for (const spec of lexicon.settings) {
      if (linking.settings.some((s) => s.property === spec.property)) continue;
      const words = spec.words.filter((x) => askableWord(x) || spec.property === 'contentSize');
      const re = new RegExp(`^(?:[\\w-]+\\s+){0,3}?(?:${words.map(escape).join('|')})s?\\b`);
      if (re.test(rest)) return { aggregate, property: spec.property, label: spec.label };
    }
  }
  return undefined;
}

/** Setting words that name a value one can ask for ("what fps", "which excitation wavelength"); not comparatives ("deeper", "older"). */
function askableWord(word: string): boolean {
  return word.includes(' ') || !/^(?:deep|deeper|old|older|younger|aged|larger|bigger|smaller|big|large|pixel|size)$/.test(word);
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function opWord(op: Comparison['op']): string {
  return { '>': 'above', '>=': 'at least', '<': 'below', '<=': 'at most', '=': 'equal to' }[op];
}

function describeDays(c: Comparison[]): string {
  const lo = c.find((x) => x.op === '>' || x.op === '>=');
  const hi = c.find((x) => x.op === '<' || x.op === '<=');
  const eq = c.find((x) => x.op === '=');
  if (eq !== undefined) return `day ${eq.value}`;
  if (lo !== undefined && hi !== undefined) return `days ${lo.op === '>' ? `after ${lo.value}` : `from ${lo.value}`} ${hi.op === '<' ? `until before ${hi.value}` : `up to ${hi.value}`}`;
  if (lo !== undefined) return lo.op === '>' ? `days after day ${lo.value}` : `day ${lo.value} or later`;
  if (hi !== undefined) return hi.op === '<' ? `days before day ${hi.value}` : `day ${hi.value} or earlier`;
  return 'any day';
}

/** Two groups of methods for "both A and B": split at the word "and" between them. */
function splitMethods(methods: LinkedTerm[]): [LinkedTerm[], LinkedTerm[]] {
  if (methods.length === 2) return [[methods[0]!], [methods[1]!]];
  const half = Math.ceil(methods.length / 2);
  return [methods.slice(0, half), methods.slice(half)];
}

type TargetHit = { target: string | undefined; start: number; grouping: boolean; asked: boolean; dataWord: boolean; free: boolean };

/** Target words (what is asked for) with whether they follow "by/per/each" (grouping) or "which/what" (asked). */
function targetsIn(question: string, lexicon: Lexicon): TargetHit[] {
  const tokens = tokenize(question);
  const out: TargetHit[] = [];
  for (let i = 0; i < tokens.length; i++) {
    for (let n = 3; n >= 1; n--) {
      if (i + n > tokens.length) continue;
      const key = tokens
        .slice(i, i + n)
        .map((t) => t.norm)
        .join(' ');
      const target = lexicon.targets.get(key);
      const dataWord = lexicon.dataWords.has(key);
      if (target === undefined && !dataWord) continue;
      const before = tokens.slice(Math.max(0, i - 3), i).map((t) => t.norm);
      const prev = before[before.length - 1];
      const prev2 = before.slice(-2).join(' ');
      // "per mouse", "for each post-stroke day", "by archive and modality": a grouping word up to three words back,
      // or "and" right after another grouping target.
      const lastTarget = out[out.length - 1];
      const grouping =
        before.some((b) => b === 'by' || b === 'per' || b === 'each' || b === 'every') ||
        prev === 'across' ||
        (prev === 'and' && lastTarget !== undefined && lastTarget.grouping && tokens[i - 2] !== undefined && lastTarget.start >= tokens[Math.max(0, i - 4)]!.start);
      // "which organisms", "what kind of methods", "and their species": a dimension the question asks to see.
      const asked = prev === 'which' || prev === 'what' || prev === 'their' || /^(which|what) (kind|type|imaging|brain)$/.test(prev2) || prev2 === 'kind of' || prev2 === 'type of';
      // "any modality", "whatever the method": no condition and not what is asked for.
      // "the hippocampus of rats", "ephys in mice": the animals are a condition there, not what is asked for.
      const free = prev === 'any' || prev === 'whatever' || prev2 === 'whatever the' || (target === 'subject' && (prev === 'of' || prev === 'in' || prev === 'from') && i > 1 && !/^(?:list|number|count|ages?|sex|sexes)$/.test(before[before.length - 2] ?? ''));
      out.push({ target, start: tokens[i]!.start, grouping, asked, dataWord, free });
      i += n - 1;
      break;
    }
  }
  return out;
}

/** "Which animals have sessions in S1?": the head is asked with a wh-word, so it is what is listed whatever else is named. */
function headAsked(targets: TargetHit[]): boolean {
  const first = targets.find((t) => t.target !== undefined && !t.grouping);
  return first !== undefined && first.asked && first.target === 'subject';
}

/** The head noun: the first target word of the question that is not after "by/per/each". */
function headTarget(question: string, targets: TargetHit[]): string | undefined {
  const first = targets.find((t) => t.target !== undefined && !t.grouping && !(t.free && (t.target === 'subject' || !['session', 'file', 'study'].includes(t.target))));
  if (first === undefined) return undefined;
  // "Where …?" asks for the archives.
  if (/^\s*where\b/i.test(question)) return 'archive';
  return first.target;
}

function measureOf(question: string, head: string | undefined): { variable: string; name: string } {
  // "2P session count per animal": the noun before "count" is counted; the one after "per" groups.
  const before = /\b(sessions?|subjects?|mice|mouse|rats?|animals?|files?|studies|study|datasets?|recordings?|scans?)\s+(?:count|counts|number|numbers|total|tally)\b/i.exec(question);
  const m = before ?? /\b(?:how many|count(?: the| all)?|number of|total number of)\s+(?:\S+\s+){0,3}?(sessions?|subjects?|mice|mouse|rats?|animals?|individuals?|files?|studies|study|datasets?|recordings?|scans?|experiments?)\b/i.exec(question);
  const word = (m?.[1] ?? head ?? '').toLowerCase();
  if (/^(subjects?|mice|mouse|rats?|animals?|individuals?|subject)$/.test(word)) return { variable: 'subject', name: 'subjects' };
  if (/^files?$/.test(word) || word === 'file') return { variable: 'file', name: 'files' };
  if (/^(studies|study|datasets?)$/.test(word)) return { variable: 'study', name: 'studies' };
  return { variable: 'session', name: 'sessions' };
}

function confidence(linking: Linking, frame: Frame): number {
  let c = 0.9;
  // Each word nobody understood costs confidence: three of them and the offline answer is no better than a guess.
  const words = linking.unresolved.reduce((n, u) => n + u.phrase.split(/\s+/).filter(Boolean).length, 0);
  c -= Math.min(0.45, 0.15 * words);
  c -= Math.min(0.3, 0.1 * frame.dropped.length);
  if (frame.conditions.length === 0 && frame.group.length === 0) c -= 0.1;
  return Math.max(0.05, Math.round(c * 100) / 100);
}

const INTENT_TEXT: Record<Intent, string> = {
  sessions: 'Lists the sessions',
  count: 'Counts the',
  subjects: 'Lists the subjects',
  files: 'Lists the files (raw data and analysis outputs, with format, location and size) of the sessions',
  size: 'Adds up the size of the files of the sessions',
  studies: 'Lists the studies (title, licence, DOI, citation, authors)',
  both: 'Lists the brain regions',
  gaps: 'Lists the organism and brain-region combinations present in the data',
  'before-after': 'Lists the subjects',
  record: 'Shows every property recorded',
};

/** A plain-language account of the frame: what is listed or counted, under which conditions, grouped how. */
export function explain(frame: Frame): string {
  let head = frame.flags.has('bySubject') ? 'Lists the subjects' : INTENT_TEXT[frame.intent];
  if (frame.measure?.aggregate !== undefined) head = frame.intent === 'size' ? 'Finds, over the files of the sessions,' : 'Finds';
  else if (frame.intent === 'count') head += ` ${frame.measure?.name ?? 'sessions'}`;
  if (frame.intent === 'studies' && (frame.slots.has('method') || frame.slots.has('region') || frame.slots.has('taxon'))) head += ' with data';
  const conditions = frame.conditions.length > 0 ? ` ${frame.conditions.join(', ')}` : '';
  const group = frame.group.length > 0 ? `, ${frame.intent === 'count' ? 'per' : 'by'} ${frame.group.map(dimWord).join(' and ')}` : '';
  const notes = frame.notes.length > 0 ? ` (${[...new Set(frame.notes)].join('; ')})` : '';
  return `${head}${conditions}${group}, across every archive queried${notes}. Regions include their parts and methods their subtypes, through the ontologies.`;
}

function dimWord(v: string): string {
  return { side: 'hemisphere', day: 'day relative to the intervention', species: 'species', archive: 'archive' }[v] ?? v.replace(/([A-Z])/g, ' $1').toLowerCase();
}
