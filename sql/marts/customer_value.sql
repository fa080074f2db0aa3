-- One row per customer with any completed order before the as-of date.
WITH order_values AS (
    SELECT
        customer_id,
        order_id,
        order_ts,
        SUM(quantity * unit_price) AS revenue
    FROM stg_order_lines
    GROUP BY customer_id, order_id, order_ts
)
SELECT
    customer_id,
    COUNT(*) FILTER (WHERE order_ts >= $start_12m) AS orders_12m,
    COUNT(*) FILTER (WHERE order_ts >= $start_6m) AS orders_6m,
    COUNT(*) FILTER (WHERE order_ts >= $start_3m) AS orders_3m,
    COALESCE(SUM(revenue) FILTER (WHERE order_ts >= $start_12m), 0) AS net_revenue_12m,
    MIN(order_ts) AS first_order_ts,
    MAX(order_ts) AS last_order_ts,
    COUNT(*) AS lifetime_orders
FROM order_values
GROUP BY customer_id
ORDER BY customer_id
