-- Repeat customers' (frequency, mean repeat order value) with counts: the Gamma-Gamma spend
-- model's fitting data.
SELECT
    frequency,
    mean_repeat_value,
    COUNT(*) AS customers
FROM clv_calibration
WHERE frequency > 0
GROUP BY frequency, mean_repeat_value
