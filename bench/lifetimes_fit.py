"""The CLV fits of vipseg against the `lifetimes` library, on the same calibration summary.

    lifetimes_fit.py CLV_CALIBRATION_PARQUET PENALIZER

The summary is `sql/clv/clv_calibration.sql` run by DuckDB (bench/duckdb_run.py exports it): one
row per customer with frequency, recency_days, age_days, mean_repeat_value. vipseg fits BG/NBD on
(frequency, recency / 7, age / 7), in weeks, and Gamma-Gamma on repeat customers'
(frequency, mean_repeat_value) (src/models/clv/read.rs). lifetimes is fitted here the way its users
call it, one row per customer ("customers"), and on vipseg's compressed form, distinct patterns
with their counts as weights ("patterns"). Only the fits are timed. Prints one JSON document.
"""

import contextlib
import json
import sys
import time
import warnings

import duckdb
import numpy as np
from lifetimes import BetaGeoFitter, GammaGammaFitter

warnings.filterwarnings("ignore")


def timed(fit):
    started = time.perf_counter()
    try:
        with contextlib.redirect_stdout(sys.stderr):  # lifetimes prints scipy's result on failure
            model = fit()
        return {"seconds": round(time.perf_counter() - started, 3),
                "params": {k: float(v) for k, v in model.params_.items()}}
    except Exception as error:  # lifetimes raises ConvergenceError and numpy errors
        return {"seconds": round(time.perf_counter() - started, 3), "error": " ".join(str(error).split())[:200]}


def main() -> None:
    path, penalizer = sys.argv[1], float(sys.argv[2])
    con = duckdb.connect()
    cal = con.execute(f"""
        SELECT frequency::DOUBLE, recency_days / 7.0, age_days / 7.0, mean_repeat_value
        FROM read_parquet('{path}') ORDER BY customer_id
    """).fetchnumpy()
    f, rec, age, value = (np.asarray(cal[k]) for k in cal)
    pat = con.execute(f"""
        SELECT frequency::DOUBLE, recency_days / 7.0, age_days / 7.0, COUNT(*)::DOUBLE
        FROM read_parquet('{path}') GROUP BY ALL ORDER BY ALL
    """).fetchnumpy()
    pf, prec, page, pw = (np.asarray(pat[k]) for k in pat)
    spend = con.execute(f"""
        SELECT frequency::DOUBLE, mean_repeat_value, COUNT(*)::DOUBLE
        FROM read_parquet('{path}') WHERE frequency > 0 AND mean_repeat_value > 0 GROUP BY ALL ORDER BY ALL
    """).fetchnumpy()
    sf, sv, sw = (np.asarray(spend[k]) for k in spend)
    repeat = (f > 0) & (value > 0)
    report = {
        "customers": int(len(f)),
        "patterns": int(len(pf)),
        "repeat_customers": int(repeat.sum()),
        "spend_patterns": int(len(sf)),
        "bgnbd_customers": timed(lambda: BetaGeoFitter(penalizer_coef=penalizer).fit(f, rec, age)),
        "bgnbd_patterns": timed(lambda: BetaGeoFitter(penalizer_coef=penalizer).fit(pf, prec, page, weights=pw)),
        "gamma_gamma_customers": timed(
            lambda: GammaGammaFitter(penalizer_coef=penalizer).fit(f[repeat], value[repeat])),
        "gamma_gamma_patterns": timed(
            lambda: GammaGammaFitter(penalizer_coef=penalizer).fit(sf, sv, weights=sw)),
    }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
