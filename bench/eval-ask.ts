// `npm run eval:ask`: evaluates the offline translator on test/ask/questions.yaml over the demo federation
// (examples/* ingested into a temporary data directory, plus the public archives imported from ../shared/data when
// it is present; `--labs-only` leaves them out) and prints the scores per tag. `--json` prints the report as JSON;
// `--data DIR` evaluates over an existing data directory instead; `--federated` runs the generated queries through the
// federation of `benchgraph serve` (the gold queries still on one store holding every archive). Exit 1 when a target
// is missed.
import { rm } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.ts';
import { expandCases, formatReport, loadQuestionSet, runEval } from '../src/ask/eval.ts';
import { federatedExecutor } from '../src/ask/federated.ts';
import { openAsk } from '../src/ask/setup.ts';
import { federationFor } from '../src/serve/federation-route.ts';
import { createHandler, type Handler } from '../src/serve/handler.ts';
import { demoDataDir } from '../test/ask/demo-data.ts';

const QUESTIONS = new URL('../test/ask/questions.yaml', import.meta.url).pathname;
const TARGETS = { accuracy: 0.85, refusals: 0.9, p50: 100 };

const { values } = parseArgs({
  options: {
    json: { type: 'boolean' },
    data: { type: 'string' },
    questions: { type: 'string' },
    'labs-only': { type: 'boolean' },
    federated: { type: 'boolean' },
  },
});
const config = values.data !== undefined ? loadConfig({ data: values.data }) : await demoDataDir('benchgraph-eval-ask-', { publicArchives: !values['labs-only'] });
let handler: Handler | undefined;
try {
  let asker = await openAsk(config);
  const gold = asker.deps.execute;
  if (values.federated) {
    handler = await createHandler({ dataDir: config.dataDir, baseIri: config.baseIri, log: () => {} });
    asker = await openAsk(config, { executor: federatedExecutor(await federationFor(handler.context)) });
  }
  const questions = loadQuestionSet(values.questions ?? QUESTIONS);
  const { cases, skipped } = expandCases(questions, asker.deps.sources.map((s) => s.name));
  const report = await runEval(asker, cases, skipped, gold);
  if (values.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else process.stdout.write(`${formatReport(report, TARGETS)}\n`);
  const met = report.executionAccuracy >= TARGETS.accuracy && report.correctRefusals >= TARGETS.refusals && report.latencyP50 < TARGETS.p50;
  process.exitCode = met ? 0 : 1;
} finally {
  await handler?.close(0);
  if (values.data === undefined) await rm(config.dataDir, { recursive: true, force: true });
}
