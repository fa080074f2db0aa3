-- Distinct (frequency, recency, age) patterns with how many customers share each: the BG/NBD
-- model is fitted and scored on these, so the work grows with patterns, not customers.
SELECT
    frequency,
    recency_days,
    age_days,
    COUNT(*) AS customers
FROM clv_calibration
GROUP BY frequency, recency_days, age_days
