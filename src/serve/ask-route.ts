// `POST /ask`: a question in plain language, answered over this server's public archives (src/ask).
import { createAskHandler } from '../ask/http.ts';
import { openAsk } from '../ask/setup.ts';
import { loadConfig } from '../config.ts';
import type { ServeContext } from './context.ts';

const handlers = new WeakMap<ServeContext, (request: Request) => Promise<Response>>();

/**
 * One ask pipeline per server, opened on the first question (term index, templates, one store over the public
 * archives). The federated executor (src/ask/federated.ts) is not used here yet: the federation's rewriting of
 * the ask templates' subqueries is not reliable (see the closing note of issue 5).
 */
export function askRoute(ctx: ServeContext, request: Request): Promise<Response> {
  let handler = handlers.get(ctx);
  if (!handler) {
    handler = createAskHandler({
      asker: () => {
        const archives = [...ctx.archives.values()].filter((a) => a.tokenHashes === undefined).map((a) => a.name);
        return openAsk(loadConfig({ base: ctx.baseIri, data: ctx.dataDir }), { archives });
      },
      log: ctx.log,
    });
    handlers.set(ctx, handler);
  }
  return handler(request);
}
