// Composition root: maps CLI verbs to the stages of the pipeline.
export async function main(argv: string[]): Promise<number> {
  const [verb] = argv;
  process.stderr.write(`benchgraph: unknown command ${verb ?? '(none)'}\n`);
  return 2;
}
