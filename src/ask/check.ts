// Checks a generated query before it runs: it parses, it only reads, it names only classes and properties the
// sources hold, it uses them with fitting subjects and objects, and it carries a LIMIT. Errors are plain sentences
// that go back to the model in the repair loop.
import { distance } from 'fastest-levenshtein';
import sparqljs from 'sparqljs';
import type { Pattern, PropertyPath, SelectQuery, SparqlQuery, Triple } from 'sparqljs';
import { prefixes } from '../namespaces.ts';
import { curie, type SchemaSummary } from './schema.ts';

export type CheckResult = { ok: true; sparql: string; warnings: string[] } | { ok: false; errors: string[]; warnings: string[] };

const RDF_TYPE = `${prefixes.rdf}type`;
const OWL_CLASS = `${prefixes.owl}Class`;
// Properties of the ontology graph and RDF itself, always allowed (closure over subclasses and parts).
const ALWAYS = new Set([RDF_TYPE, `${prefixes.rdfs}subClassOf`, `${prefixes.rdfs}label`, `${prefixes.obo}BFO_0000050`]);

/**
 * Checks a query; on success returns it with its LIMIT capped at `limit` (added when missing).
 * Without a schema only syntax, read-only and LIMIT are checked.
 */
export function checkQuery(sparql: string, schema: SchemaSummary | null, opts: { limit: number }): CheckResult {
  const warnings: string[] = [];
  let parsed: SparqlQuery;
  try {
    parsed = new sparqljs.Parser({ prefixes: { ...prefixes } }).parse(sparql);
  } catch (error) {
    return { ok: false, errors: [`The query does not parse: ${(error as Error).message.split('\n')[0]}`], warnings };
  }
  if (parsed.type === 'update') {
    return { ok: false, errors: ['The query changes data (SPARQL Update). Only read-only SELECT or ASK queries are allowed.'], warnings };
  }
  if (parsed.queryType !== 'SELECT' && parsed.queryType !== 'ASK') {
    return { ok: false, errors: [`The query is a ${parsed.queryType} query; write a SELECT (or ASK) query whose variables are the answer's columns.`], warnings };
  }
  const errors: string[] = [];
  if (parsed.from !== undefined && (parsed.from.default.length > 0 || parsed.from.named.length > 0)) {
    errors.push('Remove FROM / FROM NAMED: the default graph already holds every archive.');
  }
  const triples: Triple[] = [];
  walk(parsed.where ?? [], triples, errors);
  if (schema !== null) checkSchema(triples, schema, errors);
  if (errors.length > 0) return { ok: false, errors: [...new Set(errors)], warnings };

  let out = sparql.trim();
  if (parsed.queryType === 'SELECT') {
    const q = parsed as SelectQuery;
    if (q.limit === undefined || q.limit > opts.limit) {
      if (q.limit !== undefined) warnings.push(`LIMIT ${q.limit} lowered to ${opts.limit}`);
      q.limit = opts.limit;
      out = new sparqljs.Generator({ prefixes: parsed.prefixes }).stringify(q);
    }
  }
  return { ok: true, sparql: `${out}\n`, warnings };
}

function walk(patterns: Pattern[], triples: Triple[], errors: string[]): void {
  for (const p of patterns) {
    switch (p.type) {
      case 'bgp':
        triples.push(...p.triples);
        break;
      case 'service':
        errors.push('Remove SERVICE: queries only reach the configured archives, which the default graph already holds.');
        break;
      case 'optional':
      case 'union':
      case 'group':
      case 'minus':
      case 'graph':
        walk(p.patterns, triples, errors);
        break;
      case 'query':
        walk((p as SelectQuery).where ?? [], triples, errors);
        break;
      case 'filter':
      case 'bind':
        walkExpression(p.expression, triples, errors);
        break;
      default:
        break;
    }
  }
}

function walkExpression(e: unknown, triples: Triple[], errors: string[]): void {
  if (e === null || typeof e !== 'object') return;
  const x = e as { type?: string; args?: unknown[]; patterns?: Pattern[] };
  if (x.type === 'operation' && Array.isArray(x.args)) {
    for (const a of x.args) {
      const ap = a as { type?: string };
      if (ap.type === 'group' || ap.type === 'bgp') walk([a as Pattern], triples, errors);
      else walkExpression(a, triples, errors);
    }
  }
}

function iriItems(path: PropertyPath): string[] {
  return path.items.flatMap((i) => ('termType' in i ? [i.value] : iriItems(i as PropertyPath)));
}

