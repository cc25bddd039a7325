// `POST /ask`: a question in plain language, answered over this server's federation (src/ask): the sources of
// `--federation FILE`, or every public archive served here.
import { federatedExecutor } from '../ask/federated.ts';
import { createAskHandler } from '../ask/http.ts';
import { openAsk } from '../ask/setup.ts';
import { loadConfig } from '../config.ts';
import type { ServeContext } from './context.ts';
import { federationFor } from './federation-route.ts';

const handlers = new WeakMap<ServeContext, (request: Request) => Promise<Response>>();

/**
 * One ask pipeline per server, opened on the first question (term index, templates, the catalogue and schema read
 * through the federation). Generated queries run through the same federation as `/sparql`, so they reach exactly
 * the configured sources and never a private archive.
 */
export function askRoute(ctx: ServeContext, request: Request): Promise<Response> {
  let handler = handlers.get(ctx);
  if (!handler) {
    handler = createAskHandler({
      asker: async () => openAsk(loadConfig({ base: ctx.baseIri, data: ctx.dataDir }), { executor: federatedExecutor(await federationFor(ctx)) }),
      log: ctx.log,
    });
    handlers.set(ctx, handler);
  }
  return handler(request);
}
