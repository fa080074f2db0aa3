-- Accepted support tickets before the as-of date; a ticket without its own cost costs
-- `ticket_cost`.
SELECT DISTINCT
    customer_id,
    ticket_ts,
    COALESCE(cost, CAST($ticket_cost AS DOUBLE)) AS cost
FROM support_tickets_checked
WHERE reject_reason IS NULL
