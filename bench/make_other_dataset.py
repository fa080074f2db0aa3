"""A benchmark dataset of a different shape from `vipseg generate`, written with DuckDB SQL.

    make_other_dataset.py --customers N --out DIR [--as-of 2026-11-21] [--seed 42]

Writes the seven sources of docs/canonical-schema.md (orders, order_lines, customers, returns,
support_tickets, referrals, reviews) as folders of plain Parquet files (`<source>/part-000.parquet`
..., no hive partition columns, DuckDB's default row groups), with the exact column names and types:
timestamps TIMESTAMP WITH TIME ZONE (UTC, microseconds), birth_date DATE, ad_consent BOOLEAN,
quantity/rating BIGINT, money DOUBLE.

Every random draw is a hash of (seed, row key, draw number), so the data do not depend on thread
scheduling: the same arguments give the same rows (and, rows being written in key order, the same
files).

Shape (per customer; figures at 1M customers in brackets), deliberately unlike vipseg's own
generator (BG/NBD purchases, ~3 orders and ~2 lines per order, 36 months, month-partitioned):

- 5 years of history ending the day before AS_OF; no BG/NBD process behind it. Each customer has
  a start date (skewed towards recent years: a growing shop) and a churn date (start + an
  exponential lifetime, mean 900 days; heavy buyers 2-5 years), and places its orders at uniform
  times between the two, 20% of them moved into the Black-Friday-to-Christmas season of that year.
- Orders per customer: 3% none; 74% 1-4; 20% 3-12; 3% heavy buyers with 30-79 orders: mean ~5
  [~5.2M orders]. Status 88% completed, 5% cancelled, 4% refunded, 3% pending; channel web 45%,
  app 30%, store 15%, marketplace 10%.
- Lines per order: 1-20, skewed to small baskets (1 + floor(20 u^3)), mean ~5.3 [~27M lines];
  distinct SKUs within an order out of 50,000 SKUs in 12 categories; quantity mostly 1 (up to 5);
  list price per SKU, 30% of lines discounted 10-60%, unit cost 35-65% of list price.
- Returns: ~3% of the lines of completed orders, return_ts 1-40 days after the order (before
  AS_OF), quantity <= the line's, refund 80-100% of the returned value.
- Support tickets ~0.45 per customer (30% without a cost); ~7% of customers referred (once each)
  by an earlier customer; reviews from ~15% of customers (1-5 each, mostly 4-5 stars).
- Customers: US 55%, GB 20%, DE 15%, FR 10%, with names, email, E.164 phone (10% missing),
  city/region/postal code of the country, gender (5% missing), birth date 18-80 years before
  AS_OF, ad_consent 70% (consent_ts within 30 days of the start; null without consent).

Files: orders and order_lines 16 files each (consecutive order-time ranges: an export by period,
the lines in their order's file), customers 4, the small sources 2.

Generation of 1M customers takes about 1-2 minutes on 2 cores (DuckDB, spilling to a temporary
database under the output folder).
"""

import argparse
import datetime as dt
import json
import os
import shutil
import time

import duckdb

BIG_FILES = 16
CUSTOMER_FILES = 4
SMALL_FILES = 2
SKUS = 50_000

CATEGORIES = ["apparel", "shoes", "beauty", "home", "kitchen", "electronics", "toys", "sports",
              "books", "garden", "grocery", "jewelry"]
FIRST_NAMES = ["James", "Mary", "Oliver", "Amelia", "Lukas", "Mia", "Louis", "Emma", "Noah", "Olivia",
               "Jack", "Isla", "Leon", "Hannah", "Gabriel", "Jade", "Liam", "Ava", "Felix", "Chloe",
               "Ethan", "Sophie", "Paul", "Lea", "Henry", "Grace", "Jonas", "Clara", "Hugo", "Alice"]
LAST_NAMES = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Taylor",
              "Wilson", "Evans", "Thomas", "Roberts", "Müller", "Schmidt", "Schneider", "Fischer",
              "Weber", "Meyer", "Martin", "Bernard", "Dubois", "Durand", "Lefèvre", "Moreau", "Laurent",
              "O'Brien", "Walker", "Wright", "Hughes"]
