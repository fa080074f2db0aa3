-- near_vip and lapsed_vip are for customers who are not VIP; at_risk_vip only for VIPs.
SELECT s.customer_id, s.segment
FROM customer_segments AS s
LEFT JOIN customer_segments AS v ON v.customer_id = s.customer_id AND v.segment = 'vip'
WHERE (s.segment IN ('near_vip', 'lapsed_vip') AND v.customer_id IS NOT NULL)
   OR (s.segment = 'at_risk_vip' AND v.customer_id IS NULL)
