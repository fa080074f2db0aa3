-- Each customer's purchase history summary for the CLV model, with the semantics of the
-- `lifetimes` library: orders on the same day are one purchase, frequency counts repeat
-- purchase days (the first day excluded), recency and age are days from the first purchase to
-- the last one and to the observation end (D - 1 day). Mean repeat value excludes the first day.
WITH order_values AS (
    SELECT
        o.customer_id,
        CAST(o.order_ts AS DATE) AS order_day,
        COALESCE(CAST(SUM(CAST(l.quantity * l.unit_price AS DECIMAL(38, 9))) AS DOUBLE), 0) AS value
    FROM stg_orders AS o
    LEFT JOIN stg_order_lines AS l ON l.order_id = o.order_id
    GROUP BY o.customer_id, o.order_id, CAST(o.order_ts AS DATE)
),
purchase_days AS (
    SELECT customer_id, order_day, CAST(SUM(CAST(value AS DECIMAL(38, 9))) AS DOUBLE) AS value
    FROM order_values
    GROUP BY customer_id, order_day
),
firsts AS (
    SELECT customer_id, MIN(order_day) AS first_day
    FROM purchase_days
    GROUP BY customer_id
)
SELECT
    p.customer_id,
    COUNT(*) - 1 AS frequency,
    MAX(p.order_day) - f.first_day AS recency_days,
    $observation_end - f.first_day AS age_days,
    CASE
        WHEN COUNT(*) > 1
        THEN CAST(SUM(CAST(CASE WHEN p.order_day > f.first_day THEN p.value ELSE 0 END AS DECIMAL(38, 9))) AS DOUBLE) / (COUNT(*) - 1)
        ELSE 0
    END AS mean_repeat_value
FROM purchase_days AS p
JOIN firsts AS f ON f.customer_id = p.customer_id
GROUP BY p.customer_id, f.first_day
