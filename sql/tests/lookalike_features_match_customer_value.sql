-- The current snapshot of the lookalike features repeats customer_value's measures (same
-- customers, same windows, same definitions): a check that the snapshot-relative windows of
-- lookalike_snapshot_features are right.
SELECT COALESCE(f.customer_id, c.customer_id) AS customer_id, f.customer_id IS NULL AS missing_feature_row
FROM lookalike_features AS f
FULL JOIN customer_value AS c ON c.customer_id = f.customer_id
WHERE f.customer_id IS NULL OR c.customer_id IS NULL
   OR f.orders_12m <> c.orders_12m
   OR f.orders_6m <> c.orders_6m
   OR f.orders_3m <> c.orders_3m
   OR f.recency_days <> c.recency_days
   OR f.tenure_days <> c.tenure_days
   OR f.referrals_12m <> c.referrals_12m
   OR f.reviews_12m <> c.reviews_12m
   OR f.support_tickets_12m <> c.support_tickets_12m
   OR f.gross_revenue_12m <> c.gross_revenue_12m
   OR f.net_revenue_12m <> c.net_revenue_12m
   OR ABS(COALESCE(f.aov_12m, 0) - COALESCE(c.aov_12m, 0)) > 1e-9
   OR (f.aov_12m IS NULL) <> (c.aov_12m IS NULL)
   OR ABS(COALESCE(f.margin_rate_12m, 0) - COALESCE(c.margin_rate_12m, 0)) > 1e-9
   OR ABS(COALESCE(f.full_price_share_12m, 0) - COALESCE(c.full_price_share_12m, 0)) > 1e-9
   OR ABS(COALESCE(f.return_rate_12m, 0) - COALESCE(c.return_rate_12m, 0)) > 1e-9
