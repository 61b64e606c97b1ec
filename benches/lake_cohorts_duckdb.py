"""DuckDB's side of benches/lake_cohorts.rs.

Usage: python lake_cohorts_duckdb.py SPEC.json
SPEC: {"lake": ROOT, "idc_index": PATH or null, "repetitions": N,
"queries": [{"name", "sql"}]}.
Creates the lake's tables as views over the same Parquet files rwid reads,
runs each query N times (the fastest counts) and prints one JSON line per
query: {"name", "seconds", "rows"}, rows as text cells, sorted.
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


def main(spec_path):
    with open(spec_path) as f:
        spec = json.load(f)
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
    for query in spec["queries"]:
        best = None
        rows = []
        for _ in range(spec["repetitions"]):
            started = time.perf_counter()
            result = con.execute(query["sql"]).fetchall()
            elapsed = time.perf_counter() - started
            best = elapsed if best is None else min(best, elapsed)
            rows = sorted([cell(v) for v in row] for row in result)
        sys.stdout.write(json.dumps({"name": query["name"], "seconds": best, "rows": rows}) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
