-- Scores are probabilities; rank runs 1..N by score (highest first: with the unique test on
-- rank, exactly 1..N); decile runs from 1 at rank 1 up to at most 10, never down, never skipping.
WITH ordered AS (
    SELECT
        customer_id,
        score,
        rank,
        decile,
        COUNT(*) OVER () AS n,
        LAG(score) OVER (ORDER BY rank) AS previous_score,
        LAG(decile) OVER (ORDER BY rank) AS previous_decile
    FROM lookalike_scores
)
SELECT customer_id, score, rank, decile, n
FROM ordered
WHERE score < 0 OR score > 1
   OR rank < 1 OR rank > n
   OR decile < 1 OR decile > 10
   OR score > previous_score
   OR decile < previous_decile
   OR decile > previous_decile + 1
   OR (rank = 1 AND decile <> 1)
