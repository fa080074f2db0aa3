//! First and last names (Meta FN/LN, Google First Name/Last Name) and cities (Meta CT).

use super::{composed, non_blank};

/// Courtesy titles before a name and generational suffixes after it, which Google says to leave
/// out ("don't include prefixes such as Mrs.", "suffixes such as Jr.",
/// <https://developers.google.com/data-manager/api/devguides/concepts/formatting>); compared
/// after punctuation is removed.
const PREFIXES: [&str; 7] = ["mr", "mrs", "ms", "miss", "mx", "dr", "prof"];
const SUFFIXES: [&str; 6] = ["jr", "sr", "ii", "iii", "iv", "phd"];

/// `name` lowercased, without punctuation, symbols or digits, inner whitespace collapsed to one
/// space, accented letters kept (`Zoë` → `zoë`, `O'Brien` → `obrien`, `Jean-Luc` → `jeanluc`),
/// a leading title and a trailing suffix dropped; `None` when no letter is left.
///
/// Meta FN/LN: "lowercase only, no punctuation; special characters in UTF-8 format"
/// (<https://developers.facebook.com/docs/marketing-api/audiences/guides/custom-audiences#hash>),
/// accents accepted (<https://www.facebook.com/business/help/2082575038703844>). Google First
/// Name/Last Name: "all lowercase, with no punctuation, no leading or trailing whitespace"
/// (<https://developers.google.com/data-manager/api/reference/rest/v1/UserData#AddressInfo>), no
/// prefixes or suffixes. The inner space of a name such as `mary ann` is kept: Google trims only
/// leading and trailing whitespace, and Meta asks for none removed.
pub fn normalize_name(name: &str) -> Option<String> {
    let text = composed(non_blank(name)?);
    let mut words: Vec<String> = text.split_whitespace().map(letters_lowercase).filter(|w| !w.is_empty()).collect();
    if words.len() > 1 && PREFIXES.contains(&words[0].as_str()) {
        words.remove(0);
    }
    if words.len() > 1 && words.last().is_some_and(|w| SUFFIXES.contains(&w.as_str())) {
        words.pop();
    }
    let joined = words.join(" ");
    (!joined.is_empty()).then_some(joined)
}

/// `city` lowercased with only its letters (accents kept): no punctuation, digits or spaces
/// (`San Francisco` → `sanfrancisco`, `Saint-Étienne` → `saintétienne`); `None` when no letter
/// is left. Meta CT: "lowercase only, no punctuation, no special characters, no white space"
/// (<https://developers.facebook.com/docs/marketing-api/audiences/guides/custom-audiences#hash>).
/// Google's customer list has no city column.
pub fn normalize_city(city: &str) -> Option<String> {
    let squashed = letters_lowercase(&composed(non_blank(city)?));
    (!squashed.is_empty()).then_some(squashed)
}

/// The letters (and their combining accents) of `text`, lowercased; everything else dropped.
fn letters_lowercase(text: &str) -> String {
    text.chars().filter(|&c| c.is_alphabetic() || is_combining_mark(c)).flat_map(char::to_lowercase).collect()
}

/// Combining diacritical marks (U+0300–U+036F): the accents NFC cannot fold into a precomposed
/// letter are kept with their letter.
fn is_combining_mark(c: char) -> bool {
    ('\u{0300}'..='\u{036F}').contains(&c)
}
