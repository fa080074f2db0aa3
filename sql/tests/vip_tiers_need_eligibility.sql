-- Every VIP meets the eligibility rules: enough orders in 12m and a return rate under the cap.
SELECT s.customer_id, s.tier, cv.orders_12m, cv.return_rate_12m
FROM customer_segments AS s
JOIN customer_value AS cv ON cv.customer_id = s.customer_id
WHERE s.segment = 'vip'
  AND (cv.orders_12m < $vip_min_orders_12m OR COALESCE(cv.return_rate_12m, 0) > $vip_max_return_rate)
