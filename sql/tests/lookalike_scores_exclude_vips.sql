-- lookalike_scores is the audience of would-be VIPs: nobody who already holds a VIP tier at D.
SELECT s.customer_id, v.tier
FROM lookalike_scores AS s
JOIN vip_status AS v ON v.customer_id = s.customer_id
WHERE v.tier IS NOT NULL
