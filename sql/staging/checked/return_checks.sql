-- Every return that is input of this run, with the checks a return fails on its own or against
-- its line and order (`row_problem`, NULL = none); returns_checked adds the conflicting copies.
-- A table of its own (not a CTE of returns_checked) because returns_checked reads it twice, and
-- a CTE named twice is computed twice: this one reads every order line.
-- Returns with as_of <= return_ts <= run_started_at are later facts, not input of this run (point
-- in time); a return_ts after the run's own start cannot have happened yet: future_timestamp.
--
-- Only the lines and orders that returns refer to are looked at (a return is one line in
-- dozens), and joins put the small table first: the engine builds its hash table from the
-- first table of a join (order_lines_checked.sql).
WITH returns AS (
    SELECT *
    FROM raw.returns
    WHERE return_ts < $as_of OR return_ts > $run_started_at OR return_ts IS NULL
),

returned_lines AS (
    SELECT DISTINCT order_id, sku FROM returns
),

lines AS (
    -- The line a return refers to, as this run sees it.
    SELECT
        l.order_id,
        l.sku,
        BOOL_OR(l.reject_reason IS NULL) AS accepted,
        MAX(CASE WHEN l.reject_reason IS NULL THEN l.quantity END) AS quantity
    FROM returned_lines AS k
    JOIN order_lines_checked AS l ON l.order_id = k.order_id AND l.sku = k.sku
    GROUP BY l.order_id, l.sku
),

orders AS (
    SELECT o.order_id, MIN(o.order_ts) AS order_ts
    FROM (SELECT DISTINCT order_id FROM returns) AS k
    JOIN orders_checked AS o ON o.order_id = k.order_id
    WHERE o.reject_reason IS NULL
    GROUP BY o.order_id
),

input AS (
    SELECT
        r.order_id,
        r.sku,
        r.quantity,
        r.refund_amount,
        r.return_ts,
        l.order_id IS NOT NULL AS line_known,
        l.accepted AS line_accepted,
        l.quantity AS line_quantity,
        o.order_ts
    FROM returns AS r
    LEFT JOIN lines AS l ON l.order_id = r.order_id AND l.sku = r.sku
    LEFT JOIN orders AS o ON o.order_id = r.order_id
),

row_checks AS (
    SELECT
        *,
        CASE
            WHEN NULLIF(TRIM(order_id), '') IS NULL OR NULLIF(TRIM(sku), '') IS NULL THEN 'null_key'
            WHEN return_ts IS NULL OR quantity IS NULL OR refund_amount IS NULL THEN 'null_value'
            WHEN return_ts > $run_started_at THEN 'future_timestamp'
            WHEN isnan(refund_amount) OR abs(refund_amount) = CAST('Infinity' AS DOUBLE) THEN 'non_finite_number'
            WHEN quantity <= 0 THEN 'non_positive_quantity'
            WHEN refund_amount < 0 THEN 'negative_refund'
            WHEN quantity > 1000000000 OR refund_amount > 1e12 THEN 'out_of_range'
            WHEN NOT line_known THEN 'return_without_line'
            WHEN NOT line_accepted THEN 'line_rejected'
            WHEN return_ts < order_ts THEN 'return_before_order'
            WHEN quantity > line_quantity THEN 'return_exceeds_line'
        END AS row_problem
    FROM input
)

SELECT * FROM row_checks
