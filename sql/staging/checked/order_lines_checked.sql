-- Every order line that is input of this run, with the reason it cannot be used (NULL = accepted).
-- A line belongs to the run of its order: lines of orders that exist only as later facts
-- (as_of <= order_ts <= run_started_at) are not input of this run; lines of an order rejected for
-- its future timestamp are input, rejected as order_rejected.
WITH orders AS (
    -- Each order_id of this run: accepted when any of its rows is (identical duplicates).
    SELECT
        order_id,
        BOOL_OR(reject_reason IS NULL) AS accepted
    FROM orders_checked
    WHERE order_id IS NOT NULL
    GROUP BY order_id
),

later_orders AS (
    SELECT DISTINCT order_id
    FROM raw.orders
    WHERE order_ts >= $as_of AND order_ts <= $run_started_at AND order_id IS NOT NULL
),

input AS (
    SELECT
        l.order_id,
        l.sku,
        l.category,
        l.quantity,
        l.unit_price,
        l.list_price,
        l.unit_cost,
        o.order_id IS NOT NULL AS order_known,
        o.accepted AS order_accepted
    FROM raw.order_lines AS l
    LEFT JOIN orders AS o ON o.order_id = l.order_id
    LEFT JOIN later_orders AS later ON later.order_id = l.order_id
    WHERE o.order_id IS NOT NULL OR later.order_id IS NULL
),

row_checks AS (
    SELECT
        *,
        CASE
            WHEN NULLIF(TRIM(order_id), '') IS NULL OR NULLIF(TRIM(sku), '') IS NULL THEN 'null_key'
            WHEN category IS NULL OR quantity IS NULL
                OR unit_price IS NULL OR list_price IS NULL OR unit_cost IS NULL THEN 'null_value'
            -- NaN and infinities (arithmetic with them would spread into every total)
            WHEN isnan(unit_price) OR isnan(list_price) OR isnan(unit_cost)
                OR abs(unit_price) = CAST('Infinity' AS DOUBLE) OR abs(list_price) = CAST('Infinity' AS DOUBLE)
                OR abs(unit_cost) = CAST('Infinity' AS DOUBLE) THEN 'non_finite_number'
            WHEN quantity <= 0 THEN 'non_positive_quantity'
            WHEN unit_price < 0 OR list_price < 0 OR unit_cost < 0 THEN 'negative_price'
            -- Bounds no real line reaches: they keep integer sums of quantities from wrapping
            -- around and money sums from overflowing to infinity (docs/business-tables.md).
            WHEN quantity > 1000000000
                OR unit_price > 1e12 OR list_price > 1e12 OR unit_cost > 1e12 THEN 'out_of_range'
            WHEN NOT order_known THEN 'line_without_order'
            WHEN NOT order_accepted THEN 'order_rejected'
        END AS row_problem
    FROM input
),

-- One (order_id, sku) with different contents: returns join lines on that key, so it must be
-- unique; none of the versions is used.
conflicting AS (
    SELECT order_id, sku
    FROM (
        SELECT DISTINCT order_id, sku, category, quantity, unit_price, list_price, unit_cost
        FROM row_checks
        WHERE row_problem IS NULL
    ) AS versions
    GROUP BY order_id, sku
    HAVING COUNT(*) > 1
)

SELECT
    r.order_id,
    r.sku,
    r.category,
    r.quantity,
    r.unit_price,
    r.list_price,
    r.unit_cost,
    COALESCE(r.row_problem, CASE WHEN c.order_id IS NOT NULL THEN 'conflicting_duplicate' END) AS reject_reason
FROM row_checks AS r
LEFT JOIN conflicting AS c ON c.order_id = r.order_id AND c.sku = r.sku
