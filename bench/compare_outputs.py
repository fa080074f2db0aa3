"""Are two vipseg runs' published tables the same? For the memory-limited run of `make bench`.

    compare_outputs.py OUT_A OUT_B AS_OF RUN_RESULTS_JSON

For every table the run results list as published (Parquet tables and audience CSV files; the
HTML report, which carries the run's times, is left out), compares the rows of
<out>/<table>/as_of=<D>/ in A and B as multisets (EXCEPT ALL both ways, so row order does not
matter): `identical` exactly, and `same_to_9_digits` with every floating-point value rounded to
9 significant digits (a spilled aggregation may add in another order). Prints one JSON document.
"""

import glob
import json
import sys

import duckdb


def relation(out: str, table: str, as_of: str) -> str | None:
    folder = f"{out}/{table}/as_of={as_of}"
    if glob.glob(f"{folder}/*.parquet"):
        return f"read_parquet('{folder}/*.parquet', hive_partitioning = false)"
    if glob.glob(f"{folder}/*.csv"):
        return f"read_csv('{folder}/*.csv', all_varchar = true, header = true)"
    return None


def main() -> None:
    out_a, out_b, as_of, run_json = sys.argv[1:5]
    tables = [t for t in json.load(open(run_json))["published"]["tables"] if t != "report"]
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    report = {}
    for table in tables:
        a, b = relation(out_a, table, as_of), relation(out_b, table, as_of)
        if a is None or b is None:
            report[table] = {"error": f"missing in {'A' if a is None else 'B'}"}
            continue
        try:
            columns = con.execute(f"DESCRIBE SELECT * FROM {a}").fetchall()
            rounded = ", ".join(
                f"printf('%.9g', \"{name}\") AS \"{name}\"" if kind in ("DOUBLE", "FLOAT") else f'"{name}"'
                for name, kind, *_ in columns)
            rows_a = con.execute(f"SELECT COUNT(*) FROM {a}").fetchone()[0]
            rows_b = con.execute(f"SELECT COUNT(*) FROM {b}").fetchone()[0]
            diff = lambda sel: con.execute(
                f"SELECT (SELECT COUNT(*) FROM (SELECT {sel} FROM {a} EXCEPT ALL SELECT {sel} FROM {b}))"
                f" + (SELECT COUNT(*) FROM (SELECT {sel} FROM {b} EXCEPT ALL SELECT {sel} FROM {a}))").fetchone()[0]
            exact = diff("*")
            report[table] = {"rows_a": rows_a, "rows_b": rows_b, "identical": exact == 0,
                             "same_to_9_digits": exact == 0 or diff(rounded) == 0, "differing_rows": exact}
        except duckdb.Error as error:
            report[table] = {"error": str(error).splitlines()[0][:200]}
    differ = sorted(t for t, r in report.items() if not r.get("identical"))
    print(json.dumps({"tables": len(report), "differ": differ,
                      "differ_beyond_9_digits": sorted(t for t, r in report.items() if not r.get("same_to_9_digits")),
                      "by_table": report}, indent=1))


if __name__ == "__main__":
    main()
