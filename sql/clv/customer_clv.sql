-- Per customer CLV inputs and predictions. The fit ran once, in Rust, on the patterns
-- (clv_model, clv_scores); here each customer picks up the scores of its pattern (BG/NBD, or
-- its no-drop-out limit NBD: the purchase model is already in clv_scores), and the expected
-- order value of the spend model clv_model names:
--   gamma_gamma: its closed form (lifetimes' conditional_expected_average_profit)
--     E[value | x, m] = (q - 1) / (p x + q - 1) * p gamma / (q - 1)  +  p x / (p x + q - 1) * m
--   gamma_gamma_limit (no spend heterogeneity, q, gamma -> infinity): the population mean
--     order value, for every customer.
-- 12-month CLV = E[value] * discounted expected orders * lifetime margin rate clipped to [0, 1];
-- a customer without net revenue (margin rate undefined) gets the population's margin rate.
-- When the model could not be fitted, clv_model is empty and every prediction is null.
WITH spend_model AS (
    SELECT
        MAX(CASE WHEN model = 'gamma_gamma' AND parameter = 'p' THEN estimate END) AS p,
        MAX(CASE WHEN model = 'gamma_gamma' AND parameter = 'q' THEN estimate END) AS q,
        MAX(CASE WHEN model = 'gamma_gamma' AND parameter = 'gamma' THEN estimate END) AS gamma,
        MAX(CASE WHEN model = 'gamma_gamma_limit' AND parameter = 'mean_value' THEN estimate END) AS mean_value
    FROM clv_model
    WHERE model IN ('gamma_gamma', 'gamma_gamma_limit')
),
-- Lifetime margin rate: margin over net revenue of every line before D, net of returns.
lifetime_margin AS (
    SELECT customer_id, CAST(margin AS DOUBLE) / NULLIF(CAST(net_revenue AS DOUBLE), 0) AS margin_rate
    FROM int_customer_lifetime
),
-- The population's lifetime margin rate: the fallback for customers without net revenue.
population_margin AS (
    SELECT CAST(SUM(margin) AS DOUBLE) / NULLIF(CAST(SUM(net_revenue) AS DOUBLE), 0) AS margin_rate
    FROM int_customer_lifetime
),
predicted AS (
    SELECT
        c.customer_id,
        c.frequency,
        c.recency_days,
        c.age_days,
        c.mean_repeat_value,
        s.p_alive,
        s.expected_orders_12m,
        s.discounted_orders_12m,
        CASE
            WHEN g.mean_value IS NOT NULL THEN g.mean_value
            WHEN g.q > 1 THEN
                (g.q - 1) / (g.p * c.frequency + g.q - 1) * (g.p * g.gamma / (g.q - 1))
                + (g.p * c.frequency) / (g.p * c.frequency + g.q - 1) * c.mean_repeat_value
        END AS expected_order_value,
        LEAST(GREATEST(COALESCE(m.margin_rate, pm.margin_rate, 0), 0), 1) AS margin_rate
    -- the small side first: the engine keeps the left side of a cross join in memory and streams
    -- the right one through it (the other way round it emits one batch per left row). The lookups
    -- come first too, kept whole by RIGHT JOIN, so each hash table holds a narrow lookup, not the
    -- customers (docs/performance.md, rule 4)
    FROM clv_scores AS s
    RIGHT JOIN (
        lifetime_margin AS m
        RIGHT JOIN (spend_model AS g CROSS JOIN population_margin AS pm CROSS JOIN clv_calibration AS c)
        ON m.customer_id = c.customer_id
    )
    ON s.frequency = c.frequency
    AND s.recency_days = c.recency_days
    AND s.age_days = c.age_days
)
SELECT
    customer_id,
    frequency,
    recency_days,
    age_days,
    mean_repeat_value,
    p_alive,
    expected_orders_12m,
    expected_order_value,
    margin_rate,
    expected_order_value * discounted_orders_12m * margin_rate AS predicted_clv_12m
FROM predicted
ORDER BY customer_id
