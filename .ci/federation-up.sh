#!/usr/bin/env bash
# Distributed federation on loopback: three archives as separate `benchgraph serve` processes, a fourth archive
# exported into Virtuoso Open Source, and a federating server over all four (/sparql).
#   .ci/federation-up.sh WORKDIR      start everything; writes WORKDIR/endpoints.env and WORKDIR/federation.yaml
#   .ci/federation-down.sh WORKDIR    stop it
# Needs virtuoso-t and isql-vt (.ci/setup-virtuoso.sh installs them). Logs go to WORKDIR/logs.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="${1:?usage: .ci/federation-up.sh WORKDIR}"
mkdir -p "$WORK/logs"
WORK="$(cd "$WORK" && pwd)"
NODE="$ROOT/node_modules/.bin/node"
CLI="$ROOT/src/cli.ts"
DATA="$WORK/data"
PIDS="$WORK/pids"
# Record IRIs are minted under this base at ingest; each server must publish the same (void:uriSpace).
BASE="http://localhost:8080/"
: > "$PIDS"

for tool in virtuoso-t isql-vt; do
  command -v "$tool" >/dev/null 2>&1 || { echo "federation-up: $tool not found; run .ci/setup-virtuoso.sh" >&2; exit 1; }
done

# Free loopback ports, chosen by the OS.
read -r P1 P2 P3 PV PVSQL PF < <("$NODE" -e '
  const net = require("node:net");
  const one = () => new Promise((ok) => { const s = net.createServer().listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => ok(p)); }); });
  (async () => { const ps = []; while (ps.length < 6) { const p = await one(); if (!ps.includes(p)) ps.push(p); } console.log(ps.join(" ")); })();')

echo "federation-up: ingesting the demo labs and one generated lab into $DATA"
for lab in stroke-lab visual-lab memory-lab; do
  "$NODE" "$CLI" ingest --data "$DATA" --base "$BASE" --archive "$lab" "$ROOT/examples/$lab" > "$WORK/logs/ingest-$lab.log" 2>&1 || [ $? -eq 1 ]
done
"$NODE" "$CLI" generate --labs 1 --seed 7 --sessions 150 --out "$WORK/generated" > "$WORK/logs/generate.log" 2>&1
"$NODE" "$CLI" ingest --data "$DATA" --base "$BASE" --archive lab-001 "$WORK/generated/lab-001" > "$WORK/logs/ingest-lab-001.log" 2>&1 || [ $? -eq 1 ]

start() { # name, log, command...
  local name="$1" log="$2"; shift 2
  "$@" > "$log" 2>&1 &
  echo "$! $name" >> "$PIDS"
}
wait_http() { # url, what
  for _ in $(seq 1 120); do
    if curl -fsS -o /dev/null "$1" 2>/dev/null; then return 0; fi
    sleep 0.5
  done
  echo "federation-up: $2 did not answer at $1 (logs in $WORK/logs)" >&2
  exit 1
}

echo "federation-up: three benchgraph serve processes"
start stroke-lab "$WORK/logs/serve-stroke-lab.log" "$NODE" "$CLI" serve --data "$DATA" --archive stroke-lab --port "$P1" --workers 1 --base "$BASE"
start visual-lab "$WORK/logs/serve-visual-lab.log" "$NODE" "$CLI" serve --data "$DATA" --archive visual-lab --port "$P2" --workers 1 --base "$BASE"
start memory-lab "$WORK/logs/serve-memory-lab.log" "$NODE" "$CLI" serve --data "$DATA" --archive memory-lab --port "$P3" --workers 1 --base "$BASE"

