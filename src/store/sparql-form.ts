// Reads a SPARQL query's form and whether it names its own dataset, without parsing it (oxigraph parses it next).
import { tokens } from './sparql-tokens.ts';

/** The four SPARQL query forms. */
export type QueryForm = 'SELECT' | 'ASK' | 'CONSTRUCT' | 'DESCRIBE';

/** What {@link scanQuery} found: `form` is undefined when the text does not start like a query. */
export type QueryShape = { form: QueryForm | undefined; hasDataset: boolean };

const PROLOGUE = new Set(['BASE', 'PREFIX', 'VERSION']);
const FORMS = new Set<string>(['SELECT', 'ASK', 'CONSTRUCT', 'DESCRIBE']);

/**
 * The form of a SPARQL query (first keyword after the BASE/PREFIX prologue) and whether it has a FROM or
 * FROM NAMED clause. A lexical scan, enough to pick the result format; syntax errors are left to the engine.
 */
export function scanQuery(sparql: string): QueryShape {
  let form: QueryForm | undefined;
  let hasDataset = false;
  let sawForm = false;
  for (const { word } of tokens(sparql)) {
    if (word === undefined) continue;
    if (!sawForm) {
      if (PROLOGUE.has(word)) continue;
      sawForm = true;
      form = FORMS.has(word) ? (word as QueryForm) : undefined;
      if (form === undefined) break;
    } else if (word === 'FROM') {
      hasDataset = true;
      break;
    }
  }
  return { form, hasDataset };
}
