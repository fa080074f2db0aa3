-- What each customer bought of each category in the 12 months before D: one row per (customer,
-- category) with the gross and net revenue and margin of its lines. The sums stay
-- DECIMAL(38, 9), so the models that add them up again (per category, core_categories) get
-- exactly the sums of the lines; four models read this instead of grouping the lines themselves.
SELECT
    customer_id,
    category,
    SUM(CAST(gross_revenue AS DECIMAL(38, 9))) AS gross_revenue,
    SUM(CAST(net_revenue AS DECIMAL(38, 9))) AS net_revenue,
    SUM(CAST(margin AS DECIMAL(38, 9))) AS margin
FROM int_line_values
WHERE period = '12m'
GROUP BY customer_id, category
