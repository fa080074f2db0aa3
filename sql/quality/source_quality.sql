-- Per source: rows that are input of this run, accepted and rejected (input = accepted +
-- rejected; identical duplicates count as accepted though they collapse into one row). Later
-- facts (as_of <= timestamp <= run_started_at) are not input; timestamps after the run's start
-- are input, rejected as future_timestamp. Feeds the data-quality gate (max_rejected_rate).
--
-- One count per source table rather than one grouping of all their rows: an aggregate without
-- GROUP BY reads only `reject_reason` and keeps three counters (docs/performance.md, rule 3).
-- It gives one row also for a source with no input (an optional source not configured).
SELECT
    'orders' AS source,
    COUNT(*) AS input_rows,
    COUNT(*) FILTER (WHERE reject_reason IS NULL) AS accepted_rows,
    COUNT(reject_reason) AS rejected_rows
FROM orders_checked
UNION ALL
SELECT 'order_lines', COUNT(*), COUNT(*) FILTER (WHERE reject_reason IS NULL), COUNT(reject_reason)
FROM order_lines_checked
UNION ALL
SELECT 'returns', COUNT(*), COUNT(*) FILTER (WHERE reject_reason IS NULL), COUNT(reject_reason)
FROM returns_checked
UNION ALL
SELECT 'support_tickets', COUNT(*), COUNT(*) FILTER (WHERE reject_reason IS NULL), COUNT(reject_reason)
FROM support_tickets_checked
UNION ALL
SELECT 'customers', COUNT(*), COUNT(*) FILTER (WHERE reject_reason IS NULL), COUNT(reject_reason)
FROM customers_checked
UNION ALL
SELECT 'referrals', COUNT(*), COUNT(*) FILTER (WHERE reject_reason IS NULL), COUNT(reject_reason)
FROM referrals_checked
UNION ALL
SELECT 'reviews', COUNT(*), COUNT(*) FILTER (WHERE reject_reason IS NULL), COUNT(reject_reason)
FROM reviews_checked
ORDER BY source
