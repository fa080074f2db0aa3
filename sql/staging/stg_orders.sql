-- Completed orders before the as-of date (only completed orders count), one row per order_id:
-- identical duplicates collapse; rejected rows are in rejected_rows.
SELECT DISTINCT
    order_id,
    customer_id,
    order_ts,
    channel
FROM orders_checked
WHERE reject_reason IS NULL
  AND status = 'completed'
