//! E-mail addresses: the common rule (trim, lowercase, reject what is not an address) and Google's
//! Gmail rule.

use super::non_blank;

/// `email` trimmed and lowercased, or `None` when it is not an address: one `@`, a non-empty local
/// part, a domain of non-empty dot-separated labels, no whitespace or control characters inside.
///
/// Meta: "trim leading and trailing whitespace and convert all characters to lowercase"
/// (<https://developers.facebook.com/docs/marketing-api/audiences/guides/custom-audiences#hash>);
/// Google: lowercase, no whitespace
/// (<https://developers.google.com/data-manager/api/devguides/concepts/formatting>); TikTok:
/// lowercase, no spaces (<https://ads.tiktok.com/help/article/how-to-create-a-custom-audience-with-a-customer-file>).
/// A trailing dot after the domain (`jane@example.com.`) is dropped, as Meta's business SDK does.
pub fn normalize_email(email: &str) -> Option<String> {
    let trimmed = non_blank(email)?.trim_end_matches('.');
    let (local, domain) = trimmed.split_once('@')?;
    let valid = !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && domain.split('.').all(|label| !label.is_empty())
        && !trimmed.chars().any(|c| c.is_whitespace() || c.is_control());
    valid.then(|| trimmed.to_lowercase())
}

/// [`normalize_email`], then Google's rule for Gmail: for `gmail.com` and `googlemail.com`
/// addresses the dots of the local part and a `+tag` are removed; other domains keep both
/// (<https://developers.google.com/data-manager/api/devguides/concepts/formatting>:
/// `cloudy.sanfrancisco+shopping@gmail.com` → `cloudysanfrancisco@gmail.com`,
/// `user.name+NYC@Example.com` → `user.name+nyc@example.com`).
pub fn google_email(email: &str) -> Option<String> {
    let normalized = normalize_email(email)?;
    let (local, domain) = normalized.split_once('@')?;
    if domain != "gmail.com" && domain != "googlemail.com" {
        return Some(normalized);
    }
    let untagged = local.split_once('+').map_or(local, |(before, _)| before);
    let undotted: String = untagged.chars().filter(|&c| c != '.').collect();
    (!undotted.is_empty()).then(|| format!("{undotted}@{domain}"))
}
