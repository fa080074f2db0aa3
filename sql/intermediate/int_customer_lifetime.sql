-- Each customer's lifetime sums: net revenue and margin of every line before D, net of its
-- returns. customer_clv (lifetime margin rate, and the population's) and customer_value
-- (lifetime margin) read these instead of each grouping every line again; the sums stay
-- DECIMAL(38, 9), so the population's totals summed from here are exactly the lines' totals.
SELECT
    customer_id,
    SUM(CAST(net_revenue AS DECIMAL(38, 9))) AS net_revenue,
    SUM(CAST(margin AS DECIMAL(38, 9))) AS margin
FROM int_line_values
GROUP BY customer_id
