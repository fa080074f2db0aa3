-- The deciles hold every active customer exactly once.
SELECT n_in_deciles, n_active
FROM (SELECT COALESCE(SUM(customers), 0) AS n_in_deciles FROM pareto) AS p
CROSS JOIN (SELECT COUNT(*) AS n_active FROM customer_value WHERE orders_12m >= 1) AS a
WHERE n_in_deciles <> n_active
