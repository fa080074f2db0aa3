-- Accepted customer records, one row per customer_id. Consent is never assumed: a missing
-- ad_consent is false.
SELECT DISTINCT
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
    consent_ts
FROM customers_checked
WHERE reject_reason IS NULL