function checkSchema(triples: Triple[], s: SchemaSummary, errors: string[]): void {
  const known = (p: string) => ALWAYS.has(p) || s.properties.has(p);
  const types = new Map<string, Set<string>>();
  for (const t of triples) {
    if (!('type' in t.predicate) && t.predicate.termType === 'NamedNode' && t.predicate.value === RDF_TYPE && t.subject.termType === 'Variable' && t.object.termType === 'NamedNode') {
      const c = t.object.value;
      if (!s.classes.has(c)) {
        errors.push(
          s.declaredOnly.has(c)
            ? `${curie(c)} is declared in the vocabulary but no record is typed with it; ${hintForClass(c)}`
            : `${curie(c)} is not a class of the archives; classes in use include ${topClasses(s)}.`,
        );
        continue;
      }
      let set = types.get(t.subject.value);
      if (set === undefined) types.set(t.subject.value, (set = new Set()));
      set.add(c);
    }
  }
  for (const t of triples) {
    const pred = t.predicate;
    if ('type' in pred) {
      for (const iri of iriItems(pred)) if (!known(iri)) errors.push(unknownProperty(iri, s));
      continue;
    }
    if (pred.termType === 'Variable') continue;
    const p = pred.value;
    if (p === RDF_TYPE) continue;
    if (!known(p)) {
      errors.push(unknownProperty(p, s));
      continue;
    }
    if (ALWAYS.has(p)) continue;
    const users = [...s.shape].filter(([, props]) => props.has(p));
    const shownUsers = users.some(([c]) => c.startsWith(prefixes.bg)) ? users.filter(([c]) => c.startsWith(prefixes.bg)) : users;
    if (t.subject.termType === 'Variable') {
      const subjectTypes = types.get(t.subject.value);
      if (subjectTypes !== undefined && users.length > 0 && ![...subjectTypes].some((c) => s.shape.get(c)?.has(p))) {
        errors.push(
          `${curie(p)} is not used on ${[...subjectTypes].map(curie).join(' / ')} (?${t.subject.value}); it is used on ${shownUsers.map(([c]) => curie(c)).slice(0, 4).join(', ')}.`,
        );
        continue;
      }
    }
    const ranges = new Set(users.flatMap(([c, props]) => (types.get(termKey(t.subject))?.has(c) ?? true ? [...(props.get(p) ?? [])] : [])));
    const literalRange = [...ranges].some((r) => r === 'literal' || r.startsWith(prefixes.xsd) || r === `${prefixes.rdf}langString`);
    const iriRange = [...ranges].some((r) => !(r === 'literal' || r.startsWith(prefixes.xsd) || r === `${prefixes.rdf}langString`));
    if (t.object.termType === 'Literal' && !literalRange && iriRange) {
      errors.push(
        `${curie(p)} holds IRIs (${[...ranges].map((r) => (r === OWL_CLASS ? 'ontology terms' : r === 'IRI' ? 'IRIs' : curie(r))).join(', ')}), not text like "${t.object.value}"; use the IRI from the linked terms.`,
      );
    } else if (t.object.termType === 'NamedNode' && literalRange && !iriRange) {
      errors.push(`${curie(p)} holds literal values, not IRIs like ${curie(t.object.value)}.`);
    } else if (t.object.termType === 'Variable') {
      const objectTypes = types.get(t.object.value);
      if (objectTypes !== undefined && ranges.size > 0 && ![...objectTypes].some((c) => ranges.has(c))) {
        errors.push(`${curie(p)} points to ${[...ranges].filter((r) => r !== 'IRI').map(curie).sort().slice(0, 3).join(', ') || 'IRIs'}, not to ${[...objectTypes].map(curie).join(' / ')} (?${t.object.value}).`);
      }
    }
  }
}

function termKey(t: Triple['subject']): string {
  return t.termType === 'Variable' ? t.value : '';
}

function unknownProperty(p: string, s: SchemaSummary): string {
  const local = p.replace(/^.*[#/]/, '').toLowerCase();
  const scored = [...s.properties.keys()]
    .map((q) => {
      const l = q.replace(/^.*[#/]/, '').toLowerCase();
      return { q, d: distance(local, l), near: l.includes(local) || local.includes(l) };
    })
    .filter((x) => x.near || x.d <= Math.max(2, Math.floor(local.length * 0.3)));
  const best = Math.min(...scored.map((x) => x.d));
  const similar = scored.filter((x) => x.d === best).map((x) => x.q);
  return `${curie(p)} is not a property of the archives${similar.length > 0 ? `; did you mean ${similar.slice(0, 3).map(curie).join(' or ')}?` : '.'}`;
}

function hintForClass(c: string): string {
  if (/Session$/.test(c)) return 'select bg:Session and constrain bg:modality with rdfs:subClassOf* instead.';
  return `use a class in use instead.`;
}

function topClasses(s: SchemaSummary): string {
  return [...s.classes]
    .filter(([c]) => c.startsWith(prefixes.bg))
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([c]) => curie(c))
    .join(', ');
}
