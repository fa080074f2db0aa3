"""Gathers one `make bench` run's measurements into results.json and results.md.

    report.py WORK_DIR RESULTS_DIR VIPSEG "DATASETS" "SIZES"

Reads WORK_DIR/results/<dataset>-<size>/ (written by bench/run), for each of the two rounds
(files of round 2 end in `-2`): vipseg-run.json and vipseg-time.json (the run results,
/usr/bin/time's wall and peak RSS), duckdb-run.json and duckdb-time.json, floor.json and
floor-time.json; once: lifetimes.json, and, where the memory-limited run was made,
limited-run.json, limited-time.json and compare.json. No assertions: the goals are
marked met or not met.
"""

import datetime as dt
import json
import os
import platform
import subprocess
import sys
from importlib import metadata

GIB = 1024 ** 3
GOALS = {
    "sql_vs_duckdb": 0.8,   # vipseg's SQL models / DuckDB on the same SQL
    "job_vs_floor": 4.0,    # vipseg's whole job / the floor query
    "peak_rss_gib": 2.0,    # vipseg's peak RSS
    "scaling": 12.0,        # 10x the customers: at most 12x the time
}


def load(path: str):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def load_time(path: str):
    """/usr/bin/time -o output: a JSON line, after "Command exited with non-zero status N" if it failed."""
    try:
        lines = open(path).read().strip().splitlines()
    except OSError:
        return None
    out = json.loads(lines[-1]) if lines else None
    if out is not None:
        out["exit_code"] = int(lines[0].rsplit(" ", 1)[-1]) if len(lines) > 1 and "status" in lines[0] else 0
        out["peak_rss_mib"] = round(out.pop("peak_rss_kb") / 1024, 1)
    return out


def machine(vipseg: str) -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), None)
    mem_kb = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    git = lambda *a: subprocess.run(["git", *a], capture_output=True, text=True).stdout.strip()
    version = lambda p: (metadata.version(p) if p in {d.metadata["Name"].lower() for d in metadata.distributions()}
                         else None)
    return {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "load_avg_15min": float(open("/proc/loadavg").read().split()[2]),
        "nproc": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 ** 2, 1),
        "cpu": cpu,
        "os": platform.platform(),
        "git_commit": git("rev-parse", "HEAD"),
        "git_dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        "vipseg": vipseg,
        "vipseg_version": subprocess.run([vipseg, "--version"], capture_output=True, text=True).stdout.strip() or None,
        "vipseg_built": dt.datetime.fromtimestamp(os.path.getmtime(vipseg), dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "duckdb": version("duckdb"),
        "lifetimes": version("lifetimes"),
        "python": platform.python_version(),
    }


def ratio(a, b, digits=2):
    return round(a / b, digits) if a is not None and b else None


ROUNDS = ("", "-2")  # file suffixes of bench/run's two rounds; round 1 is the published run


def best(values):
    """The better (smaller) of the rounds' figures: noise on a shared machine only adds time."""
    values = [v for v in values if v is not None]
    return min(values) if values else None


def highest(values):
    """The higher of the rounds' figures: for memory, where the goal is a bound."""
    values = [v for v in values if v is not None]
    return max(values) if values else None


def model_seconds(rounds: list, name: str):
    return best([(r.get(name) or {}).get("seconds") for r in rounds])


def merged_models(rounds: list) -> dict:
    """Round 1's per-model entries, with each model's better seconds and every round's."""
    return {name: {**x, "seconds": model_seconds(rounds, name),
                   "rounds_seconds": [(r.get(name) or {}).get("seconds") for r in rounds]}
            for name, x in (rounds[0] if rounds else {}).items()}


def vipseg_round(run, vtime) -> dict:
    models = (run or {}).get("models") or []
    # a failed run stopped early: its time is no measurement of the whole job
    ok = (run or {}).get("status") == "success"
    return {
        "wall_s": (vtime or {}).get("wall_s") if ok else None,
        "peak_rss_mib": (vtime or {}).get("peak_rss_mib"),
        "sql_s": round(sum(x["seconds"] or 0 for x in models if x["file"].endswith(".sql")), 3) if ok else None,
        "models": {x["name"]: {"kind": "sql" if x["file"].endswith(".sql") else "rust", "seconds": x["seconds"],
                               "rows": x["rows"], "status": x["status"]} for x in models},
    }


