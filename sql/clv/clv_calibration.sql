-- Each customer's purchase history summary for the CLV model, with the semantics of the
-- `lifetimes` library: orders on the same day are one purchase, frequency counts repeat
-- purchase days (the first day excluded), recency and age are days from the first purchase to
-- the last one and to the observation end (D - 1 day). Mean repeat value excludes the first day.
WITH line_values AS (
    -- summed per order before the join: one narrow key instead of (customer, order, day)
    SELECT order_id, SUM(CAST(quantity * unit_price AS DECIMAL(38, 9))) AS value
    FROM stg_order_lines
    GROUP BY order_id
),

-- an order without lines is a purchase worth 0
order_values AS (
    SELECT
        o.customer_id,
        CAST(o.order_ts AS DATE) AS order_day,
        COALESCE(CAST(v.value AS DOUBLE), 0) AS value
    FROM stg_orders AS o
    LEFT JOIN line_values AS v ON v.order_id = o.order_id
),

purchase_days AS (
    SELECT
        customer_id,
        order_day,
        CAST(SUM(CAST(value AS DECIMAL(38, 9))) AS DOUBLE) AS value
    FROM order_values
    GROUP BY customer_id, order_day
)

-- One aggregate per customer, no window: the repeat days' value is the sum of all days less the
-- first day's (FIRST_VALUE ... ORDER BY order_day; days are distinct). Both are exact decimals, so
-- this is the same number as summing the repeat days themselves.
SELECT
    customer_id,
    COUNT(*) - 1 AS frequency,
    MAX(order_day) - MIN(order_day) AS recency_days,
    $observation_end - MIN(order_day) AS age_days,
    CASE
        WHEN COUNT(*) > 1
        THEN CAST(
            SUM(CAST(value AS DECIMAL(38, 9))) - CAST(FIRST_VALUE(value ORDER BY order_day) AS DECIMAL(38, 9))
            AS DOUBLE
        ) / (COUNT(*) - 1)
        ELSE 0
    END AS mean_repeat_value
FROM purchase_days
GROUP BY customer_id
