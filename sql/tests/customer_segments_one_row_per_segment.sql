-- A customer holds each segment at most once (VIP: one tier).
SELECT customer_id, segment, COUNT(*) AS n_rows
FROM customer_segments
GROUP BY customer_id, segment
HAVING COUNT(*) > 1
