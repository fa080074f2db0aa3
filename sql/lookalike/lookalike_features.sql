-- One row per customer of customer_value (any completed order before D): the lookalike
-- behaviour features at D (the 'current' snapshot of lookalike_snapshot_features) and the CLV
-- model's outputs. The CLV outputs describe the customer but are not model inputs: there is no
-- CLV fit as of D - 12 months to train on. Definitions, units and scaling: docs/lookalike.md.
SELECT
    f.customer_id,
    f.recency_days,
    f.tenure_days,
    f.orders_12m,
    f.orders_6m,
    f.orders_3m,
    f.gross_revenue_12m,
    f.net_revenue_12m,
    f.aov_12m,
    f.margin_rate_12m,
    f.full_price_share_12m,
    f.return_rate_12m,
    f.category_1_share_12m,
    f.category_2_share_12m,
    f.category_3_share_12m,
    f.category_4_share_12m,
    f.category_5_share_12m,
    f.web_share_12m,
    f.app_share_12m,
    f.store_share_12m,
    f.marketplace_share_12m,
    f.support_tickets_12m,
    f.referrals_12m,
    f.reviews_12m,
    clv.p_alive,
    clv.expected_orders_12m,
    clv.predicted_clv_12m
FROM lookalike_snapshot_features AS f
LEFT JOIN customer_clv AS clv ON clv.customer_id = f.customer_id
WHERE f.snapshot = 'current'
ORDER BY f.customer_id
