//! Postal codes: Meta ZIP (hashed) and Google Zip (sent in clear).

use super::{country_code, non_blank};

/// Countries whose postal codes are five digits, where a four-digit value is one whose leading
/// zero a spreadsheet dropped (`2134` → `02134`).
const FIVE_DIGITS: [&str; 5] = ["US", "DE", "FR", "IT", "ES"];

/// The postal code for Meta ZIP: lowercase, letters and digits only (no spaces or dashes); in
/// the US the five-digit ZIP (`94103-1234` → `94103`); in the UK the area, district and sector
/// (`SW1A 1AA` → `sw1a1`). `None` when nothing usable is left. Meta: "use lowercase, no white
/// space; use only the first 5 digits for U.S.; use Area/District/Sector format for the UK"
/// (<https://developers.facebook.com/docs/marketing-api/audiences/guides/custom-audiences#hash>).
pub fn normalize_zip(postal: &str, country: Option<&str>) -> Option<String> {
    let text = ascii(postal)?;
    match country.and_then(country_code) {
        Some("US") => us_zip(text).map(|(zip, _)| zip),
        Some("GB") => uk_postcode(text).map(|(outward, inward)| format!("{outward}{}", &inward[..1]).to_lowercase()),
        code => padded(compact(text), code).map(|zip| zip.to_lowercase()),
    }
}

/// The postal code for Google's Zip column, in clear: in the US the five-digit ZIP, or ZIP+4 when
/// given (`94103-1234`), which Google says may improve the match rate; UK and Canadian codes with
/// the space before the inward code (`SW1A 1AA`, `M5V 3L9`); elsewhere upper case with single
/// spaces. `None` when nothing usable is left. Google: "both US and international zip and postal
/// codes are allowed… for the US, 5-digit codes or 5 digits followed by a 4-digit extension"
/// (<https://support.google.com/google-ads/answer/7476159>; template example `WC2H 8LG`,
/// <https://support.google.com/google-ads/answer/7659867>).
pub fn google_zip(postal: &str, country: Option<&str>) -> Option<String> {
    let text = ascii(postal)?;
    match country.and_then(country_code) {
        Some("US") => us_zip(text).map(|(zip, plus4)| plus4.map_or(zip.clone(), |ext| format!("{zip}-{ext}"))),
        Some("GB") => uk_postcode(text).map(|(outward, inward)| format!("{outward} {inward}")),
        Some("CA") => canadian_postcode(text),
        code => {
            let spaced = text.split_whitespace().collect::<Vec<_>>().join(" ").to_uppercase();
            if spaced.chars().all(|c| c.is_ascii_digit()) { padded(spaced, code) } else { Some(spaced) }
        }
    }
}

/// A US ZIP and its +4 extension: `94103`, `94103-1234`, `941031234`, and the four-digit form a
/// spreadsheet leaves of `02134`.
fn us_zip(text: &str) -> Option<(String, Option<String>)> {
    let (head, tail) = text.split_once('-').map_or((text, None), |(h, t)| (h, Some(t.trim())));
    let head = head.trim();
    if !head.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let plus4 = |ext: &str| (ext.len() == 4 && ext.chars().all(|c| c.is_ascii_digit())).then(|| ext.to_owned());
    match (head.len(), tail) {
        (9, None) => Some((head[..5].to_owned(), plus4(&head[5..]))),
        (3..=5, tail) => Some((format!("{head:0>5}"), tail.and_then(plus4))),
        _ => None,
    }
}

/// A UK postcode split into outward code and inward code (`SW1A`, `1AA`), upper case: the inward
/// code is always a digit and two letters.
fn uk_postcode(text: &str) -> Option<(String, String)> {
    let code = compact(text).to_uppercase();
    if !(5..=7).contains(&code.len()) {
        return None;
    }
    let (outward, inward) = code.split_at(code.len() - 3);
    let mut inward_chars = inward.chars();
    let shaped =
        inward_chars.next().is_some_and(|c| c.is_ascii_digit()) && inward_chars.all(|c| c.is_ascii_alphabetic());
    let outward_ok = outward.starts_with(|c: char| c.is_ascii_alphabetic());
    (shaped && outward_ok).then(|| (outward.to_owned(), inward.to_owned()))
}

/// A Canadian postal code with its space (`M5V 3L9`).
fn canadian_postcode(text: &str) -> Option<String> {
    let code = compact(text).to_uppercase();
    (code.len() == 6).then(|| format!("{} {}", &code[..3], &code[3..]))
}

/// The trimmed postal code, or `None` when blank or not ASCII: postal codes are ASCII letters
/// and digits everywhere, and the byte offsets below rely on it.
fn ascii(postal: &str) -> Option<&str> {
    non_blank(postal).filter(|text| text.is_ascii())
}

/// Letters and digits only.
fn compact(text: &str) -> String {
    text.chars().filter(|c| c.is_alphanumeric()).collect()
}

/// `code` with a dropped leading zero restored where postal codes are five digits; `None` when
/// empty.
fn padded(code: String, country: Option<&str>) -> Option<String> {
    if code.is_empty() {
        return None;
    }
    let five = country.is_some_and(|c| FIVE_DIGITS.contains(&c));
    if five && code.len() == 4 && code.chars().all(|c| c.is_ascii_digit()) {
        return Some(format!("0{code}"));
    }
    Some(code)
}
