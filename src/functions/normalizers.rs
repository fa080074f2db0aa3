//! The SQL functions (DataFusion scalar UDFs) that the audience models call to normalise
//! personal data, registered in every session (`functions::register`): thin wrappers over `export::normalize` that run
//! a rule over Arrow string arrays. Each returns the normalised clear text or NULL; hashing stays
//! in SQL (`encode(sha256(...), 'hex')`).

use std::iter;

use arrow::array::{Array, ArrayRef, StringBuilder};
use arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility};

use crate::export::normalize;

/// One function per normalisation rule.
pub fn udfs() -> Vec<ScalarUDF> {
    Rule::ALL.into_iter().map(|rule| ScalarUDF::new_from_impl(Normalizer::new(rule))).collect()
}

/// One normalisation rule and its SQL name; the second argument, where there is one, is the
/// customer's country.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Rule {
    NormalizeEmail,
    GoogleEmail,
    CountryCode,
    NormalizeName,
    NormalizeCity,
    PhoneE164,
    NormalizeRegion,
    NormalizeZip,
    GoogleZip,
}

impl Rule {
    const ALL: [Rule; 9] = [
        Rule::NormalizeEmail,
        Rule::GoogleEmail,
        Rule::CountryCode,
        Rule::NormalizeName,
        Rule::NormalizeCity,
        Rule::PhoneE164,
        Rule::NormalizeRegion,
        Rule::NormalizeZip,
        Rule::GoogleZip,
    ];

    fn name(self) -> &'static str {
        match self {
            Rule::NormalizeEmail => "normalize_email",
            Rule::GoogleEmail => "google_email",
            Rule::CountryCode => "country_code",
            Rule::NormalizeName => "normalize_name",
            Rule::NormalizeCity => "normalize_city",
            Rule::PhoneE164 => "phone_e164",
            Rule::NormalizeRegion => "normalize_region",
            Rule::NormalizeZip => "normalize_zip",
            Rule::GoogleZip => "google_zip",
        }
    }

    fn takes_country(self) -> bool {
        matches!(self, Rule::PhoneE164 | Rule::NormalizeRegion | Rule::NormalizeZip | Rule::GoogleZip)
    }

    fn apply(self, value: &str, country: Option<&str>) -> Option<String> {
        match self {
            Rule::NormalizeEmail => normalize::normalize_email(value),
            Rule::GoogleEmail => normalize::google_email(value),
            Rule::CountryCode => normalize::country_code(value).map(str::to_owned),
            Rule::NormalizeName => normalize::normalize_name(value),
            Rule::NormalizeCity => normalize::normalize_city(value),
            Rule::PhoneE164 => normalize::phone_e164(value, country),
            Rule::NormalizeRegion => normalize::normalize_region(value, country),
            Rule::NormalizeZip => normalize::normalize_zip(value, country),
            Rule::GoogleZip => normalize::google_zip(value, country),
        }
    }
}

/// A rule as a scalar UDF: string arguments of any Arrow string type (Utf8, LargeUtf8,
/// Utf8View; a NULL literal is typed Utf8), Utf8 out.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Normalizer {
    rule: Rule,
    signature: Signature,
}

impl Normalizer {
    fn new(rule: Rule) -> Self {
        let arity = if rule.takes_country() { 2 } else { 1 };
        Self { rule, signature: Signature::string(arity, Volatility::Immutable) }
    }

    /// The rule over whole arrays: NULL value → NULL; a NULL country is no country.
    fn evaluate(&self, arrays: &[ArrayRef]) -> Result<ArrayRef> {
        let [values, rest @ ..] = arrays else {
            return exec_err!("{} expects at least one argument", self.rule.name());
        };
        let countries = match rest.first() {
            Some(array) => super::strings(array)?,
            None => Box::new(iter::repeat(None)),
        };
        let mut out = StringBuilder::with_capacity(values.len(), values.len() * 16);
        for (value, country) in super::strings(values)?.zip(countries) {
            out.append_option(value.and_then(|v| self.rule.apply(v, country)));
        }
        Ok(std::sync::Arc::new(out.finish()))
    }
}

impl ScalarUDFImpl for Normalizer {
    fn name(&self) -> &str {
        self.rule.name()
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    /// Without a country argument, NULL in is NULL out (the optimiser may use this); with one, a
    /// NULL country still lets an international phone number through.
    fn is_strict(&self) -> bool {
        !self.rule.takes_country()
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        super::invoke_on_arrays(args, |arrays, _rows| self.evaluate(arrays))
    }
}
