//! The canonical input schema of DESIGN.md §2 (docs/canonical-schema.md): what every source is
//! registered as, and which stored types a file may use for each column.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

/// The family of stored types a canonical column accepts (cast on read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Integer,
    Money,
    Timestamp,
    Date,
    Boolean,
}

impl Kind {
    pub fn canonical_type(self) -> DataType {
        match self {
            Kind::Text => DataType::Utf8,
            Kind::Integer => DataType::Int64,
            Kind::Money => DataType::Float64,
            Kind::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            Kind::Date => DataType::Date32,
            Kind::Boolean => DataType::Boolean,
        }
    }

    /// Whether a file's stored type can stand for this column without loss of meaning.
    pub fn accepts(self, stored: &DataType) -> bool {
        use DataType::*;
        match self {
            Kind::Text => matches!(stored, Utf8 | LargeUtf8 | Utf8View | Dictionary(_, _)),
            Kind::Integer => stored.is_integer(),
            Kind::Money => {
                stored.is_floating() || stored.is_integer() || matches!(stored, Decimal128(_, _) | Decimal256(_, _))
            }
            Kind::Timestamp => matches!(stored, Timestamp(_, _)),
            Kind::Date => matches!(stored, Date32 | Date64 | Timestamp(_, _)),
            Kind::Boolean => matches!(stored, Boolean),
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Kind::Text => "a string",
            Kind::Integer => "an integer",
            Kind::Money => "a number (float or decimal)",
            Kind::Timestamp => "a timestamp",
            Kind::Date => "a date",
            Kind::Boolean => "a boolean",
        }
    }
}

/// One canonical column: its name, type family, and whether a file may leave it out.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
    pub optional: bool,
}

const fn col(name: &'static str, kind: Kind) -> Column {
    Column { name, kind, optional: false }
}

const fn opt(name: &'static str, kind: Kind) -> Column {
    Column { name, kind, optional: true }
}

use Kind::*;

const ORDERS: &[Column] = &[
    col("order_id", Text),
    col("customer_id", Text),
    col("order_ts", Timestamp),
    col("status", Text),
    opt("channel", Text),
];
const ORDER_LINES: &[Column] = &[
    col("order_id", Text),
    col("sku", Text),
    col("category", Text),
    col("quantity", Integer),
    col("unit_price", Money),
    col("list_price", Money),
    col("unit_cost", Money),
];
const RETURNS: &[Column] = &[
    col("order_id", Text),
    col("sku", Text),
    col("quantity", Integer),
    col("refund_amount", Money),
    col("return_ts", Timestamp),
];
const SUPPORT_TICKETS: &[Column] = &[col("customer_id", Text), col("ticket_ts", Timestamp), opt("cost", Money)];
const CUSTOMERS: &[Column] = &[
    col("customer_id", Text),
    col("email", Text),
    opt("phone", Text),
    opt("first_name", Text),
    opt("last_name", Text),
    opt("city", Text),
    opt("region", Text),
    opt("postal_code", Text),
    col("country", Text),
    opt("birth_date", Date),
    opt("gender", Text),
    col("ad_consent", Boolean),
    opt("consent_ts", Timestamp),
];
const REFERRALS: &[Column] = &[col("referrer_id", Text), col("referred_id", Text), col("referral_ts", Timestamp)];
const REVIEWS: &[Column] = &[col("customer_id", Text), col("review_ts", Timestamp), opt("rating", Integer)];

/// The canonical columns of a source, or `None` for an unknown source name.
pub fn columns(source: &str) -> Option<&'static [Column]> {
    Some(match source {
        "orders" => ORDERS,
        "order_lines" => ORDER_LINES,
        "returns" => RETURNS,
        "support_tickets" => SUPPORT_TICKETS,
        "customers" => CUSTOMERS,
        "referrals" => REFERRALS,
        "reviews" => REVIEWS,
        _ => return None,
    })
}

/// The Arrow schema a source is registered with (all columns nullable: staging rejects nulls
/// with a reason instead of failing the read).
pub fn arrow_schema(source: &str) -> Option<SchemaRef> {
    let fields: Vec<Field> =
        columns(source)?.iter().map(|c| Field::new(c.name, c.kind.canonical_type(), true)).collect();
    Some(Arc::new(Schema::new(fields)))
}