echo "federation-up: Virtuoso with lab-001 (HTTP $PV, SQL $PVSQL)"
VDIR="$WORK/virtuoso"
mkdir -p "$VDIR/db" "$VDIR/import"
"$NODE" "$CLI" export --data "$DATA" --archive lab-001 --out "$VDIR/import/lab-001.nq" 2> "$WORK/logs/export.log"
# The package's web root, wherever the Debian package put it (an empty directory serves /sparql just as well).
VSP="$(dpkg -L virtuoso-opensource-7 2>/dev/null | grep -m1 '/vsp$' || true)"
[ -n "$VSP" ] && [ -d "$VSP" ] || VSP="$VDIR"
cat > "$VDIR/virtuoso.ini" <<INI
[Database]
DatabaseFile = $VDIR/db/virtuoso.db
ErrorLogFile = $VDIR/db/virtuoso.log
LockFile = $VDIR/db/virtuoso.lck
TransactionFile = $VDIR/db/virtuoso.trx
xa_persistent_file = $VDIR/db/virtuoso.pxa
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = $VDIR/db/virtuoso-temp.db
TransactionFile = $VDIR/db/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0
[Parameters]
ServerPort = 127.0.0.1:$PVSQL
DisableUnixSocket = 1
DirsAllowed = ., $VDIR/import
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
CheckpointInterval = 0
[HTTPServer]
ServerPort = 127.0.0.1:$PV
ServerRoot = $VSP
ServerThreads = 10
[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 60
MaxQueryCostEstimationTime = 400
INI
start virtuoso "$WORK/logs/virtuoso.log" virtuoso-t -f -c "$VDIR/virtuoso.ini"
wait_http "http://127.0.0.1:$PV/sparql?query=ASK%7B%7D" "Virtuoso"
isql-vt "127.0.0.1:$PVSQL" dba dba exec="ld_dir('$VDIR/import', '*.nq', 'urn:benchgraph:default'); rdf_loader_run(); checkpoint;" > "$WORK/logs/virtuoso-load.log" 2>&1
if isql-vt "127.0.0.1:$PVSQL" dba dba exec="SELECT COUNT(*) FROM DB.DBA.load_list WHERE ll_state <> 2 OR ll_error IS NOT NULL;" 2>/dev/null | grep -Eq '^[1-9][0-9]* *$'; then
  echo "federation-up: Virtuoso did not load every file (see $WORK/logs/virtuoso-load.log)" >&2
  exit 1
fi

for p in "$P1" "$P2" "$P3"; do wait_http "http://127.0.0.1:$p/health" "benchgraph serve on $p"; done

cat > "$WORK/federation.yaml" <<YAML
# Written by .ci/federation-up.sh: three benchgraph archives over HTTP and one archive in Virtuoso.
timeout: 20s
sources:
  - { name: stroke-lab, type: benchgraph, url: "http://127.0.0.1:$P1/archives/stroke-lab" }
  - { name: visual-lab, type: benchgraph, url: "http://127.0.0.1:$P2/archives/visual-lab" }
  - { name: memory-lab, type: benchgraph, url: "http://127.0.0.1:$P3/archives/memory-lab" }
  - name: lab-001
    type: sparql
    url: "http://127.0.0.1:$PV/sparql"
    uriSpace: "${BASE}id/lab-001/"
    license: "http://spdx.org/licenses/CC-BY-4.0"
    citation: "Generated lab 1 (benchgraph generate --labs 1 --seed 7), exported to Virtuoso"
YAML

echo "federation-up: federating server on $PF"
mkdir -p "$WORK/empty"
start federator "$WORK/logs/federator.log" "$NODE" "$CLI" serve --data "$WORK/empty" --federation "$WORK/federation.yaml" --port "$PF" --workers 1
wait_http "http://127.0.0.1:$PF/health" "the federating server"

cat > "$WORK/endpoints.env" <<ENV
FEDERATION_URL=http://127.0.0.1:$PF/sparql
STROKE_LAB_URL=http://127.0.0.1:$P1/archives/stroke-lab
VISUAL_LAB_URL=http://127.0.0.1:$P2/archives/visual-lab
MEMORY_LAB_URL=http://127.0.0.1:$P3/archives/memory-lab
VIRTUOSO_URL=http://127.0.0.1:$PV/sparql
DATA_DIR=$DATA
ENV
echo "federation-up: ready; endpoints in $WORK/endpoints.env"
