-- Completed orders before the as-of date (only completed orders count), one row per order_id:
-- identical duplicates collapse; rejected rows are in rejected_rows. Only an order_id with more
-- than one valid row (`repeated_key`) can have copies, so only those rows pay for the DISTINCT
-- (a DISTINCT over every order held all of them: docs/performance.md, rule 3).
SELECT order_id, customer_id, order_ts, channel
FROM orders_checked
WHERE reject_reason IS NULL AND status = 'completed' AND NOT repeated_key
UNION ALL
SELECT DISTINCT order_id, customer_id, order_ts, channel
FROM orders_checked
WHERE reject_reason IS NULL AND status = 'completed' AND repeated_key
