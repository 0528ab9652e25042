"""BENCH_ID_INDEX=1 of bench/billing_pass/run: FerretDB 1.24 (SQLite) creates each collection's
_id index on `_ferretdb_sjson->"_id"` but looks documents up by `_ferretdb_sjson->'$._id' = ?`,
an expression SQLite does not match to that index: every find/update by _id scans the table
(EXPLAIN QUERY PLAN: SCAN). This adds, to every table of the database NEUROPOD_BENCH_DB in the
FerretDB data folder given, an index on the expression the lookups use, so that they SEARCH
USING INDEX as MongoDB's _id lookups do. Prints each table's plan before and after."""
import os
import sqlite3
import sys

folder = sys.argv[1]
name = os.environ["NEUROPOD_BENCH_DB"]
db = sqlite3.connect(os.path.join(folder, name + ".sqlite"), timeout=60)
tables = [r[0] for r in db.execute(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_ferretdb%' ESCAPE '\\'")]
for table in tables:
    probe = f"EXPLAIN QUERY PLAN SELECT 1 FROM \"{table}\" WHERE _ferretdb_sjson->'$._id' = ?"
    before = db.execute(probe, ("x",)).fetchall()[-1][-1]
    db.execute(f"CREATE INDEX IF NOT EXISTS \"{table}_bench_id\" ON \"{table}\" (_ferretdb_sjson->'$._id')")
    after = db.execute(probe, ("x",)).fetchall()[-1][-1]
    print(f"id_index: {table}: {before} -> {after}", file=sys.stderr)
db.commit()
db.close()
