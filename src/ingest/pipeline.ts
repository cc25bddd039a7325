// The ingest pipeline: files -> records -> schema check -> mapping -> SHACL -> accepted and rejected records.
import { performance } from 'node:perf_hooks';
import type { Quad } from '@rdfjs/types';
import { type Issue, type LicenseTable, type Mapping, mapRecord, type TermResolver } from './mapping.ts';
import { readRecordFile, type SourceRecord, UnreadableInputError } from './records.ts';
import type { SchemaCheck } from './schema.ts';

/** One finding about one record, whichever stage made it. */
export type Finding = {
  severity: 'violation' | 'warning' | 'info';
  field: string;
  message: string;
  /** The SHACL property shape, or the stage ('schema', 'mapping') that found it. */
  rule: string;
};

export type CheckedRecord = {
  recordId: string;
  file: string;
  line: number;
  graph?: string;
  quads: Quad[];
  findings: Finding[];
  /** False when any finding is a violation: the record is not stored. */
  accepted: boolean;
};

/** SHACL over a batch of mapped records; returns findings per record id. */
export type BatchValidator = (
  records: { recordId: string; quads: Quad[]; nodes: Map<string, { kind: string; path: string }> }[],
) => Promise<Map<string, Finding[]>>;

export type PipelineDeps = {
  mapping: Mapping;
  schema: SchemaCheck;
  terms: TermResolver;
  licenses: LicenseTable;
  validate: BatchValidator;
};

export type PipelineResult = {
  records: CheckedRecord[];
  /** Files that could not be read as records at all. */
  unreadable: UnreadableInputError[];
  /** Seconds spent per stage, and triples produced, so the slow stage shows. */
  timings: { parse: number; map: number; validate: number };
  triples: number;
};

/** Runs every stage but storage. Nothing here touches an archive. */
export async function checkFiles(
  files: string[],
  target: { base: string; archive: string },
  deps: PipelineDeps,
): Promise<PipelineResult> {
  const timings = { parse: 0, map: 0, validate: 0 };
  const unreadable: UnreadableInputError[] = [];
  let t = performance.now();
  const sources: SourceRecord[] = [];
  for (const file of files) {
    try {
      sources.push(...(await readRecordFile(file)));
    } catch (err) {
      if (err instanceof UnreadableInputError) unreadable.push(err);
      else throw err;
    }
  }
  timings.parse = (performance.now() - t) / 1000;
  t = performance.now();
  const checked = mapSources(sources, target, deps);
  timings.map = (performance.now() - t) / 1000;
  t = performance.now();
  const mapped = checked.filter((c) => c.record.graph !== undefined);
  const shaclFindings = await deps.validate(
    mapped.map((c) => ({ recordId: c.record.recordId, quads: c.record.quads, nodes: c.nodes! })),
  );
  for (const c of mapped) {
    const shacl = shaclFindings.get(c.record.recordId) ?? [];
    // A shape that flags a field (e.g. an unresolved term) says it better than the mapper's note on it.
    const flagged = new Set(shacl.map((f) => `${f.severity} ${f.field}`));
    c.record.findings = c.record.findings.filter((f) => f.rule !== 'mapping' || !flagged.has(`${f.severity} ${f.field}`));
    c.record.findings.push(...shacl);
  }
  timings.validate = (performance.now() - t) / 1000;
  const records = checked.map((c) => c.record);
  for (const r of records) r.accepted = !r.findings.some((f) => f.severity === 'violation');
  return { records, unreadable, timings, triples: records.reduce((n, r) => n + r.quads.length, 0) };
}

function mapSources(
  sources: SourceRecord[],
  target: { base: string; archive: string },
  deps: PipelineDeps,
): { record: CheckedRecord; nodes?: Map<string, { kind: string; path: string }> }[] {
  const firstSeen = new Map<string, SourceRecord>();
  return sources.map((src) => {
    const kind = typeof src.data.kind === 'string' ? src.data.kind : '?';
    const id = typeof src.data.id === 'string' ? src.data.id : `#${src.index + 1}`;
    const recordId = `${kind}/${id}`;
    const record: CheckedRecord = { recordId, file: src.file, line: src.line, quads: [], findings: [], accepted: false };
    const schemaIssues = deps.schema(src.data, src.fromTable);
    record.findings.push(...schemaIssues.map((i) => fromIssue(i, 'schema')));
    const earlier = firstSeen.get(recordId);
    if (earlier) {
      record.findings.push({
        severity: 'violation',
        field: 'id',
        message: `record ${recordId} appears twice in this batch (first at ${earlier.file}:${earlier.line}); give each record its own id`,
        rule: 'batch',
      });
    } else firstSeen.set(recordId, src);
    if (schemaIssues.length > 0) return { record };
    const mapped = mapRecord(deps.mapping, src.data, { ...target, terms: deps.terms, licenses: deps.licenses });
    record.graph = mapped.graph;
    record.quads = mapped.quads;
    record.findings.push(...mapped.issues.map((i) => fromIssue(i, 'mapping')));
    return { record, nodes: mapped.nodes };
  });
}

function fromIssue(issue: Issue, rule: string): Finding {
  return {
    severity: issue.severity === 'error' ? 'violation' : issue.severity,
    field: issue.field,
    message: issue.message,
    rule,
  };
}

/** One line per finding: "stroke.yaml:12 session/S012 field 'modality' [Violation]: ...". */
export function formatFindings(records: CheckedRecord[], opts: { include?: Finding['severity'][] } = {}): string[] {
  const include = new Set(opts.include ?? ['violation', 'warning', 'info']);
  const lines: string[] = [];
  for (const r of records) {
    for (const f of r.findings) {
      if (!include.has(f.severity)) continue;
      const sev = f.severity[0].toUpperCase() + f.severity.slice(1);
      lines.push(`${r.file}:${r.line} ${r.recordId} field '${f.field}' [${sev}]: ${f.message}`);
    }
  }
  return lines;
}
