-- Per source: rows that are input of this run, accepted and rejected (input = accepted +
-- rejected; identical duplicates count as accepted though they collapse into one row). Later
-- facts (as_of <= timestamp <= run_started_at) are not input; timestamps after the run's start
-- are input, rejected as future_timestamp. Feeds the data-quality gate (max_rejected_rate).
WITH checked AS (
    SELECT 'orders' AS source, reject_reason FROM orders_checked
    UNION ALL SELECT 'order_lines', reject_reason FROM order_lines_checked
    UNION ALL SELECT 'returns', reject_reason FROM returns_checked
    UNION ALL SELECT 'support_tickets', reject_reason FROM support_tickets_checked
    UNION ALL SELECT 'customers', reject_reason FROM customers_checked
    UNION ALL SELECT 'referrals', reject_reason FROM referrals_checked
    UNION ALL SELECT 'reviews', reject_reason FROM reviews_checked
),

sources AS (
    SELECT 'orders' AS source
    UNION ALL SELECT 'order_lines'
    UNION ALL SELECT 'returns'
    UNION ALL SELECT 'support_tickets'
    UNION ALL SELECT 'customers'
    UNION ALL SELECT 'referrals'
    UNION ALL SELECT 'reviews'
)

-- Every source gets a row, also when it has no input (an optional source not configured).
SELECT
    s.source,
    COUNT(c.source) AS input_rows,
    COUNT(c.source) FILTER (WHERE c.reject_reason IS NULL) AS accepted_rows,
    COUNT(c.reject_reason) AS rejected_rows
FROM sources AS s
LEFT JOIN checked AS c ON c.source = s.source
GROUP BY s.source
ORDER BY s.source