DOMAINS = {"US": ["gmail.com", "yahoo.com", "outlook.com", "icloud.com"],
           "GB": ["gmail.com", "btinternet.com", "outlook.com", "yahoo.co.uk"],
           "DE": ["gmail.com", "web.de", "gmx.de", "t-online.de"],
           "FR": ["gmail.com", "orange.fr", "free.fr", "laposte.net"]}
# (city, region, postal code prefix) per country; postal codes get random trailing digits.
PLACES = {
    "US": [("New York", "NY", "100"), ("Los Angeles", "CA", "900"), ("Chicago", "IL", "606"),
           ("Houston", "TX", "770"), ("Seattle", "WA", "981"), ("Boston", "MA", "021"),
           ("Miami", "FL", "331"), ("Denver", "CO", "802")],
    "GB": [("London", "England", "SW1A "), ("Manchester", "England", "M1 "), ("Edinburgh", "Scotland", "EH1 "),
           ("Cardiff", "Wales", "CF10 "), ("Belfast", "Northern Ireland", "BT1 ")],
    "DE": [("Berlin", "Berlin", "10"), ("München", "Bayern", "80"), ("Hamburg", "Hamburg", "20"),
           ("Köln", "Nordrhein-Westfalen", "50"), ("Stuttgart", "Baden-Württemberg", "70")],
    "FR": [("Paris", "Île-de-France", "75"), ("Lyon", "Auvergne-Rhône-Alpes", "69"),
           ("Marseille", "Provence-Alpes-Côte d'Azur", "13"), ("Toulouse", "Occitanie", "31"),
           ("Lille", "Hauts-de-France", "59")],
}


def sql_list(values) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def places_table() -> str:
    rows = []
    for country, places in PLACES.items():
        for i, (city, region, prefix) in enumerate(places):
            esc = lambda s: s.replace("'", "''")
            rows.append(f"('{country}', {i}, '{esc(city)}', '{esc(region)}', '{esc(prefix)}')")
    return "VALUES " + ", ".join(rows)


