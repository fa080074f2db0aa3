-- Accepted customer records, one row per customer_id. Consent is never assumed: a missing
-- ad_consent is false. Only a customer_id with more than one valid record (`repeated_key`) can
-- have copies, so only those records pay for the DISTINCT (docs/performance.md, rule 3).
WITH accepted AS (
    SELECT
        customer_id,
        email,
        phone,
        first_name,
        last_name,
        city,
        region,
        postal_code,
        country,
        birth_date,
        gender,
        COALESCE(ad_consent, FALSE) AS ad_consent,
        consent_ts,
        repeated_key
    FROM customers_checked
    WHERE reject_reason IS NULL
)

SELECT
    customer_id, email, phone, first_name, last_name, city, region, postal_code, country,
    birth_date, gender, ad_consent, consent_ts
FROM accepted
WHERE NOT repeated_key
UNION ALL
SELECT DISTINCT
    customer_id, email, phone, first_name, last_name, city, region, postal_code, country,
    birth_date, gender, ad_consent, consent_ts
FROM accepted
WHERE repeated_key
