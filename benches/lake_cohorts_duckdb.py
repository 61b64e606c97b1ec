"""DuckDB's side of benches/lake_cohorts.rs.

Usage: python lake_cohorts_duckdb.py SPEC.json
SPEC: {"lake": ROOT, "idc_index": PATH or null}.
Creates the lake's tables as views over the same Parquet files rwid reads,
prints "ready", then answers one query per line of standard input: each line
is {"sql": TEXT}; the answer is one line {"seconds", "rows"}, the query run
once, rows as text cells, sorted, or {"error"} when DuckDB refuses it. The benchmark sends each query's runs
between rwid's and DataFusion's, so all three engines meet the same load on
a shared machine.
"""

import datetime
import decimal
import json
import os
import sys
import time

import duckdb


def cell(value):
    """A value as text, the way Arrow's formatter writes it."""
    if value is None:
        return "NULL"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(float(value))
    return str(value)


def connect(spec):
    """A connection with one view per lake table folder, and IDC's index."""
    con = duckdb.connect()
    lake = spec["lake"]
    for schema in sorted(os.listdir(lake)):
        schema_path = os.path.join(lake, schema)
        if not os.path.isdir(schema_path):
            continue
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        for table in sorted(os.listdir(schema_path)):
            files = os.path.join(schema_path, table, "*.parquet")
            con.execute(f"CREATE VIEW {schema}.{table} AS SELECT * FROM read_parquet('{files}')")
    if spec.get("idc_index"):
        con.execute(f"CREATE VIEW idc_index AS SELECT * FROM read_parquet('{spec['idc_index']}')")
    return con


def main(spec_path):
    with open(spec_path) as f:
        con = connect(json.load(f))
    print("ready", flush=True)
    for line in sys.stdin:
        sql = json.loads(line)["sql"]
        started = time.perf_counter()
        try:
            result = con.execute(sql).fetchall()
        except duckdb.Error as error:
            print(json.dumps({"error": str(error).splitlines()[0]}), flush=True)
            continue
        seconds = time.perf_counter() - started
        rows = sorted([cell(v) for v in row] for row in result)
        print(json.dumps({"seconds": seconds, "rows": rows}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