def build(con: duckdb.DuckDBPyConnection, customers: int, as_of: dt.date, seed: int) -> None:
    end = dt.datetime(as_of.year, as_of.month, as_of.day, tzinfo=dt.timezone.utc)
    start = end.replace(year=end.year - 5)
    end_s, start_s = int(end.timestamp()) - 1, int(start.timestamp())
    day = 86400
    # u(key, draw): uniform in [0, 1) from a hash of (seed, key, draw). (DuckDB's multi-argument
    # hash(a, b, c) correlates the low bits of successive draws: hash twice, keep the top 53 bits.)
    con.execute(f"CREATE MACRO u(k, d) AS (hash(xor(hash(k), (d * 2654435761 + {seed} * 40503)::UBIGINT)) >> 11)"
                "::DOUBLE / 9007199254740992.0")
    con.execute(f"CREATE MACRO pick(list, k, d) AS list[1 + floor(u(k, d) * len(list))::BIGINT]")
    con.execute("CREATE MACRO ts(s) AS make_timestamptz(floor(s)::BIGINT * 1000000)")

    con.execute(f"CREATE TABLE places AS SELECT * FROM ({places_table()}) AS t(country, i, city, region, prefix)")
    con.execute(f"""
        CREATE TABLE cust AS
        WITH base AS (
            SELECT
                c,
                u(c, 1) AS kind_u,
                CASE WHEN u(c, 2) < 0.55 THEN 'US' WHEN u(c, 2) < 0.75 THEN 'GB'
                     WHEN u(c, 2) < 0.90 THEN 'DE' ELSE 'FR' END AS country,
                {start_s} + pow(u(c, 3), 0.85) * ({end_s} - {start_s}) AS start_s
            FROM range({customers}) AS r(c)
        )
        SELECT
            c, country, start_s,
            CASE WHEN kind_u < 0.03 THEN 0
                 WHEN kind_u < 0.77 THEN 1 + floor(u(c, 4) * 4)
                 WHEN kind_u < 0.97 THEN 3 + floor(u(c, 4) * 10)
                 ELSE 30 + floor(u(c, 4) * 50) END::BIGINT AS n_orders,
            least({end_s}, start_s + CASE WHEN kind_u >= 0.97 THEN (730 + u(c, 5) * 1100) * {day}
                                     ELSE -ln(1 - u(c, 5)) * 900 * {day} END) AS end_s
        FROM base
    """)
    cid = "'CUST' || lpad(c::VARCHAR, 8, '0')"
    con.execute(f"""
        CREATE TABLE customers AS
        SELECT
            {cid} AS customer_id,
            lower(replace(replace(first, '''', ''), ' ', '')) || '.' ||
                lower(replace(replace(last, '''', ''), ' ', '')) || (c % 1000)::VARCHAR || '@' ||
                CASE country {" ".join(f"WHEN '{k}' THEN pick({sql_list(v)}, c, 11)" for k, v in DOMAINS.items())} END
                AS email,
            CASE WHEN u(c, 12) < 0.10 THEN NULL
                 WHEN country = 'US' THEN '+1' || (201 + floor(u(c, 13) * 788))::BIGINT::VARCHAR
                      || lpad(floor(u(c, 14) * 10000000)::BIGINT::VARCHAR, 7, '0')
                 WHEN country = 'GB' THEN '+447' || lpad(floor(u(c, 14) * 1000000000)::BIGINT::VARCHAR, 9, '0')
                 WHEN country = 'DE' THEN '+4915' || lpad(floor(u(c, 14) * 1000000000)::BIGINT::VARCHAR, 9, '0')
                 ELSE '+336' || lpad(floor(u(c, 14) * 100000000)::BIGINT::VARCHAR, 8, '0') END AS phone,
            first AS first_name,
            last AS last_name,
            p.city,
            p.region,
            p.prefix || CASE WHEN country = 'GB' THEN (1 + floor(u(c, 16) * 9))::BIGINT::VARCHAR
                                 || chr(65 + floor(u(c, 17) * 26)::INTEGER) || chr(65 + floor(u(c, 18) * 26)::INTEGER)
                             WHEN country = 'US' THEN lpad(floor(u(c, 16) * 100)::BIGINT::VARCHAR, 2, '0')
                             ELSE lpad(floor(u(c, 16) * 1000)::BIGINT::VARCHAR, 3, '0') END AS postal_code,
            country,
            CASE WHEN u(c, 19) < 0.05 THEN NULL WHEN u(c, 19) < 0.55 THEN 'F' ELSE 'M' END AS gender,
            (DATE '{as_of}' - INTERVAL (floor((18 + u(c, 20) * 62) * 365.25)::BIGINT) DAY)::DATE AS birth_date,
            u(c, 21) < 0.70 AS ad_consent,
            CASE WHEN u(c, 21) < 0.70 THEN ts(least({end_s}, start_s + u(c, 22) * 30 * {day})) END AS consent_ts
        FROM (
            SELECT cust.*, pick({sql_list(FIRST_NAMES)}, c, 9) AS first, pick({sql_list(LAST_NAMES)}, c, 10) AS last
            FROM cust
        ) AS x
        JOIN places AS p USING (country)
        WHERE p.i = floor(u(c, 15) * CASE country {" ".join(f"WHEN '{k}' THEN {len(v)}" for k, v in PLACES.items())} END)
        ORDER BY c
    """)
    # Orders: k-th order of customer c gets key o = c * 100 + k (k < 100).
    con.execute(f"""
        CREATE TABLE ord AS
        WITH drawn AS (
            SELECT c * 100 + k AS o, c, start_s + u(c * 100 + k, 1) * (end_s - start_s) AS uniform_s,
                   start_s, end_s
            FROM cust, range(n_orders) AS r(k)
        ),
        seasonal AS (
            SELECT *, epoch(make_timestamptz(year(to_timestamp(uniform_s))::BIGINT, 11, 24, 0, 0, 0, 'UTC'))
                      + u(o, 2) * 31 * {day} AS season_s
            FROM drawn
        )
        SELECT
            o, c,
            CASE WHEN u(o, 3) < 0.20 AND season_s BETWEEN start_s AND end_s THEN season_s ELSE uniform_s END AS order_s,
            CASE WHEN u(o, 4) < 0.88 THEN 'completed' WHEN u(o, 4) < 0.93 THEN 'cancelled'
                 WHEN u(o, 4) < 0.97 THEN 'refunded' ELSE 'pending' END AS status,
            CASE WHEN u(o, 5) < 0.45 THEN 'web' WHEN u(o, 5) < 0.75 THEN 'app'
                 WHEN u(o, 5) < 0.90 THEN 'store' ELSE 'marketplace' END AS channel,
            (1 + floor(20 * pow(u(o, 6), 3)))::BIGINT AS n_lines,
            floor(pow(u(o, 7), 2) * {SKUS})::BIGINT AS base_sku
        FROM seasonal
    """)
    span = end_s - start_s + 1
    con.execute(f"ALTER TABLE ord ADD COLUMN part BIGINT")
    con.execute(f"UPDATE ord SET part = least({BIG_FILES - 1}, floor((order_s - {start_s}) * {BIG_FILES} / {span}))::BIGINT")
    oid = "'ORD' || o::VARCHAR"
    con.execute(f"""
        CREATE TABLE lines AS
        WITH l AS (
            SELECT o, part, status, order_s, k, (base_sku + k * 7919) % {SKUS} AS sku_n
            FROM ord, range(n_lines) AS r(k)
        )
        SELECT
            o, part, status, order_s, k,
            'SKU' || lpad(sku_n::VARCHAR, 5, '0') AS sku,
            {sql_list(CATEGORIES)}[1 + sku_n % {len(CATEGORIES)}] AS category,
            (1 + floor(pow(u(o * 32 + k, 1), 4) * 5))::BIGINT AS quantity,
            round(2 + 300 * pow(u(sku_n, 2), 3), 0) - 0.01 AS list_price,
            u(o * 32 + k, 2) AS discount_u,
            u(sku_n, 3) AS cost_u,
            u(o * 32 + k, 3) AS discount_size
        FROM l
    """)
    con.execute(f"""
        CREATE TABLE order_lines AS
        SELECT
            {oid} AS order_id, part, status, order_s, o, k, sku, category, quantity,
            CASE WHEN discount_u < 0.70 THEN list_price
                 ELSE round(list_price * (0.9 - discount_size * 0.5), 2) END AS unit_price,
            list_price,
            round(list_price * (0.35 + 0.30 * cost_u), 2) AS unit_cost
        FROM lines
    """)
    con.execute("DROP TABLE lines")
    con.execute(f"""
        CREATE TABLE returns AS
        SELECT
            order_id, sku,
            (1 + floor(u(o * 32 + k, 11) * quantity))::BIGINT AS quantity,
            round((1 + floor(u(o * 32 + k, 11) * quantity)) * unit_price * (0.8 + 0.2 * u(o * 32 + k, 12)), 2)
                AS refund_amount,
            ts(order_s + (1 + u(o * 32 + k, 13) * 39) * {day}) AS return_ts,
            o, k
        FROM order_lines
        WHERE status = 'completed' AND u(o * 32 + k, 10) < 0.034
          AND order_s + (1 + u(o * 32 + k, 13) * 39) * {day} <= {end_s}
    """)
    con.execute(f"""
        CREATE TABLE support_tickets AS
        SELECT {cid} AS customer_id,
               ts(start_s + u(c * 16 + t, 31) * (least({end_s}, end_s + 60 * {day}) - start_s)) AS ticket_ts,
               CASE WHEN u(c * 16 + t, 32) < 0.30 THEN NULL ELSE round(2 + 23 * u(c * 16 + t, 33), 2) END AS cost,
               c, t
        FROM (SELECT *, CASE WHEN u(c, 30) < 0.70 THEN 0 WHEN u(c, 30) < 0.88 THEN 1 WHEN u(c, 30) < 0.97 THEN 2
                             ELSE 3 + floor(u(c, 34) * 8) END::BIGINT AS n FROM cust WHERE n_orders > 0),
             range(n) AS r(t)
    """)
    # ~7% of customers were referred, each once (a second referrer would be a conflicting
    # duplicate), by an earlier customer, in the two weeks before their start.
    con.execute(f"""
        CREATE TABLE referrals AS
        SELECT 'CUST' || lpad(floor(u(c, 41) * c)::BIGINT::VARCHAR, 8, '0') AS referrer_id,
               {cid} AS referred_id,
               ts(greatest({start_s}, start_s - u(c, 42) * 14 * {day})) AS referral_ts,
               c, 0 AS t
        FROM cust WHERE u(c, 40) < 0.07 AND c > 0
    """)
    con.execute(f"""
        CREATE TABLE reviews AS
        SELECT {cid} AS customer_id,
               ts(start_s + u(c * 8 + t, 51) * (end_s - start_s)) AS review_ts,
               CASE WHEN u(c * 8 + t, 52) < 0.05 THEN 1 WHEN u(c * 8 + t, 52) < 0.10 THEN 2
                    WHEN u(c * 8 + t, 52) < 0.22 THEN 3 WHEN u(c * 8 + t, 52) < 0.55 THEN 4 ELSE 5 END::BIGINT AS rating,
               c, t
        FROM (SELECT * FROM cust WHERE u(c, 50) < 0.15 AND n_orders > 0),
             range(1 + floor(u(c, 53) * 5)::BIGINT) AS r(t)
    """)


