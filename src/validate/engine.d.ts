// The slice of shacl-engine's and rdf-ext's untyped JavaScript API that validate.ts uses.
declare module 'shacl-engine' {
  import type { DatasetCore, Literal, Term } from '@rdfjs/types';

  /** A grapoi pointer: one or more nodes of a dataset. */
  export interface Ptr {
    readonly term: Term;
    readonly terms: Term[];
  }

  /** One step of a parsed SHACL path. */
  export interface PathStep {
    quantifier: 'one' | 'zeroOrMore' | 'oneOrMore' | 'zeroOrOne';
    start: 'subject' | 'object';
    end: 'subject' | 'object';
    predicates: Term[];
  }

  export interface EngineShape {
    readonly ptr: Ptr;
  }

  export interface EngineResult {
    readonly focusNode: Ptr;
    readonly severity: Term;
    readonly shape: EngineShape;
    readonly path: PathStep[] | undefined;
    readonly value: Ptr | undefined;
    readonly message: Literal[];
    readonly constraintComponent: Term;
  }

  export interface EngineReport {
    readonly conforms: boolean;
    readonly results: EngineResult[];
    readonly dataset: DatasetCore;
  }

  export class Validator {
    constructor(shapes: DatasetCore, options: { factory: unknown; debug?: boolean; details?: boolean });
    validate(
      data: { dataset: DatasetCore; terms?: Iterable<Term> },
      shapes?: { terms: Term[] }[],
    ): Promise<EngineReport>;
  }
}

declare module 'rdf-ext' {
  import type { DataFactory, DatasetCore, Quad } from '@rdfjs/types';

  const rdf: DataFactory & { dataset(quads?: Iterable<Quad>): DatasetCore };
  export default rdf;
}
