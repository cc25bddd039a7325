"""Real-client check: rdflib dereferences a Linked Data IRI (HTTP GET with its own Accept header) and parses it.

usage: /usr/bin/python3 rdflib_dereference.py URL [FORMAT]
  FORMAT is an rdflib parser name (turtle, json-ld, xml); without it rdflib negotiates and picks the parser from
  the response's Content-Type. Prints the parsed graph as sorted N-Triples.
"""
import sys

import rdflib


def main(url, fmt=None):
    graph = rdflib.Graph()
    graph.parse(url, format=fmt)
    lines = graph.serialize(format="nt")
    if isinstance(lines, bytes):
        lines = lines.decode("utf-8")
    sys.stdout.write("\n".join(sorted(line for line in lines.splitlines() if line.strip())) + "\n")


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        raise SystemExit(__doc__)
    main(*sys.argv[1:])
