-- The lookalike model's inputs per customer and snapshot: the snapshot features, transformed
-- once here for both the training rows (lookalike_training) and the scoring (lookalike_scores).
-- Counts, days and money enter as ln(1 + x): their effect levels off, and a few very large values
-- do not dominate the fit. Shares and rates stay in [0, 1] (a margin rate is clipped to [-1, 1]:
-- it is unbounded when refunds nearly cancel the revenue). An undefined value (no 12m order,
-- so no share or rate) is 0. The model standardises each input on its training split; the
-- published coefficients are on this scale (docs/lookalike.md).
-- Adding an input: a column here, and its term in lookalike_scores.sql and in
-- tests/lookalike_model_terms_scored.sql.
SELECT
    customer_id,
    snapshot,
    LN(1.0 + recency_days) AS ln_recency_days,
    LN(1.0 + tenure_days) AS ln_tenure_days,
    LN(1.0 + orders_12m) AS ln_orders_12m,
    LN(1.0 + orders_6m) AS ln_orders_6m,
    LN(1.0 + orders_3m) AS ln_orders_3m,
    LN(1.0 + GREATEST(COALESCE(aov_12m, 0), 0)) AS ln_aov_12m,
    LEAST(GREATEST(COALESCE(margin_rate_12m, 0), -1), 1) AS margin_rate_12m,
    COALESCE(full_price_share_12m, 0) AS full_price_share_12m,
    LEAST(GREATEST(COALESCE(return_rate_12m, 0), 0), 1) AS return_rate_12m,
    COALESCE(category_1_share_12m, 0) AS category_1_share_12m,
    COALESCE(category_2_share_12m, 0) AS category_2_share_12m,
    COALESCE(category_3_share_12m, 0) AS category_3_share_12m,
    COALESCE(category_4_share_12m, 0) AS category_4_share_12m,
    COALESCE(category_5_share_12m, 0) AS category_5_share_12m,
    COALESCE(web_share_12m, 0) AS web_share_12m,
    COALESCE(app_share_12m, 0) AS app_share_12m,
    COALESCE(store_share_12m, 0) AS store_share_12m,
    COALESCE(marketplace_share_12m, 0) AS marketplace_share_12m,
    LN(1.0 + support_tickets_12m) AS ln_support_tickets_12m,
    LN(1.0 + referrals_12m) AS ln_referrals_12m,
    LN(1.0 + reviews_12m) AS ln_reviews_12m
FROM lookalike_snapshot_features