def duckdb_round(duck, dtime) -> dict:
    return {
        "wall_s": (dtime or {}).get("wall_s"),
        "peak_rss_mib": (dtime or {}).get("peak_rss_mib"),
        "sql_s": round(sum(x.get("seconds", 0) for x in duck if x.get("kind") == "sql"), 3) if duck else None,
        "models": {x["model"]: {k: v for k, v in x.items() if k != "model"} for x in duck},
    }


def measure(folder: str, dataset: str, size: int) -> dict:
    run, vtime = load(f"{folder}/vipseg-run.json"), load_time(f"{folder}/vipseg-time.json")
    duck = load(f"{folder}/duckdb-run.json") or []
    fits = load(f"{folder}/lifetimes.json")
    generate, gtime = load(f"{folder}/generate.json") or {}, load_time(f"{folder}/generate-time.json") or {}
    m = {"dataset": dataset, "customers": size, "binary": load(f"{folder}/binary.json"),
         "generate": {"wall_s": gtime.get("wall_s"), "peak_rss_mib": gtime.get("peak_rss_mib"), "rows": generate.get("rows")}}
    vrounds = [vipseg_round(load(f"{folder}/vipseg{s}-run.json"), load_time(f"{folder}/vipseg{s}-time.json"))
               for s in ROUNDS if os.path.exists(f"{folder}/vipseg{s}-time.json")]
    drounds = [duckdb_round(load(f"{folder}/duckdb{s}-run.json") or [], load_time(f"{folder}/duckdb{s}-time.json"))
               for s in ROUNDS if os.path.exists(f"{folder}/duckdb{s}-run.json")]
    frounds = [(load(f"{folder}/floor{s}.json") or {}, load_time(f"{folder}/floor{s}-time.json") or {})
               for s in ROUNDS if os.path.exists(f"{folder}/floor{s}-time.json")]
    lines = next((q["input_rows"] for q in (run or {}).get("data_quality") or [] if q["source"] == "order_lines"), None)
    orders = next((q["input_rows"] for q in (run or {}).get("data_quality") or [] if q["source"] == "orders"), None)
    m["input_rows"] = {"orders": orders, "order_lines": lines}
    wall = best([r["wall_s"] for r in vrounds])
    vmodels = [r["models"] for r in vrounds]
    m["vipseg"] = {
        "status": (run or {}).get("status"),
        "error": (run or {}).get("error"),
        "exit_code": (vtime or {}).get("exit_code"),
        "wall_s": wall,
        "rounds_wall_s": [r["wall_s"] for r in vrounds],
        "user_s": (vtime or {}).get("user_s"),
        "peak_rss_mib": highest([r["peak_rss_mib"] for r in vrounds]),
        "rounds_peak_rss_mib": [r["peak_rss_mib"] for r in vrounds],
        "elapsed_s": (run or {}).get("elapsed_seconds"),
        "order_lines_per_s": round(lines / wall) if lines and wall else None,
        "sql_s": best([r["sql_s"] for r in vrounds]),
        "rounds_sql_s": [r["sql_s"] for r in vrounds],
        "clv_fit_s": model_seconds(vmodels, "clv_model"),
        "models": merged_models(vmodels),
    }
    dmodels = [r["models"] for r in drounds]
    m["duckdb"] = {
        "wall_s": best([r["wall_s"] for r in drounds]),
        "peak_rss_mib": highest([r["peak_rss_mib"] for r in drounds]),
        "sql_s": best([r["sql_s"] for r in drounds]),
        "rounds_sql_s": [r["sql_s"] for r in drounds],
        "failed_models": {x["model"]: x["error"] for x in duck if "error" in x},
        "standin_models": sorted(x["model"] for x in duck if x.get("standins")),
        "models": merged_models(dmodels),
    }
    # SQL part compared on the SQL models DuckDB could run (all of them, unless some failed):
    # each side's better round, and round by round (the spread).
    common = [x["model"] for x in duck if x.get("kind") == "sql" and "error" not in x]
    in_common = lambda models: sum((models.get(n) or {}).get("seconds") or 0 for n in common)
    vip_common = [in_common(r["models"]) if r["sql_s"] is not None else None for r in vrounds]
    duck_common = [in_common(d) for d in dmodels]
    sql_rounds = [ratio(v, d) for v, d in zip(vip_common, duck_common)]
    floor, ftime = frounds[0] if frounds else ({}, {})
    m["floor"] = {"wall_s": best([t.get("wall_s") for _, t in frounds]),
                  "rounds_wall_s": [t.get("wall_s") for _, t in frounds],
                  "query_s": best([f.get("seconds") for f, _ in frounds]),
                  "peak_rss_mib": ftime.get("peak_rss_mib"), "rows": floor.get("rows")}
    m["lifetimes"] = fits
    if fits and run and (run.get("fits") or {}).get("clv_model", {}).get("bgnbd"):
        ours = run["fits"]["clv_model"]["bgnbd"]["params"]
        theirs = (fits.get("bgnbd_customers") or {}).get("params")
        if theirs:
            m["lifetimes"]["bgnbd_max_rel_diff"] = max(abs(ours[k] - theirs[k]) / abs(theirs[k]) for k in ours)
        m["lifetimes"]["vipseg_bgnbd"] = ours
        m["lifetimes"]["vipseg_clv_customers"] = run["fits"]["clv_model"]["bgnbd"].get("n_customers")
        m["lifetimes"]["vipseg_gamma_gamma"] = (run["fits"]["clv_model"].get("gamma_gamma") or {}).get("params")
        m["lifetimes"]["vipseg_spend_model"] = (run["fits"]["clv_model"].get("spend") or {}).get("model")
    limited = load(f"{folder}/limited-run.json")
    if limited is not None or os.path.exists(f"{folder}/limited-time.json"):
        ltime, compare = load_time(f"{folder}/limited-time.json"), load(f"{folder}/compare.json")
        m["memory_limited"] = {
            "memory_limit": open(f"{folder}/limited-limit.txt").read().strip() if os.path.exists(f"{folder}/limited-limit.txt") else None,
            "status": (limited or {}).get("status"),
            "error": (limited or {}).get("error"),
            "wall_s": (ltime or {}).get("wall_s"),
            "peak_rss_mib": (ltime or {}).get("peak_rss_mib"),
            "tables_compared": (compare or {}).get("tables"),
            "tables_differ": (compare or {}).get("differ"),
            "tables_differ_beyond_9_digits": (compare or {}).get("differ_beyond_9_digits"),
        }
    m["ratios"] = {
        "sql_vs_duckdb": ratio(best(vip_common), best(duck_common)),
        "rounds_sql_vs_duckdb": sql_rounds,
        "sql_vs_duckdb_models": len(common),
        "job_vs_floor": ratio(m["vipseg"]["wall_s"], m["floor"]["wall_s"]),
        "clv_fit_vs_lifetimes": ratio(m["vipseg"]["clv_fit_s"],
                                      ((fits or {}).get("bgnbd_customers") or {}).get("seconds"), 3),
    }
    return m


