#!/usr/bin/env node
// benchgraph command line: parses the verb and hands over to the composition root.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(
    `benchgraph needs Node.js 24 or newer (this is ${process.version}). ` +
      'Run it through npm (npm start, npm run ..., npx benchgraph), which uses the Node pinned in node_modules.\n',
  );
  process.exit(2);
}
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
