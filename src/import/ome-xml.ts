// Reads OME-XML files into JSON-LD that mirrors the XML (element -> node typed by its name, attribute -> property,
// `...Ref` element -> link to the element with that ID), for the SPARQL mapping to take apart.
import { basename } from 'node:path';
import { UnreadableInputError } from '../ingest/records.ts';
import type { ImportFormat } from './formats.ts';
import type { JsonObject } from './jsonld.ts';
import { decodeText, readBytes, type SourceDocument } from './readers.ts';
import { parseXml, type XmlElement } from './xml.ts';

type OmeOptions = { namespaces: string[]; skip: Set<string>; references: Set<string> };

function optionsOf(format: ImportFormat): OmeOptions {
  const o = format.options as { namespaces?: unknown; skipElements?: unknown; referenceElements?: unknown };
  if (!Array.isArray(o.namespaces) || !Array.isArray(o.skipElements) || !Array.isArray(o.referenceElements)) {
    throw new Error(`${format.file}: expected namespaces, skipElements and referenceElements (lists)`);
  }
  return {
    namespaces: o.namespaces.map(String),
    skip: new Set(o.skipElements.map(String)),
    references: new Set(o.referenceElements.map(String)),
  };
}

export async function readOmeXml(file: string, format: ImportFormat): Promise<SourceDocument> {
  const options = optionsOf(format);
  const bytes = await readBytes(file);
  const { text, notices } = decodeText(bytes, file);
  const root = parseXml(text, file);
  if (root.name !== 'OME') {
    throw new UnreadableInputError(file, `not OME-XML: the root element is <${root.name}>, expected <OME>`, root.line, root.column);
  }
  if (!options.namespaces.includes(root.namespace)) {
    throw new UnreadableInputError(
      file,
      `unknown OME-XML schema ${root.namespace ? `<${root.namespace}>` : '(no namespace)'}: the mapping knows ${options.namespaces.map((n) => `<${n}>`).join(', ')}`,
      root.line,
      root.column,
    );
  }
  const document = node(root, options);
  document['@context'] = { '@vocab': `${root.namespace}#` };
  document['@id'] = '#OME';
  document.sourceFile = basename(file);
  return { file, document, bytes: [bytes], notices, skipped: [] };
}

/**
 * An element as a JSON-LD node; children of the same name become one list-valued property. An element's ID names
 * it, except in reference elements (DetectorSettings), where it becomes a `ref` link to the element it names.
 */
function node(el: XmlElement, options: OmeOptions): JsonObject {
  const out: JsonObject = { '@type': el.name };
  if (el.attributes.ID !== undefined) {
    if (options.references.has(el.name)) out.ref = { '@id': `#${el.attributes.ID}` };
    else out['@id'] = `#${el.attributes.ID}`;
  }
  for (const [name, value] of Object.entries(el.attributes)) out[name] = value;
  if (el.text !== '') out.value = el.text;
  for (const child of el.children) {
    if (options.skip.has(child.name)) continue;
    let value: unknown;
    if (child.name.endsWith('Ref') && child.attributes.ID !== undefined && child.children.length === 0) value = { '@id': `#${child.attributes.ID}` };
    else if (child.children.length === 0 && Object.keys(child.attributes).length === 0) value = child.text;
    else value = node(child, options);
    const list = out[child.name] as unknown[] | undefined;
    out[child.name] = list === undefined ? [value] : [...list, value];
  }
  return out;
}