def scaling(results: list) -> dict:
    out = {}
    for dataset in dict.fromkeys(r["dataset"] for r in results):
        rs = sorted((r for r in results if r["dataset"] == dataset), key=lambda r: r["customers"])
        if len(rs) >= 2 and rs[0]["vipseg"]["wall_s"] and rs[-1]["vipseg"]["wall_s"]:
            small, large = rs[0], rs[-1]
            out[dataset] = {
                "from": small["customers"], "to": large["customers"],
                "customers_factor": round(large["customers"] / small["customers"], 2),
                "time_factor": ratio(large["vipseg"]["wall_s"], small["vipseg"]["wall_s"]),
                "peak_rss_factor": ratio(large["vipseg"]["peak_rss_mib"], small["vipseg"]["peak_rss_mib"]),
                "duckdb_sql_time_factor": ratio(large["duckdb"]["sql_s"], small["duckdb"]["sql_s"]),
            }
    return out


def goals(results: list, scale: dict) -> list:
    def verdict(values, test):
        values = [v for v in values if v is not None]
        return ("not measured" if not values else "met" if all(test(v) for v in values) else "not met")
    limited = [r["memory_limited"] for r in results if "memory_limited" in r]
    return [
        {"goal": f"SQL part ≤ {GOALS['sql_vs_duckdb']}× DuckDB",
         "values": {f"{r['dataset']}-{r['customers']}": r["ratios"]["sql_vs_duckdb"] for r in results},
         "verdict": verdict([r["ratios"]["sql_vs_duckdb"] for r in results], lambda v: v <= GOALS["sql_vs_duckdb"])},
        {"goal": f"whole job ≤ {GOALS['job_vs_floor']:g}× floor",
         "values": {f"{r['dataset']}-{r['customers']}": r["ratios"]["job_vs_floor"] for r in results},
         "verdict": verdict([r["ratios"]["job_vs_floor"] for r in results], lambda v: v <= GOALS["job_vs_floor"])},
        {"goal": f"peak RSS ≤ {GOALS['peak_rss_gib']:g} GiB (MiB)",
         "values": {f"{r['dataset']}-{r['customers']}": r["vipseg"]["peak_rss_mib"] for r in results},
         "verdict": verdict([r["vipseg"]["peak_rss_mib"] for r in results], lambda v: v <= GOALS["peak_rss_gib"] * 1024)},
        {"goal": "memory_limit = 1GiB completes with the same tables",
         "values": {f"{r['dataset']}-{r['customers']}": {"status": r["memory_limited"]["status"],
                                                         "differ": r["memory_limited"]["tables_differ"]
                                                         if r["memory_limited"]["status"] == "success" else None}
                    for r in results if "memory_limited" in r},
         "verdict": verdict([l["status"] == "success" and l["tables_differ"] == [] for l in limited], bool)},
        {"goal": f"10× customers ≤ {GOALS['scaling']:g}× time",
         "values": {d: s["time_factor"] for d, s in scale.items()},
         "verdict": verdict([s["time_factor"] for s in scale.values() if s["customers_factor"] == 10],
                            lambda v: v <= GOALS["scaling"])},
    ]


