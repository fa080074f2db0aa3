-- Lines of completed orders before the as-of date, with their order's customer and time;
-- one row per (order_id, sku): identical copies of a line collapse (only lines with a
-- `repeated_key` can have copies, so only those pay for the DISTINCT). Orders come first: the
-- engine builds its hash table from the first table of a join (order_lines_checked.sql).
WITH lines AS (
    SELECT order_id, sku, category, quantity, unit_price, list_price, unit_cost
    FROM order_lines_checked
    WHERE reject_reason IS NULL AND NOT repeated_key
    UNION ALL
    SELECT DISTINCT order_id, sku, category, quantity, unit_price, list_price, unit_cost
    FROM order_lines_checked
    WHERE reject_reason IS NULL AND repeated_key
)

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
FROM stg_orders AS o
JOIN lines AS l ON l.order_id = o.order_id