def write(con: duckdb.DuckDBPyConnection, out: str) -> dict:
    sources = {
        "orders": ("SELECT 'ORD' || o::VARCHAR AS order_id, 'CUST' || lpad(c::VARCHAR, 8, '0') AS customer_id, "
                   "ts(order_s) AS order_ts, status, channel FROM ord", "part", "o", BIG_FILES),
        "order_lines": ("SELECT order_id, sku, category, quantity, unit_price, list_price, unit_cost FROM order_lines",
                        "part", "o, k", BIG_FILES),
        "customers": ("SELECT * FROM customers", "hash(customer_id) % 4", "customer_id", CUSTOMER_FILES),
        "returns": ("SELECT order_id, sku, quantity, refund_amount, return_ts FROM returns", "o % 2", "o, k", SMALL_FILES),
        "support_tickets": ("SELECT customer_id, ticket_ts, cost FROM support_tickets", "c % 2", "c, t", SMALL_FILES),
        "referrals": ("SELECT referrer_id, referred_id, referral_ts FROM referrals", "c % 2", "c, t", SMALL_FILES),
        "reviews": ("SELECT customer_id, review_ts, rating FROM reviews", "c % 2", "c, t", SMALL_FILES),
    }
    rows = {}
    for source, (select, part, order, files) in sources.items():
        folder = os.path.join(out, source)
        os.makedirs(folder)
        table = select.split(" FROM ")[-1]
        columns = select[len("SELECT "):select.rindex(" FROM ")]
        for i in range(files):
            path = os.path.join(folder, f"part-{i:03d}.parquet")
            con.execute(f"COPY (SELECT {columns} FROM {table} WHERE ({part}) = {i} ORDER BY {order}) "
                        f"TO '{path}' (FORMAT parquet)")
        rows[source] = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--as-of", default="2026-11-21", help="history ends the day before this date")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    started = time.perf_counter()
    if os.path.exists(args.out):
        shutil.rmtree(args.out)
    os.makedirs(args.out)
    scratch = os.path.join(args.out, "_generate.duckdb")
    con = duckdb.connect(scratch)
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET preserve_insertion_order = true")
    con.execute(f"SET temp_directory = '{args.out}/_generate.tmp'")
    build(con, args.customers, dt.date.fromisoformat(args.as_of), args.seed)
    rows = write(con, args.out)
    con.close()
    os.remove(scratch)
    shutil.rmtree(os.path.join(args.out, "_generate.tmp"), ignore_errors=True)
    print(json.dumps({"customers": args.customers, "rows": rows, "seconds": round(time.perf_counter() - started, 1)}))


if __name__ == "__main__":
    main()
