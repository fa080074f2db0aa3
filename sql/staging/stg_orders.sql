-- Completed orders before the as-of date, one row per order_id.
SELECT
    order_id,
    customer_id,
    order_ts,
    channel
FROM raw.orders
WHERE order_ts < $as_of
  AND status = 'completed'
  AND order_id IS NOT NULL
  AND customer_id IS NOT NULL
