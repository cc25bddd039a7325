// One in-memory store holding several archives at once (the union a federation answers over), with a map from
// every record graph to the archive it came from, so answers can say where each row lives.
import { Store } from 'oxigraph';
import { listArchives, openArchive } from '../archive/archive.ts';
import { type ArchiveStore, addArchive, addOntologyFiles } from './store.ts';

/** One archive of a union store: its name, title and licence from archive.json, and its record count. */
export type UnionArchive = { name: string; title: string; license?: string; records: number; private: boolean };

/** A store over several archives; `archiveOfGraph` maps each record graph IRI to its archive's name. */
export type UnionStore = {
  store: ArchiveStore;
  archives: UnionArchive[];
  archiveOfGraph: ReadonlyMap<string, string>;
};

export type UnionOptions = {
  /** Archive names to load (default: every archive in the data directory, private ones included). */
  archives?: string[];
  /** Ontology slims (.ttl, .nt, .owl, .rdf) loaded once into the ontology graph, for closure queries. */
  ontologyFiles?: string[];
};

/**
 * Loads archives of a data directory into one store. Record graphs keep their names (record IRIs carry the archive
 * name, so they never clash); each archive's provenance graph is merged into the shared provenance graph. The
 * store's default graph is the merge of all of them, each triple once, however many records or archives repeat it.
 *
 * @throws Error naming the archive and file that does not load.
 */
export async function loadUnionStore(dataDir: string, opts: UnionOptions = {}): Promise<UnionStore> {
  const names = opts.archives ?? (await listArchives(dataDir)).map((a) => a.name);
  const store = new Store();
  const archives: UnionArchive[] = [];
  const archiveOfGraph = new Map<string, string>();
  for (const name of names) {
    const archive = await openArchive(dataDir, name);
    await addArchive(store, archive);
    for (const r of archive.records()) archiveOfGraph.set(r.graph, name);
    const meta = archive.meta;
    const entry: UnionArchive = { name, title: meta.title ?? name, records: archive.records().length, private: meta.private ?? false };
    if (meta.license !== undefined) entry.license = meta.license;
    archives.push(entry);
  }
  await addOntologyFiles(store, opts.ontologyFiles ?? []);
  return { store, archives, archiveOfGraph };
}
