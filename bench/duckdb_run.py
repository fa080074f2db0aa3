"""Runs vipseg's SQL models in DuckDB on the same Parquet, for `make bench`.

The models are plain SQL: each file is run as `CREATE TABLE <model> AS <file>` in dependency
order (from `vipseg ls --json`), with the same `$name` parameters bound as typed values. The
models computed in Rust (the CLV fits) are not SQL: their published outputs from the vipseg run
are loaded as given inputs. Prints one JSON document: seconds and rows per model, and whether
the model is SQL (`kind: "sql"`, timed work) or a load of a Rust model's output (`kind: "rust"`).

    duckdb_run.py VIPSEG CONFIG AS_OF DATA_DIR VIPSEG_OUT_DIR VIPSEG_RUN_JSON [EXPORT_DIR]

With EXPORT_DIR, the CLV calibration summary (`clv_calibration`) is written there as Parquet after
the timed models, for bench/lifetimes_fit.py.
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
    # The lookalike model's training snapshot S = D - 12 months and its windows [S - n months, S).
    training = months_back(as_of, 12)
    values.update({
        "training_as_of": ts(training), "training_as_of_date": training,
        "training_start_3m": ts(months_back(training, 3)), "training_start_6m": ts(months_back(training, 6)),
        "training_start_12m": ts(months_back(training, 12)),
    })
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


# DuckDB stand-ins for functions DuckDB lacks: vipseg's audience normalisation UDFs (Rust, in
# src/export/normalize/) as simple string expressions of similar cost, not the same rules, and
# DataFusion's ENCODE(SHA256(x), 'hex') / TO_CHAR. Models that use one are flagged "standins".
STANDINS = {
    "normalize_email": "(e) AS NULLIF(LOWER(TRIM(e)), '')",
    "google_email": "(e) AS NULLIF(LOWER(TRIM(e)), '')",
    "country_code": "(c) AS NULLIF(UPPER(TRIM(c)), '')",
    "normalize_name": "(n) AS NULLIF(REGEXP_REPLACE(LOWER(TRIM(n)), '[^a-z]', '', 'g'), '')",
    "normalize_city": "(n) AS NULLIF(REGEXP_REPLACE(LOWER(TRIM(n)), '[^a-z]', '', 'g'), '')",
    "phone_e164": "(p, c) AS NULLIF(REGEXP_REPLACE(p, '[^0-9+]', '', 'g'), '')",
    "normalize_region": "(r, c) AS NULLIF(LOWER(TRIM(r)), '')",
    "normalize_zip": "(z, c) AS NULLIF(LOWER(REPLACE(TRIM(z), ' ', '')), '')",
    "google_zip": "(z, c) AS NULLIF(LOWER(REPLACE(TRIM(z), ' ', '')), '')",
    "to_char": "(x, f) AS STRFTIME(x, f)",
    "encode": "(x, f) AS x",  # DuckDB's SHA256 already returns lowercase hex
}


# DataFusion spellings that DuckDB writes otherwise, with the same meaning: the aggregate
# FIRST_VALUE(x ORDER BY y) is DuckDB's first(x ORDER BY y) (DuckDB's FIRST_VALUE is a window only).
REWRITES = [(re.compile(r"\bFIRST_VALUE\((?=[^()]*\bORDER BY\b[^()]*\)(?!\s*OVER))", re.IGNORECASE), "first(")]


def main() -> None:
    vipseg, config, as_of, data, out = sys.argv[1:6]
    as_of = dt.date.fromisoformat(as_of)
    run = json.load(open(sys.argv[6]))
    models = json.loads(subprocess.check_output([vipseg, "ls", "--json", "--config", config]))["models"]
    values = bound_values(as_of, run["params"], dt.datetime.now(dt.timezone.utc))
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE SCHEMA raw")
    for function, body in STANDINS.items():
        con.execute(f"CREATE MACRO {function}{body}")
    for source in ["orders", "order_lines", "customers", "returns", "support_tickets", "referrals", "reviews"]:
        con.execute(f"CREATE VIEW raw.{source} AS SELECT * FROM read_parquet('{data}/{source}/**/*.parquet')")
    report = []
    for model in models:
        name, started = model["name"], time.perf_counter()
        kind = "sql" if model["file"].endswith(".sql") else "rust"
        standins = []
        try:
            if kind == "sql":
                sql = open(model["file"]).read()
                for pattern, replacement in REWRITES:
                    sql = pattern.sub(replacement, sql)
                used = {k: values[k] for k in set(re.findall(r"\$([a-z_0-9]+)", sql))}
                standins = sorted(f for f in STANDINS if re.search(rf"\b{f}\s*\(", sql, re.IGNORECASE))
                con.execute(f"CREATE TABLE {name} AS {sql}", used)
            else:
                con.execute(f"CREATE TABLE {name} AS SELECT * FROM read_parquet('{out}/{name}/as_of={as_of}/*.parquet')")
            rows = con.execute(f"SELECT COUNT(*) FROM {name}").fetchone()[0]
            report.append({"model": name, "kind": kind, "seconds": round(time.perf_counter() - started, 3), "rows": rows}
                          | ({"standins": standins} if standins else {}))
        except duckdb.Error as error:
            report.append({"model": name, "kind": kind, "error": str(error).splitlines()[0][:200]}
                          | ({"standins": standins} if standins else {}))
            con.execute(f"CREATE TABLE IF NOT EXISTS {name} AS SELECT 1 AS failed WHERE false")
    if len(sys.argv) > 7:
        con.execute(f"COPY clv_calibration TO '{sys.argv[7]}/clv_calibration.parquet' (FORMAT parquet)")
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
