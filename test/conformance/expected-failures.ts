// Loads a conformance suite's list of expected failures (YAML: test id -> reason) and checks every entry has a reason.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/**
 * Reads a YAML mapping from test id (`aggregates/agg-err-01`) to the reason the test fails. Throws naming the file
 * and id when a reason is missing, so every listed failure stays explained.
 */
export function readExpectedFailures(file: URL): Map<string, string> {
  const path = fileURLToPath(file);
  const data: unknown = parse(readFileSync(path, 'utf8')) ?? {};
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new Error(`${path}: expected a mapping from test id to reason`);
  }
  const out = new Map<string, string>();
  for (const [id, reason] of Object.entries(data as Record<string, unknown>)) {
    if (typeof reason !== 'string' || reason.trim() === '') {
      throw new Error(`${path}: "${id}" needs a reason (a non-empty string) explaining why it fails`);
    }
    out.set(id, reason.trim());
  }
  return out;
}

/** Pass/fail counts of a conformance run; `unexpected` lists tests whose outcome disagrees with the list. */
export type Tally = { passed: number; failed: number; failedAsListed: number; unexpected: string[] };

/** A fresh, empty tally. */
export function newTally(): Tally {
  return { passed: 0, failed: 0, failedAsListed: 0, unexpected: [] };
}

/** Counts one outcome; `reason` is the test's entry in the expected-failures list, if it has one. */
export function record(tally: Tally, id: string, passed: boolean, reason: string | undefined): void {
  if (passed) tally.passed++;
  else tally.failed++;
  if (!passed && reason !== undefined) tally.failedAsListed++;
  if (passed === (reason !== undefined)) tally.unexpected.push(id);
}

/** Formats a tally as the summary the runners print. */
export function summary(suite: string, tally: Tally): string {
  const lines = [
    `${suite}: ${tally.passed}/${tally.passed + tally.failed} passed, ${tally.failed} failed ` +
      `(${tally.failedAsListed} listed as expected failures); ${tally.unexpected.length} disagree with the list`,
  ];
  for (const id of tally.unexpected) lines.push(`  disagrees with the list: ${id}`);
  return lines.join('\n');
}

/**
 * Runs `check` (which throws on failure) and holds it to the list: an unlisted case must pass, a listed one
 * (`reason` set) must still fail, so the list is corrected as soon as the cause is fixed.
 */
export async function checkAgainstList(
  id: string,
  listFile: string,
  reason: string | undefined,
  check: () => Promise<void> | void,
): Promise<void> {
  let failure: unknown;
  try {
    await check();
  } catch (error) {
    failure = error;
  }
  if (reason === undefined) {
    if (failure !== undefined) throw failure;
    return;
  }
  if (failure === undefined) {
    throw new Error(
      `${id} is listed in ${listFile} as failing (${reason}) but now passes: remove it from the list`,
    );
  }
}
