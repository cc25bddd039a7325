// Synthetic bench records for archive tests and the store reload benchmark: deterministic, any size.
import type { Quad } from '@rdfjs/types';
import { DataFactory } from 'n3';
import type { StoredRecord } from '../../src/archive/archive.ts';

const { namedNode, literal, quad, blankNode } = DataFactory;

export const SYNTHETIC_BASE = 'http://localhost:8080/id/synthetic/';
const V = 'https://example.org/synthetic#';
const XSD_INTEGER = namedNode('http://www.w3.org/2001/XMLSchema#integer');

/**
 * `count` records `session/S<n>` of about `triplesPerRecord` triples each (a few typed literals, a blank node
 * per record so blank node separation is exercised), numbered from `start`; `variant` changes the literal values
 * so a re-ingest can be told apart from the original.
 */
export function syntheticRecords(
  count: number,
  triplesPerRecord = 10,
  opts: { start?: number; variant?: string } = {},
): StoredRecord[] {
  const { start = 0, variant = 'v1' } = opts;
  const out: StoredRecord[] = [];
  for (let n = start; n < start + count; n++) {
    const id = `session/S${String(n).padStart(6, '0')}`;
    const s = namedNode(`${SYNTHETIC_BASE}${id}`);
    const b = blankNode('settings');
    const quads: Quad[] = [
      quad(s, namedNode('http://www.w3.org/1999/02/22-rdf-syntax-ns#type'), namedNode(`${V}Session`)),
      quad(s, namedNode(`${V}label`), literal(`Session ${n} (${variant})`)),
      quad(s, namedNode(`${V}settings`), b),
      quad(b, namedNode(`${V}record`), literal(id)),
    ];
    for (let i = quads.length; i < triplesPerRecord; i++) {
      quads.push(quad(s, namedNode(`${V}measure${i}`), literal(String(n * 31 + i), XSD_INTEGER)));
    }
    out.push({
      recordId: id,
      graph: s.value,
      quads,
      sourceFile: 'synthetic/sessions.csv',
      sourceLine: n + 2,
    });
  }
  return out;
}
