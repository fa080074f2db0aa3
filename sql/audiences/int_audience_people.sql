-- One row per audience member who consented to ad use (ad_consent = true; consent is never
-- assumed, so a customer without a customer record has none), with the contact details
-- normalised by the ad platforms' published rules (docs/audiences.md). The details of customers
-- without consent are not read at all. NULL = nothing usable: the file leaves it empty, and
-- `empty_<field>` says that the record held something that could not be normalised (counted
-- per file in the run results).
WITH people AS (
    SELECT DISTINCT customer_id FROM audience_members
),

consenting AS (
    SELECT c.*
    FROM stg_customers AS c
    JOIN people AS p ON p.customer_id = c.customer_id
    WHERE c.ad_consent
),

normalised AS (
    SELECT
        customer_id,
        normalize_email(email) AS email,
        google_email(email) AS email_google,
        phone_e164(phone, country) AS phone_e164,
        normalize_name(first_name) AS first_name,
        normalize_name(last_name) AS last_name,
        NULLIF(TRIM(first_name), '') AS first_name_clear,
        NULLIF(TRIM(last_name), '') AS last_name_clear,
        normalize_city(city) AS city,
        normalize_region(region, country) AS region,
        normalize_zip(postal_code, country) AS postal_code,
        google_zip(postal_code, country) AS postal_code_google,
        country_code(country) AS country,
        birth_date,
        CASE
            WHEN LOWER(TRIM(gender)) IN ('f', 'female', 'w', 'woman') THEN 'f'
            WHEN LOWER(TRIM(gender)) IN ('m', 'male', 'man') THEN 'm'
        END AS gender,
        NULLIF(TRIM(email), '') IS NOT NULL AS email_given,
        NULLIF(TRIM(phone), '') IS NOT NULL AS phone_given,
        NULLIF(TRIM(first_name), '') IS NOT NULL AS first_name_given,
        NULLIF(TRIM(last_name), '') IS NOT NULL AS last_name_given,
        NULLIF(TRIM(city), '') IS NOT NULL AS city_given,
        NULLIF(TRIM(region), '') IS NOT NULL AS region_given,
        NULLIF(TRIM(postal_code), '') IS NOT NULL AS postal_code_given,
        NULLIF(TRIM(country), '') IS NOT NULL AS country_given,
        NULLIF(TRIM(gender), '') IS NOT NULL AS gender_given
    FROM consenting
)

SELECT
    customer_id,
    email,
    email_google,
    phone_e164,
    first_name,
    last_name,
    first_name_clear,
    last_name_clear,
    city,
    region,
    postal_code,
    country,
    postal_code_google,
    birth_date,
    gender,
    email_given AND email IS NULL AS empty_email,
    phone_given AND phone_e164 IS NULL AS empty_phone,
    first_name_given AND first_name IS NULL AS empty_first_name,
    last_name_given AND last_name IS NULL AS empty_last_name,
    city_given AND city IS NULL AS empty_city,
    region_given AND region IS NULL AS empty_region,
    postal_code_given AND postal_code IS NULL AS empty_postal_code,
    country_given AND country IS NULL AS empty_country,
    gender_given AND gender IS NULL AS empty_gender
FROM normalised
