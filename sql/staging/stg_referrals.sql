-- Accepted referrals before the as-of date, one row per referred customer.
SELECT DISTINCT
    referrer_id,
    referred_id,
    referral_ts
FROM referrals_checked
WHERE reject_reason IS NULL
