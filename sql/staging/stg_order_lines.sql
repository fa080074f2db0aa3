-- Lines of completed orders before the as-of date.
SELECT
    l.order_id,
    l.sku,
    l.category,
    l.quantity,
    l.unit_price,
    l.list_price,
    l.unit_cost,
    o.customer_id,
    o.order_ts
FROM raw.order_lines AS l
JOIN stg_orders AS o ON o.order_id = l.order_id
WHERE l.quantity > 0
