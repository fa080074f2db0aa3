-- Accepted reviews before the as-of date, one row per (customer_id, review_ts).
SELECT DISTINCT
    customer_id,
    review_ts,
    rating
FROM reviews_checked
WHERE reject_reason IS NULL
