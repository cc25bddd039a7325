"""Real-client check: SPARQLWrapper sends a query to a SPARQL endpoint and prints what it read, as JSON or N-Triples.

usage: /usr/bin/python3 sparqlwrapper_query.py ENDPOINT QUERY_FILE get|post-form|post-direct|construct
  select/ask modes print the SPARQL JSON results SPARQLWrapper parsed; `construct` asks for RDF/XML, lets
  SPARQLWrapper build an rdflib graph from it and prints that graph as sorted N-Triples.
"""
import json
import sys

from SPARQLWrapper import GET, JSON, POST, POSTDIRECTLY, URLENCODED, XML, SPARQLWrapper


def main(endpoint, query_file, mode):
    with open(query_file, encoding="utf-8") as f:
        query = f.read()
    sparql = SPARQLWrapper(endpoint)
    sparql.setQuery(query)
    if mode == "construct":
        sparql.setReturnFormat(XML)
        graph = sparql.query().convert()
        lines = graph.serialize(format="nt")
        if isinstance(lines, bytes):
            lines = lines.decode("utf-8")
        sys.stdout.write("\n".join(sorted(line for line in lines.splitlines() if line.strip())) + "\n")
        return
    sparql.setReturnFormat(JSON)
    if mode == "get":
        sparql.setMethod(GET)
    elif mode == "post-form":
        sparql.setMethod(POST)
        sparql.setRequestMethod(URLENCODED)
    elif mode == "post-direct":
        sparql.setMethod(POST)
        sparql.setRequestMethod(POSTDIRECTLY)
    else:
        raise SystemExit(f"unknown mode {mode!r}: expected get, post-form, post-direct or construct")
    json.dump(sparql.query().convert(), sys.stdout)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    main(*sys.argv[1:])