def fmt(v, digits=2):
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def markdown(doc: dict) -> str:
    mach, results = doc["machine"], doc["results"]
    out = [f"# `make bench`: vipseg vs DuckDB, the floor query and lifetimes\n",
           f"{mach['date']} · {mach['nproc']} cores · {mach['memory_gib']} GiB · {mach['cpu']} · "
           f"load average (15 min) at the end {mach['load_avg_15min']} · "
           f"commit `{mach['git_commit'][:10]}`{' (with uncommitted changes)' if mach['git_dirty'] else ''} · "
           f"`{mach['vipseg']}` (built {mach['vipseg_built']}) · DuckDB {mach['duckdb']} · lifetimes {mach['lifetimes']} · Python {mach['python']}\n",
           "Generated by `bench/run` (`make bench`); how to read it: `bench/README.md`. "
           "Times are wall seconds, RSS is peak resident memory.\n",
           *([f"**Not measured**: {', '.join(doc['not_measured'])}.\n"] if doc["not_measured"] else []),
           "## Goals\n", "| goal | measured | verdict |", "|---|---|---|"]
    for g in doc["goals"]:
        values = ", ".join(f"{k}: {fmt(v) if not isinstance(v, dict) else v['status'] + (', differ: ' + (', '.join(v['differ']) or 'none') if v['differ'] is not None else '')}"
                           for k, v in g["values"].items()) or "–"
        out.append(f"| {g['goal']} | {values} | **{g['verdict']}** |")
    out += ["\n## Runs\n",
            "Each size is measured in two rounds (vipseg, then DuckDB, then the floor; twice): the figures are each "
            "side's better round, and the rounds are shown in brackets. vipseg SQL s is the sum of its SQL models' "
            "seconds (one model at a time, as DuckDB runs them); peak RSS is the higher round.\n",
            "| dataset | customers | orders | order lines | vipseg s | vipseg peak RSS MiB | lines/s | vipseg SQL s | "
            "DuckDB SQL s | SQL ratio | floor s | floor RSS MiB | job / floor | vipseg CLV fit s | lifetimes BG/NBD fit s | "
            "1GiB-limited run |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    rounds = lambda values: " (" + " / ".join(fmt(x) for x in values) + ")" if len(values) > 1 else ""
    for r in results:
        v, d, f, lt, ra = r["vipseg"], r["duckdb"], r["floor"], r["lifetimes"] or {}, r["ratios"]
        lim = r.get("memory_limited")
        lim_text = "not run" if lim is None else (
            f"{lim['status']}, {fmt(lim['wall_s'])} s, {fmt(lim['peak_rss_mib'], 0)} MiB, "
            + (f"error: {(lim['error'] or {}).get('message', '?')[:160]}" if lim["status"] != "success"
               else "same tables" if lim["tables_differ"] == []
               else f"differ: {', '.join(lim['tables_differ'] or ['?'])}"))
        status = "" if v["status"] == "success" else f" ({v['status']})"
        out.append(f"| {r['dataset']} | {fmt(r['customers'])} | {fmt(r['input_rows']['orders'])} | "
                   f"{fmt(r['input_rows']['order_lines'])} | {fmt(v['wall_s'])}{rounds(v['rounds_wall_s'])}{status} | "
                   f"{fmt(v['peak_rss_mib'], 0)} | {fmt(v['order_lines_per_s'])} | "
                   f"{fmt(v['sql_s'])}{rounds(v['rounds_sql_s'])} | {fmt(d['sql_s'])}{rounds(d['rounds_sql_s'])} | "
                   f"{fmt(ra['sql_vs_duckdb'])}{rounds(ra['rounds_sql_vs_duckdb'])} | "
                   f"{fmt(f['wall_s'])} | {fmt(f['peak_rss_mib'], 0)} | {fmt(ra['job_vs_floor'])} | {fmt(v['clv_fit_s'], 3)} | "
                   f"{fmt((lt.get('bgnbd_customers') or {}).get('seconds'), 3)} | {lim_text} |")
    builds = {f"{r['dataset']}-{r['customers']}": (r.get("binary") or {}).get("built") for r in results}
    if len(set(builds.values())) > 1:
        out.append("\n**The binary was rebuilt during the benchmark**: built " + ", ".join(
            f"{b} for {k}" for k, b in builds.items()) + ".")
    if doc["scaling"]:
        out += ["\n## Scaling\n", "| dataset | customers | time × | peak RSS × | DuckDB SQL time × |", "|---|---|---:|---:|---:|"]
        for ds, s in doc["scaling"].items():
            out.append(f"| {ds} | {fmt(s['from'])} → {fmt(s['to'])} (×{fmt(s['customers_factor'], 0)}) | "
                       f"{fmt(s['time_factor'])} | {fmt(s['peak_rss_factor'])} | {fmt(s['duckdb_sql_time_factor'])} |")
    out += ["\n## CLV fit: vipseg against lifetimes on the same calibration summary\n",
            "lifetimes fitted on one row per customer (as its users call it) and on vipseg's distinct patterns "
            "with counts as weights; BG/NBD in weeks.\n",
            "| dataset | customers | vipseg r, α, a, b | lifetimes r, α, a, b | max rel. diff | vipseg fit s | "
            "lifetimes s (customers / patterns) | Gamma-Gamma vipseg p, q, γ | lifetimes p, q, v | lifetimes GG s |",
            "|---|---:|---|---|---:|---:|---|---|---|---|"]
    for r in results:
        lt = r["lifetimes"] or {}
        p4 = lambda p: ", ".join(f"{p[k]:.4g}" for k in ("r", "alpha", "a", "b")) if p else "–"
        p3 = lambda p, ks: ", ".join(f"{p[k]:.4g}" for k in ks) if p else "–"
        bc, bp = lt.get("bgnbd_customers") or {}, lt.get("bgnbd_patterns") or {}
        gc, gp = lt.get("gamma_gamma_customers") or {}, lt.get("gamma_gamma_patterns") or {}
        gg_lt = p3(gc.get("params"), ("p", "q", "v")) if gc.get("params") else f"failed: {gc.get('error', '–')}"
        out.append(f"| {r['dataset']} | {fmt(r['customers'])} | {p4(lt.get('vipseg_bgnbd'))} | "
                   f"{p4(bc.get('params')) if bc.get('params') else 'failed: ' + str(bc.get('error'))} | "
                   f"{fmt(lt.get('bgnbd_max_rel_diff'), 7) if lt.get('bgnbd_max_rel_diff') is not None else '–'} | "
                   f"{fmt(r['vipseg']['clv_fit_s'], 3)} | {fmt(bc.get('seconds'), 3)} / {fmt(bp.get('seconds'), 3)} | "
                   f"{p3(lt.get('vipseg_gamma_gamma'), ('p', 'q', 'gamma'))} (used: {lt.get('vipseg_spend_model', '–')}) | "
                   f"{gg_lt} | {fmt(gc.get('seconds'), 3)} / {fmt(gp.get('seconds'), 3)} |")
    # Per-model tables at the largest size of each dataset.
    for dataset in dict.fromkeys(r["dataset"] for r in results):
        r = max((r for r in results if r["dataset"] == dataset), key=lambda r: r["customers"])
        v, d = r["vipseg"]["models"], r["duckdb"]["models"]
        out += [f"\n## Per model: {dataset}, {fmt(r['customers'])} customers\n",
                "Seconds: each side's better round, model by model; the SQL totals are the better round's sums "
                "(the lower of the two totals, so the models add up to a little less). "
                "vipseg views are inlined into the tables that read them (their time is in those tables); DuckDB "
                "materialises every model. Rust models' rows in DuckDB are loads of vipseg's outputs (not timed in "
                "the SQL totals). ◇: DuckDB used stand-ins for vipseg's UDFs (bench/duckdb_run.py).\n",
                "| model | kind | vipseg s | DuckDB s | vipseg / DuckDB | vipseg rows | DuckDB rows |",
                "|---|---|---:|---:|---:|---:|---:|"]
        for name in dict.fromkeys(list(v) + list(d)):
            vm, dm = v.get(name) or {}, d.get(name) or {}
            rows = fmt(vm.get("rows")) if vm.get("rows") is not None else "(view)"
            mark = " ◇" if dm.get("standins") else ""
            out.append(f"| {name}{mark} | {vm.get('kind') or dm.get('kind')} | {fmt(vm.get('seconds'))} | "
                       f"{fmt(dm.get('seconds')) if 'error' not in dm else 'error'} | "
                       f"{fmt(ratio(vm.get('seconds'), dm.get('seconds'))) if vm.get('kind') == 'sql' and vm.get('rows') is not None else '–'} | {rows} | "
                       f"{fmt(dm.get('rows')) if 'error' not in dm else dm['error'][:80]} |")
        out.append(f"| **SQL total** | | **{fmt(r['vipseg']['sql_s'])}** | **{fmt(r['duckdb']['sql_s'])}** | "
                   f"**{fmt(ratio(r['vipseg']['sql_s'], r['duckdb']['sql_s']))}** | | |")
    return "\n".join(out) + "\n"


def main() -> None:
    work, results_dir, vipseg, datasets, sizes = sys.argv[1:6]
    results, missing = [], []
    for dataset in datasets.split():
        for size in sizes.split():
            folder = f"{work}/results/{dataset}-{size}"
            if os.path.isfile(f"{folder}/vipseg-time.json"):
                results.append(measure(folder, dataset, int(size)))
            else:
                missing.append(f"{dataset}-{size}")
    scale = scaling(results)
    doc = {"machine": machine(vipseg), "not_measured": missing, "goals": goals(results, scale), "scaling": scale,
           "results": results}
    with open(f"{results_dir}/results.json", "w") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")
    with open(f"{results_dir}/results.md", "w") as f:
        f.write(markdown(doc))


if __name__ == "__main__":
    main()
