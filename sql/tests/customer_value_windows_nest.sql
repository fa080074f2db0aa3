-- Fails on customers whose shorter windows hold more orders than the longer ones.
SELECT customer_id, orders_3m, orders_6m, orders_12m
FROM customer_value
WHERE orders_3m > orders_6m OR orders_6m > orders_12m
