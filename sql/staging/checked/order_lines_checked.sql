-- Every order line that is input of this run, with the reason it cannot be used (NULL = accepted).
-- A line belongs to the run of its order: lines of orders that exist only as later facts
-- (as_of <= order_ts <= run_started_at) are not input of this run; lines of an order rejected for
-- its future timestamp are input, rejected as order_rejected.
-- `repeated_key`: another valid line has the same (order_id, sku); stg_order_lines collapses
-- identical copies, and copies that differ are rejected here as conflicting_duplicate.
--
-- Join order matters for speed, not for the result: the engine builds its hash table from the
-- first table of a join and streams the second through it, so the small tables come first and
-- the lines (the largest input) last, kept whole by RIGHT JOIN.
WITH orders AS (
    -- Each order_id with rows of this run (`in_run`; accepted when any of them is: identical
    -- duplicates) or only rows that are later facts.
    SELECT
        order_id,
        BOOL_OR(in_run) AS in_run,
        BOOL_OR(accepted) AS accepted
    FROM (
        SELECT order_id, TRUE AS in_run, reject_reason IS NULL AS accepted
        FROM orders_checked
        WHERE order_id IS NOT NULL
        UNION ALL
        SELECT order_id, FALSE AS in_run, FALSE AS accepted
        FROM raw.orders
        WHERE order_ts >= $as_of AND order_ts <= $run_started_at AND order_id IS NOT NULL
    ) AS facts
    GROUP BY order_id
),

-- The checks a line fails on its own, whatever its order.
line_checks AS (
    SELECT
        order_id,
        sku,
        category,
        quantity,
        unit_price,
        list_price,
        unit_cost,
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
        END AS line_problem
    FROM raw.order_lines
),

-- (order_id, sku) keys of more than one valid line. Returns join lines on that key, so copies
-- that differ in any value are conflicting: none of them is used. (Lines of one key share their
-- order, so whether the order is usable does not change which of them are valid.)
-- Found in two steps because almost every key is unique: every key is counted by one 64-bit
-- hash of it (8 bytes a key to hold, not two strings), and only the lines whose hash repeats are
-- then grouped by the key itself and compared value by value. Two keys that merely share a hash
-- meet in the second step as groups of one line each, and are dropped there.
repeated_hashes AS (
    SELECT hash(order_id, sku) AS key_hash
    FROM line_checks
    WHERE line_problem IS NULL
    GROUP BY hash(order_id, sku)
    HAVING COUNT(*) > 1
),

repeated_lines AS (
    SELECT
        l.order_id,
        l.sku,
        MIN(l.category) <> MAX(l.category) OR MIN(l.quantity) <> MAX(l.quantity)
            OR MIN(l.unit_price) <> MAX(l.unit_price) OR MIN(l.list_price) <> MAX(l.list_price)
            OR MIN(l.unit_cost) <> MAX(l.unit_cost) AS conflicting
    FROM repeated_hashes AS k
    JOIN line_checks AS l ON l.line_problem IS NULL AND hash(l.order_id, l.sku) = k.key_hash
    GROUP BY l.order_id, l.sku
    HAVING COUNT(*) > 1
),

input AS (
    SELECT
        l.*,
        CASE
            WHEN o.order_id IS NULL THEN 'line_without_order'
            WHEN NOT o.accepted THEN 'order_rejected'
        END AS order_problem
    FROM orders AS o
    RIGHT JOIN line_checks AS l ON o.order_id = l.order_id
    WHERE o.in_run OR o.order_id IS NULL
)

SELECT
    l.order_id,
    l.sku,
    l.category,
    l.quantity,
    l.unit_price,
    l.list_price,
    l.unit_cost,
    COALESCE(l.line_problem, l.order_problem, CASE WHEN r.conflicting THEN 'conflicting_duplicate' END) AS reject_reason,
    r.order_id IS NOT NULL AS repeated_key
FROM repeated_lines AS r
RIGHT JOIN input AS l ON r.order_id = l.order_id AND r.sku = l.sku
