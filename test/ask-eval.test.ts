// The ask evaluation in CI: the offline translator over the question set (test/ask/questions.yaml) on the demo
// federation (the three labs, and the public archives imported from ../shared/data when it is present),
// leave-one-out; prints the scores per tag and asserts the accuracy and refusal targets (not latency). The same
// questions are then asked through the federation (as POST /ask on `benchgraph serve` does), against the same gold.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EvalReport, expandCases, formatReport, loadQuestionSet, runEval } from '../src/ask/eval.ts';
import { federatedExecutor } from '../src/ask/federated.ts';
import { openAsk } from '../src/ask/setup.ts';
import { federationFor } from '../src/serve/federation-route.ts';
import { createHandler } from '../src/serve/handler.ts';
import type { Config } from '../src/config.ts';
import { demoDataDir } from './ask/demo-data.ts';

const QUESTIONS = new URL('./ask/questions.yaml', import.meta.url).pathname;
const SHARED = new URL('../../shared/data', import.meta.url).pathname;
let config: Config;
let report: EvalReport;
let federated: EvalReport;

beforeAll(async () => {
  const publicArchives = existsSync(SHARED);
  if (!publicArchives) process.stdout.write(`ask evaluation: ${SHARED} is absent, so the public-archive questions are skipped\n`);
  config = await demoDataDir('benchgraph-ask-eval-', { publicArchives });
  const asker = await openAsk(config, { mode: 'offline', model: null });
  const { cases, skipped } = expandCases(loadQuestionSet(QUESTIONS), asker.deps.sources.map((s) => s.name));
  report = await runEval(asker, cases, skipped);
  const over = asker.deps.sources.map((s) => s.name).join(', ');
  process.stdout.write(`\nask evaluation (offline translator over ${over})\n${formatReport(report)}\n`);

  const handler = await createHandler({ dataDir: config.dataDir, baseIri: config.baseIri, workers: 1, log: () => {} });
  try {
    const viaFederation = await openAsk(config, { mode: 'offline', model: null, executor: federatedExecutor(await federationFor(handler.context)) });
    federated = await runEval(viaFederation, cases, skipped, asker.deps.execute);
    process.stdout.write(`\nask evaluation through the federation\n${formatReport(federated)}\n`);
  } finally {
    await handler.close(0);
  }
}, 600_000);

afterAll(async () => {
  await rm(config.dataDir, { recursive: true, force: true });
});

describe('ask evaluation', () => {
  it('has at least 80 questions with paraphrases, about a tenth of them unanswerable', () => {
    const questions = loadQuestionSet(QUESTIONS);
    expect(questions.length).toBeGreaterThanOrEqual(80);
    expect(questions.filter((q) => q.paraphrases.length > 0).length).toBeGreaterThanOrEqual(40);
    const share = report.unanswerable / report.cases.length;
    expect(share).toBeGreaterThanOrEqual(0.08);
    expect(share).toBeLessThanOrEqual(0.15);
  });

  it('reaches 85% execution accuracy on the answerable questions', () => {
    expect(report.executionAccuracy).toBeGreaterThanOrEqual(0.85);
  });

  it('refuses or answers "no data" for 90% of the unanswerable questions', () => {
    expect(report.correctRefusals).toBeGreaterThanOrEqual(0.9);
  });

  it('produces only queries that parse, pass the checks and run', () => {
    expect(report.validity).toBe(1);
  });

  it('answers every question through the federation as over one store holding every archive', () => {
    expect(federated.cases.map((c) => `${c.id} ${c.status} ${c.match}`)).toEqual(report.cases.map((c) => `${c.id} ${c.status} ${c.match}`));
    expect(federated.validity).toBe(1);
  });
});
