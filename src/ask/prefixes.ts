// SPARQL PREFIX lines for the queries ask writes itself, built from the project's namespaces.
import { type Prefix, prefixes } from '../namespaces.ts';

/** `PREFIX bg: <…>` lines for the given prefixes of src/namespaces.ts. */
export function sparqlPrefixes(...names: Prefix[]): string {
  return names.map((n) => `PREFIX ${n}: <${prefixes[n]}>\n`).join('');
}
