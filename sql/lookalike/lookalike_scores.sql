-- Every customer of lookalike_features without a VIP tier at D, scored by the lookalike model:
-- score = P(VIP within 12 months) = 1 / (1 + exp(-(intercept + sum of coefficient x input))),
-- over the inputs at D (the 'current' snapshot of lookalike_inputs) and the coefficients of
-- lookalike_model (on the inputs' own scale). rank 1 = highest score (ties by customer_id);
-- decile 1 = the top tenth by rank. Empty when the model was not fitted (lookalike_model empty).
WITH coefficients AS (
    SELECT
        MAX(CASE WHEN term = 'intercept' THEN coefficient END) AS intercept,
        MAX(CASE WHEN term = 'ln_recency_days' THEN coefficient END) AS ln_recency_days,
        MAX(CASE WHEN term = 'ln_tenure_days' THEN coefficient END) AS ln_tenure_days,
        MAX(CASE WHEN term = 'ln_orders_12m' THEN coefficient END) AS ln_orders_12m,
        MAX(CASE WHEN term = 'ln_orders_6m' THEN coefficient END) AS ln_orders_6m,
        MAX(CASE WHEN term = 'ln_orders_3m' THEN coefficient END) AS ln_orders_3m,
        MAX(CASE WHEN term = 'ln_aov_12m' THEN coefficient END) AS ln_aov_12m,
        MAX(CASE WHEN term = 'margin_rate_12m' THEN coefficient END) AS margin_rate_12m,
        MAX(CASE WHEN term = 'full_price_share_12m' THEN coefficient END) AS full_price_share_12m,
        MAX(CASE WHEN term = 'return_rate_12m' THEN coefficient END) AS return_rate_12m,
        MAX(CASE WHEN term = 'category_1_share_12m' THEN coefficient END) AS category_1_share_12m,
        MAX(CASE WHEN term = 'category_2_share_12m' THEN coefficient END) AS category_2_share_12m,
        MAX(CASE WHEN term = 'category_3_share_12m' THEN coefficient END) AS category_3_share_12m,
        MAX(CASE WHEN term = 'category_4_share_12m' THEN coefficient END) AS category_4_share_12m,
        MAX(CASE WHEN term = 'category_5_share_12m' THEN coefficient END) AS category_5_share_12m,
        MAX(CASE WHEN term = 'web_share_12m' THEN coefficient END) AS web_share_12m,
        MAX(CASE WHEN term = 'app_share_12m' THEN coefficient END) AS app_share_12m,
        MAX(CASE WHEN term = 'store_share_12m' THEN coefficient END) AS store_share_12m,
        MAX(CASE WHEN term = 'marketplace_share_12m' THEN coefficient END) AS marketplace_share_12m,
        MAX(CASE WHEN term = 'ln_support_tickets_12m' THEN coefficient END) AS ln_support_tickets_12m,
        MAX(CASE WHEN term = 'ln_referrals_12m' THEN coefficient END) AS ln_referrals_12m,
        MAX(CASE WHEN term = 'ln_reviews_12m' THEN coefficient END) AS ln_reviews_12m
    FROM lookalike_model
),

-- the current snapshot holds exactly the customers of lookalike_features
candidates AS (
    SELECT i.*
    FROM lookalike_inputs AS i
    LEFT JOIN vip_status AS v ON v.customer_id = i.customer_id
    WHERE i.snapshot = 'current' AND v.tier IS NULL
),

linear AS (
    SELECT
        c.customer_id,
        m.intercept
            + m.ln_recency_days * c.ln_recency_days
            + m.ln_tenure_days * c.ln_tenure_days
            + m.ln_orders_12m * c.ln_orders_12m
            + m.ln_orders_6m * c.ln_orders_6m
            + m.ln_orders_3m * c.ln_orders_3m
            + m.ln_aov_12m * c.ln_aov_12m
            + m.margin_rate_12m * c.margin_rate_12m
            + m.full_price_share_12m * c.full_price_share_12m
            + m.return_rate_12m * c.return_rate_12m
            + m.category_1_share_12m * c.category_1_share_12m
            + m.category_2_share_12m * c.category_2_share_12m
            + m.category_3_share_12m * c.category_3_share_12m
            + m.category_4_share_12m * c.category_4_share_12m
            + m.category_5_share_12m * c.category_5_share_12m
            + m.web_share_12m * c.web_share_12m
            + m.app_share_12m * c.app_share_12m
            + m.store_share_12m * c.store_share_12m
            + m.marketplace_share_12m * c.marketplace_share_12m
            + m.ln_support_tickets_12m * c.ln_support_tickets_12m
            + m.ln_referrals_12m * c.ln_referrals_12m
            + m.ln_reviews_12m * c.ln_reviews_12m AS linear_predictor
    -- the small side first: one row of coefficients (no row matches when the model is empty)
    FROM coefficients AS m
    CROSS JOIN candidates AS c
    WHERE m.intercept IS NOT NULL
),

scored AS (
    -- exp overflows to infinity for a very negative predictor: the score is then 0, never NaN
    SELECT customer_id, 1.0 / (1.0 + EXP(-linear_predictor)) AS score
    FROM linear
)

SELECT
    customer_id,
    score,
    CAST(ROW_NUMBER() OVER (ORDER BY score DESC, customer_id) AS BIGINT) AS rank,
    CAST(NTILE(10) OVER (ORDER BY score DESC, customer_id) AS BIGINT) AS decile
FROM scored
ORDER BY rank
