-- Every term of lookalike_model is one lookalike_scores.sql applies: an input added to
-- lookalike_inputs.sql but not to the scoring would be fitted and then silently left out.
SELECT term
FROM lookalike_model
WHERE term NOT IN (
    'intercept', 'ln_recency_days', 'ln_tenure_days', 'ln_orders_12m', 'ln_orders_6m',
    'ln_orders_3m', 'ln_aov_12m', 'margin_rate_12m', 'full_price_share_12m', 'return_rate_12m',
    'category_1_share_12m', 'category_2_share_12m', 'category_3_share_12m',
    'category_4_share_12m', 'category_5_share_12m', 'web_share_12m', 'app_share_12m',
    'store_share_12m', 'marketplace_share_12m', 'ln_support_tickets_12m', 'ln_referrals_12m',
    'ln_reviews_12m'
)
