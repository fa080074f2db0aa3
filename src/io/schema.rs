//! The canonical input schema (docs/canonical-schema.md): the sources, what each is registered
//! as, and which stored types a file may use for each column.

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

/// The input sources of the canonical schema: one enum, so no code path meets an unknown name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Orders,
    OrderLines,
    Customers,
    Returns,
    SupportTickets,
    Referrals,
    Reviews,
}

impl Source {
    /// Every source, the required ones first.
    pub const ALL: [Source; 7] = [
        Source::Orders,
        Source::OrderLines,
        Source::Customers,
        Source::Returns,
        Source::SupportTickets,
        Source::Referrals,
        Source::Reviews,
    ];

    /// The name in `[sources.<name>]`, in `raw.<name>` and in messages.
    pub fn name(self) -> &'static str {
        match self {
            Source::Orders => "orders",
            Source::OrderLines => "order_lines",
            Source::Customers => "customers",
            Source::Returns => "returns",
            Source::SupportTickets => "support_tickets",
            Source::Referrals => "referrals",
            Source::Reviews => "reviews",
        }
    }

    pub fn from_name(name: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|s| s.name() == name)
    }

    /// A required source must be configured and hold rows; an optional one left out reads as empty.
    pub fn required(self) -> bool {
        matches!(self, Source::Orders | Source::OrderLines | Source::Customers)
    }

    /// The canonical columns.
    pub fn columns(self) -> &'static [Column] {
        match self {
            Source::Orders => ORDERS,
            Source::OrderLines => ORDER_LINES,
            Source::Returns => RETURNS,
            Source::SupportTickets => SUPPORT_TICKETS,
            Source::Customers => CUSTOMERS,
            Source::Referrals => REFERRALS,
            Source::Reviews => REVIEWS,
        }
    }

    /// The Arrow schema the source is registered with (all columns nullable: staging rejects
    /// nulls with a reason instead of failing the read).
    pub fn arrow_schema(self) -> SchemaRef {
        let fields: Vec<Field> =
            self.columns().iter().map(|c| Field::new(c.name, c.kind.canonical_type(), true)).collect();
        Arc::new(Schema::new(fields))
    }

    /// The Hive-style partition column of the sample data's folders (`<column>=YYYY-MM`), by the
    /// month of the row's own timestamp (lines by their order's); None for the customer snapshot.
    pub fn partition_column(self) -> Option<&'static str> {
        match self {
            Source::Orders | Source::OrderLines => Some("order_month"),
            Source::Returns => Some("return_month"),
            Source::SupportTickets => Some("ticket_month"),
            Source::Referrals => Some("referral_month"),
            Source::Reviews => Some("review_month"),
            Source::Customers => None,
        }
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
