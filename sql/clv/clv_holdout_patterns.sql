-- Holdout validation data: the calibration summary as of the holdout start (D minus
-- `clv_holdout_months`), and each customer's actual repeat purchase days in the holdout period
-- [holdout start, D). Grouped by calibration pattern, with counts.
WITH purchase_days AS (
    SELECT DISTINCT customer_id, CAST(order_ts AS DATE) AS order_day
    FROM stg_orders
),
calibration AS (
    SELECT
        customer_id,
        COUNT(*) - 1 AS frequency,
        MAX(order_day) - MIN(order_day) AS recency_days,
        $holdout_observation_end - MIN(order_day) AS age_days
    FROM purchase_days
    WHERE order_day < $holdout_start_date
    GROUP BY customer_id
),
holdout AS (
    SELECT customer_id, COUNT(*) AS actual_orders
    FROM purchase_days
    WHERE order_day >= $holdout_start_date
    GROUP BY customer_id
)
SELECT
    c.frequency,
    c.recency_days,
    c.age_days,
    COUNT(*) AS customers,
    COALESCE(SUM(h.actual_orders), 0) AS actual_orders
FROM calibration AS c
LEFT JOIN holdout AS h ON h.customer_id = c.customer_id
GROUP BY c.frequency, c.recency_days, c.age_days
