-- No audience file may hold a customer without ad consent (or without a customer record).
WITH kept AS (
    SELECT 'meta' AS platform, _customer_id AS customer_id FROM audience_meta WHERE _left_out IS NULL
    UNION ALL
    SELECT 'google', _customer_id FROM audience_google WHERE _left_out IS NULL
    UNION ALL
    SELECT 'tiktok', _customer_id FROM audience_tiktok WHERE _left_out IS NULL
    UNION ALL
    SELECT 'linkedin', _customer_id FROM audience_linkedin WHERE _left_out IS NULL
)

SELECT k.platform, k.customer_id
FROM kept AS k
LEFT JOIN stg_customers AS c ON c.customer_id = k.customer_id
WHERE c.ad_consent IS NOT TRUE
