-- Every return that is input of this run, with the reason it cannot be used (NULL = accepted):
-- the checks of return_checks, and conflicting_duplicate for copies of one return that differ.
WITH conflicting AS (
    -- The same return (order_id, sku, return_ts) with different quantities or refunds.
    SELECT order_id, sku, return_ts
    FROM (
        SELECT DISTINCT order_id, sku, return_ts, quantity, refund_amount
        FROM return_checks
        WHERE row_problem IS NULL
    ) AS versions
    GROUP BY order_id, sku, return_ts
    HAVING COUNT(*) > 1
)

SELECT
    r.order_id,
    r.sku,
    r.quantity,
    r.refund_amount,
    r.return_ts,
    COALESCE(r.row_problem, CASE WHEN c.order_id IS NOT NULL THEN 'conflicting_duplicate' END) AS reject_reason
-- the few conflicting keys first, kept whole by RIGHT JOIN: the hash table holds them, not every row
FROM conflicting AS c
RIGHT JOIN return_checks AS r
    ON c.order_id = r.order_id AND c.sku = r.sku AND c.return_ts = r.return_ts
