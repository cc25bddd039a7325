// A plain-language account of any SPARQL query (used for queries the LLM wrote): what it returns, which kinds of
// record it matches, the conditions with term labels, grouping and limit.
import sparqljs from 'sparqljs';
import type { Expression, Pattern, PropertyPath, SelectQuery, Triple } from 'sparqljs';
import { prefixes } from '../namespaces.ts';

const RDF_TYPE = `${prefixes.rdf}type`;

/** Describes a query; `label` names IRIs (term labels, vocabulary labels). Falls back to a short note if it does not parse. */
export function explainQuery(sparql: string, label: (iri: string) => string): string {
  let q: SelectQuery;
  try {
    const parsed = new sparqljs.Parser({ prefixes: { ...prefixes } }).parse(sparql);
    if (parsed.type !== 'query' || (parsed.queryType !== 'SELECT' && parsed.queryType !== 'ASK')) return 'A query that is not a SELECT or ASK query.';
    q = parsed as SelectQuery;
  } catch {
    return 'A query that does not parse.';
  }
  const parts: string[] = [];
  const columns =
    q.queryType === 'SELECT' && Array.isArray(q.variables) && !('termType' in q.variables[0]! && q.variables[0]!.termType === 'Wildcard')
      ? (q.variables as ({ termType: string; value: string } | { variable: { value: string }; expression: Expression })[]).map((v) =>
          'variable' in v ? `${v.variable.value} (${describeExpression(v.expression, label)})` : v.value,
        )
      : ['every variable'];
  parts.push((q.queryType as string) === 'ASK' ? 'Asks whether any record matches' : `Returns ${columns.join(', ')}`);
  const conditions: string[] = [];
  collect(q.where ?? [], conditions, label, false);
  if (conditions.length > 0) parts.push(`for ${conditions.join('; ')}`);
  if (q.group !== undefined && q.group.length > 0) parts.push(`grouped by ${q.group.map((g) => describeExpression(g.expression, label)).join(', ')}`);
  if (q.limit !== undefined) parts.push(`at most ${q.limit} rows`);
  return `${parts.join(', ')}.`;
}

function collect(patterns: Pattern[], out: string[], label: (iri: string) => string, optional: boolean): void {
  for (const p of patterns) {
    switch (p.type) {
      case 'bgp':
        for (const t of p.triples) {
          const s = describeTriple(t, label);
          if (s !== null) out.push(optional ? `optionally ${s}` : s);
        }
        break;
      case 'optional':
        collect(p.patterns, out, label, true);
        break;
      case 'union': {
        const alternatives = p.patterns.map((x) => {
          const inner: string[] = [];
          collect([x], inner, label, optional);
          return inner.join(' and ');
        });
        out.push(`either ${alternatives.join(', or ')}`);
        break;
      }
      case 'group':
      case 'graph':
        collect(p.patterns, out, label, optional);
        break;
      case 'minus': {
        const inner: string[] = [];
        collect(p.patterns, inner, label, false);
        out.push(`excluding those where ${inner.join(' and ')}`);
        break;
      }
      case 'values': {
        const vars = Object.keys(p.values[0] ?? {});
        for (const v of vars) {
          const vals = p.values.map((row) => row[v]).filter((x) => x !== undefined);
          out.push(`${v.replace(/^\?/, '')} is ${vals.map((x) => (x!.termType === 'NamedNode' ? label(x!.value) : JSON.stringify(x!.value))).join(' or ')}`);
        }
        break;
      }
      case 'filter':
        out.push(`where ${describeExpression(p.expression, label)}`);
        break;
      case 'bind':
        break;
      case 'query':
        collect((p as SelectQuery).where ?? [], out, label, optional);
        break;
      default:
        break;
    }
  }
}

const SUBCLASS = `${prefixes.rdfs}subClassOf`;
const PART_OF = `${prefixes.obo}BFO_0000050`;

/** `(rdfs:subClassOf|obo:BFO_0000050)*` -> 'parts', `rdfs:subClassOf*` -> 'kinds', else null. */
function closureOf(p: Triple['predicate']): 'kinds' | 'parts' | null {
  if (!('type' in p) || p.pathType !== '*' || p.items.length !== 1) return null;
  const inner = p.items[0]!;
  if ('termType' in inner) return inner.value === SUBCLASS ? 'kinds' : null;
  const iris = (inner as PropertyPath).items.map((i) => ('termType' in i ? i.value : ''));
  if ((inner as PropertyPath).pathType === '|' && iris.includes(SUBCLASS) && iris.includes(PART_OF)) return 'parts';
  return null;
}

function describeTriple(t: Triple, label: (iri: string) => string): string | null {
  const s = term(t.subject, label);
  const o = term(t.object, label);
  const closure = closureOf(t.predicate);
  if (closure !== null) return `${s} is ${o} or ${closure === 'kinds' ? 'a narrower kind of it' : 'one of its kinds or parts'}`;
  if (!('type' in t.predicate) && t.predicate.termType === 'NamedNode' && t.predicate.value === RDF_TYPE) return `${s} is a ${o}`;
  const pred = 'type' in t.predicate ? path(t.predicate as PropertyPath, label) : t.predicate.termType === 'Variable' ? `?${t.predicate.value}` : label(t.predicate.value);
  if (t.object.termType === 'Variable' && t.subject.termType === 'Variable' && !('type' in t.predicate)) return null; // plain joins say little
  return `${s} ${pred} ${o}`;
}

function path(p: PropertyPath, label: (iri: string) => string): string {
  const items = p.items.map((i) => ('termType' in i ? label(i.value) : path(i as PropertyPath, label)));
  switch (p.pathType) {
    case '/':
      return items.join(' then ');
    case '|':
      return `(${items.join(' or ')})`;
    case '*':
      return `${items[0]} zero or more times`;
    case '+':
      return `${items[0]} one or more times`;
    case '?':
      return `optionally ${items[0]}`;
    case '^':
      return `inverse of ${items[0]}`;
    default:
      return `not ${items.join(', ')}`;
  }
}

function term(t: { termType: string; value: string }, label: (iri: string) => string): string {
  if (t.termType === 'Variable') return t.value;
  if (t.termType === 'NamedNode') return label(t.value);
  return JSON.stringify(t.value);
}

function describeExpression(e: Expression, label: (iri: string) => string): string {
  if (Array.isArray(e)) return e.map((x) => describeExpression(x, label)).join(', ');
  const x = e as { termType?: string; value?: string; type?: string; operator?: string; args?: Expression[]; aggregation?: string; expression?: Expression; distinct?: boolean };
  if (x.termType !== undefined) return term(x as { termType: string; value: string }, label);
  if (x.type === 'aggregate') return `${x.aggregation!.toLowerCase()} of ${x.distinct ? 'distinct ' : ''}${describeExpression(x.expression!, label)}`;
  if (x.type === 'operation') {
    const args = (x.args ?? []).map((a) => describeExpression(a, label));
    const op = x.operator!;
    if (/^[<>=!]=?$|^&&$|^\|\|$/.test(op) && args.length === 2) return `${args[0]} ${op === '&&' ? 'and' : op === '||' ? 'or' : op} ${args[1]}`;
    if (op === 'notexists') return 'no matching record exists';
    if (op === 'exists') return 'a matching record exists';
    return `${op}(${args.join(', ')})`;
  }
  if (x.type === 'functionCall') return 'a function of the values';
  return 'an expression';
}
