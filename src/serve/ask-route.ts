// `POST /ask`: a question in plain language, answered over this server's federation (src/ask): the sources of
// `--federation FILE`, or every public archive served here.
import type { Asker } from '../ask/ask.ts';
import { federatedExecutor } from '../ask/federated.ts';
import { createAskHandler } from '../ask/http.ts';
import { openAsk } from '../ask/setup.ts';
import { loadConfig } from '../config.ts';
import type { ServeContext } from './context.ts';
import { federationFor } from './federation-route.ts';

const askers = new WeakMap<ServeContext, Promise<Asker>>();
const handlers = new WeakMap<ServeContext, (request: Request) => Promise<Response>>();

/**
 * The ask pipeline of a server, opened once (term index, lexicon, templates). Generated queries run through the same
 * federation as `/sparql`, so they reach exactly the configured sources and never a private archive. An opening
 * that fails is forgotten, so the next question tries again.
 */
function askerFor(ctx: ServeContext): Promise<Asker> {
  let asker = askers.get(ctx);
  if (!asker) {
    asker = (async () => openAsk(loadConfig({ base: ctx.baseIri, data: ctx.dataDir }), { executor: federatedExecutor(await federationFor(ctx)) }))();
    askers.set(ctx, asker);
    asker.catch(() => askers.delete(ctx));
  }
  return asker;
}

/**
 * Opens the pipeline and reads the schema summary and the catalogue through the federation now, so the first
 * question does not wait for them (about 10 to 20 s over the demo federation). `benchgraph serve` calls it in the
 * background after it starts listening.
 */
export async function prepareAsk(ctx: ServeContext): Promise<void> {
  const asker = await askerFor(ctx);
  await Promise.all([asker.schema(), asker.catalogue()]);
}

export function askRoute(ctx: ServeContext, request: Request): Promise<Response> {
  let handler = handlers.get(ctx);
  if (!handler) {
    handler = createAskHandler({ asker: () => askerFor(ctx), log: ctx.log });
    handlers.set(ctx, handler);
  }
  return handler(request);
}
