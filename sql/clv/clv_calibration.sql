-- Each customer's purchase history summary for the CLV model, with the semantics of the
-- `lifetimes` library: orders on the same day are one purchase, frequency counts repeat
-- purchase days (the first day excluded), recency and age are days from the first purchase to
-- the last one and to the observation end (D - 1 day). Mean repeat value excludes the first day.

-- The orders and their lines in one aggregate per (customer, day): stg_order_lines carries its
-- order's customer and time, so no per-order sum is joined back to the orders. Every order is a
-- row worth 0, so an order without lines is still a purchase.
WITH purchase_values AS (
    SELECT customer_id, CAST(order_ts AS DATE) AS order_day, CAST(0 AS DECIMAL(38, 9)) AS value
    FROM stg_orders
    UNION ALL
    SELECT customer_id, CAST(order_ts AS DATE) AS order_day, CAST(quantity * unit_price AS DECIMAL(38, 9)) AS value
    FROM stg_order_lines
),

purchase_days AS (
    SELECT customer_id, order_day, SUM(value) AS value
    FROM purchase_values
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
        THEN CAST(SUM(value) - FIRST_VALUE(value ORDER BY order_day) AS DOUBLE) / (COUNT(*) - 1)
        ELSE 0
    END AS mean_repeat_value
FROM purchase_days
GROUP BY customer_id
