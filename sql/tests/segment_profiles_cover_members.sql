-- Every dimension of a segment's profile counts each member of the segment exactly once, and
-- the shares of a dimension add up to 1.
WITH members AS (
    SELECT segment, tier, COUNT(*) AS members FROM customer_segments GROUP BY segment, tier
    UNION ALL
    SELECT segment, NULL, COUNT(*) FROM customer_segments WHERE segment = 'vip' GROUP BY segment
),

profiled AS (
    SELECT segment, tier, dimension, SUM(customers) AS customers, SUM(share) AS shares
    FROM segment_profiles
    GROUP BY segment, tier, dimension
)

SELECT p.segment, p.tier, p.dimension, p.customers, m.members, p.shares
FROM profiled AS p
LEFT JOIN members AS m ON m.segment = p.segment AND m.tier IS NOT DISTINCT FROM p.tier
WHERE m.members IS NULL
   OR p.customers <> m.members
   OR ABS(p.shares - 1.0) > 1e-9
