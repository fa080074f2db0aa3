-- Lines of completed orders before the as-of date, with their order's customer and time;
-- one row per (order_id, sku).
SELECT DISTINCT
    l.order_id,
    l.sku,
    l.category,
    l.quantity,
    l.unit_price,
    l.list_price,
    l.unit_cost,
    o.customer_id,
    o.order_ts
FROM order_lines_checked AS l
JOIN stg_orders AS o ON o.order_id = l.order_id
WHERE l.reject_reason IS NULL
