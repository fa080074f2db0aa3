-- Every input row of this run that staging could not use: its source, why, and its key.
-- One row per rejected input row (counted per source in source_quality).
WITH rejected AS (
    SELECT 'orders' AS source, reject_reason AS reason,
           CONCAT('order_id=', COALESCE(order_id, 'NULL')) AS row_key
    FROM orders_checked WHERE reject_reason IS NOT NULL
    UNION ALL
    SELECT 'order_lines', reject_reason,
           CONCAT('order_id=', COALESCE(order_id, 'NULL'), ', sku=', COALESCE(sku, 'NULL'))
    FROM order_lines_checked WHERE reject_reason IS NOT NULL
    UNION ALL
    SELECT 'returns', reject_reason,
           CONCAT('order_id=', COALESCE(order_id, 'NULL'), ', sku=', COALESCE(sku, 'NULL'),
                  ', return_ts=', COALESCE(CAST(return_ts AS VARCHAR), 'NULL'))
    FROM returns_checked WHERE reject_reason IS NOT NULL
    UNION ALL
    SELECT 'support_tickets', reject_reason,
           CONCAT('customer_id=', COALESCE(customer_id, 'NULL'),
                  ', ticket_ts=', COALESCE(CAST(ticket_ts AS VARCHAR), 'NULL'))
    FROM support_tickets_checked WHERE reject_reason IS NOT NULL
    UNION ALL
    SELECT 'customers', reject_reason,
           CONCAT('customer_id=', COALESCE(customer_id, 'NULL'))
    FROM customers_checked WHERE reject_reason IS NOT NULL
    UNION ALL
    SELECT 'referrals', reject_reason,
           CONCAT('referrer_id=', COALESCE(referrer_id, 'NULL'), ', referred_id=', COALESCE(referred_id, 'NULL'))
    FROM referrals_checked WHERE reject_reason IS NOT NULL
    UNION ALL
    SELECT 'reviews', reject_reason,
           CONCAT('customer_id=', COALESCE(customer_id, 'NULL'),
                  ', review_ts=', COALESCE(CAST(review_ts AS VARCHAR), 'NULL'))
    FROM reviews_checked WHERE reject_reason IS NOT NULL
)

SELECT source, reason, row_key
FROM rejected
ORDER BY source, reason, row_key
