"""The floor of `make bench`: the least work any engine must do on the order history.

    floor.py DATA_DIR OUT_FILE

A plain DuckDB join of order_lines to orders, aggregated per customer (completed orders' gross
revenue and order count), written to Parquet. Run in its own process so /usr/bin/time measures its
wall time and peak RSS alone. Prints {"seconds": ..., "rows": ...} (seconds of the query only).
"""

import json
import sys
import time

import duckdb

data, out = sys.argv[1:3]
con = duckdb.connect()
started = time.perf_counter()
con.execute(f"""
    COPY (
        SELECT o.customer_id, SUM(l.quantity * l.unit_price) AS gross_revenue, COUNT(DISTINCT o.order_id) AS orders
        FROM read_parquet('{data}/order_lines/**/*.parquet', hive_partitioning = false) AS l
        JOIN read_parquet('{data}/orders/**/*.parquet', hive_partitioning = false) AS o USING (order_id)
        WHERE o.status = 'completed'
        GROUP BY 1
    ) TO '{out}' (FORMAT parquet)
""")
seconds = time.perf_counter() - started
rows = con.execute(f"SELECT COUNT(*) FROM read_parquet('{out}')").fetchone()[0]
print(json.dumps({"seconds": round(seconds, 3), "rows": rows}))
