//! States and provinces (Meta ST).

use super::{composed, country_code, non_blank, us_states};

/// The customer's state or province for Meta ST: in the United States the two-letter code,
/// lowercase (`NY`, `New York`, `new york` → `ny`; `None` when it names no state); elsewhere
/// lowercase letters and digits only, no punctuation or spaces, accents kept
/// (`Île-de-France` → `îledefrance`). Meta: "use the 2-character ANSI abbreviation code,
/// lowercase; normalize states outside U.S. in lowercase, no punctuation, no special characters,
/// no white space" (<https://developers.facebook.com/docs/marketing-api/audiences/guides/custom-audiences#hash>).
/// The US rule applies only when `country` says US: `CA` is California there and Canada's
/// province code elsewhere. Google's customer list has no state column.
pub fn normalize_region(region: &str, country: Option<&str>) -> Option<String> {
    let key: String =
        composed(non_blank(region)?).chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect();
    if key.is_empty() {
        return None;
    }
    if country.and_then(country_code) == Some("US") {
        return us_states::state_code(&key).map(str::to_owned);
    }
    Some(key)
}
