"""Runs vipseg's SQL models in DuckDB on the same Parquet, for `make bench`.

The models are plain SQL: each file is run as `CREATE TABLE <model> AS <file>` in dependency
order (from `vipseg ls --json`), with the same `$name` parameters bound as typed values. The
models computed in Rust (the CLV fits) are not SQL: their published outputs from the vipseg run
are loaded as given inputs. Prints one JSON document: seconds and rows per model.
"""

import datetime as dt
import json
import re
import subprocess
import sys
import time

import duckdb


def months_back(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def bound_values(as_of: dt.date, params: dict, started: dt.datetime) -> dict:
    """The values vipseg binds (src/config/params.rs, src/config/windows.rs), by placeholder name."""
    ts = lambda d: dt.datetime(d.year, d.month, d.day, tzinfo=dt.timezone.utc)
    values = {
        "as_of": ts(as_of), "as_of_date": as_of,
        "start_3m": ts(months_back(as_of, 3)), "start_6m": ts(months_back(as_of, 6)),
        "start_12m": ts(months_back(as_of, 12)), "start_24m": ts(months_back(as_of, 24)),
        "observation_end": as_of - dt.timedelta(days=1), "run_started_at": started,
    }
    holdout = months_back(as_of, params["clv_holdout_months"])
    values["holdout_start_date"] = holdout
    values["holdout_observation_end"] = holdout - dt.timedelta(days=1)
    for key, value in params.items():
        if isinstance(value, dict):
            for tier, number in value.items():
                prefix = "vip_share_" if key == "vip_tier_shares" else "vip_threshold_"
                values[prefix + tier] = float(number)
        else:
            values[key] = value
    return values


def main() -> None:
    vipseg, config, as_of, data, out = sys.argv[1:6]
    as_of = dt.date.fromisoformat(as_of)
    run = json.load(open(sys.argv[6]))
    models = json.loads(subprocess.check_output([vipseg, "ls", "--json", "--config", config]))["models"]
    values = bound_values(as_of, run["params"], dt.datetime.now(dt.timezone.utc))
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE SCHEMA raw")
    for source in ["orders", "order_lines", "customers", "returns", "support_tickets", "referrals", "reviews"]:
        con.execute(f"CREATE VIEW raw.{source} AS SELECT * FROM read_parquet('{data}/{source}/**/*.parquet')")
    report = []
    for model in models:
        name, started = model["name"], time.perf_counter()
        try:
            if model["file"].endswith(".sql"):
                sql = open(model["file"]).read()
                used = {k: values[k] for k in set(re.findall(r"\$([a-z_0-9]+)", sql))}
                con.execute(f"CREATE TABLE {name} AS {sql}", used)
            else:
                con.execute(f"CREATE TABLE {name} AS SELECT * FROM read_parquet('{out}/{name}/as_of={as_of}/*.parquet')")
            rows = con.execute(f"SELECT COUNT(*) FROM {name}").fetchone()[0]
            report.append({"model": name, "seconds": round(time.perf_counter() - started, 3), "rows": rows})
        except duckdb.Error as error:
            report.append({"model": name, "error": str(error).splitlines()[0][:200]})
            con.execute(f"CREATE TABLE IF NOT EXISTS {name} AS SELECT 1 AS failed WHERE false")
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
