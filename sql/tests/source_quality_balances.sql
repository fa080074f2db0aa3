-- Every input row is either accepted or rejected, and every rejected row is in rejected_rows.
SELECT q.source, q.input_rows, q.accepted_rows, q.rejected_rows, COUNT(r.source) AS listed_rejected
FROM source_quality AS q
LEFT JOIN rejected_rows AS r ON r.source = q.source
GROUP BY q.source, q.input_rows, q.accepted_rows, q.rejected_rows
HAVING q.input_rows <> q.accepted_rows + q.rejected_rows
    OR q.rejected_rows <> COUNT(r.source)
