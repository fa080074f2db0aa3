-- Measures that must agree with each other: AOV exists exactly when there are 12m orders,
-- the last order is not before the first, history holds the window, nothing lies in the future.
SELECT customer_id, orders_12m, aov_12m, first_order_ts, last_order_ts, lifetime_orders
FROM customer_value
WHERE (orders_12m = 0) <> (aov_12m IS NULL)
   OR last_order_ts < first_order_ts
   OR lifetime_orders < orders_12m
   OR last_order_ts >= $as_of
   OR recency_days > tenure_days
