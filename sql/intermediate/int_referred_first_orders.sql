-- The first completed order of every customer someone referred: both referral counts
-- (customer_value, lookalike_snapshot_features) count a referral when it falls in their window.
-- Only the referred customers' orders are read, through a join with the few referred ids first,
-- not a first order for every customer (a view: each model that names it computes it).
SELECT o.customer_id, MIN(o.order_ts) AS first_order_ts
FROM (SELECT DISTINCT referred_id FROM stg_referrals) AS r
JOIN stg_orders AS o ON o.customer_id = r.referred_id
GROUP BY o.customer_id
