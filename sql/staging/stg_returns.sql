-- Accepted returns with return_ts before the as-of date, one row per (order_id, sku, return_ts).
-- They join their line on (order_id, sku); returns of orders that do not count are ignored
-- downstream by that join.
SELECT DISTINCT
    order_id,
    sku,
    quantity,
    refund_amount,
    return_ts
FROM returns_checked
WHERE reject_reason IS NULL
