//! The compact records of `vipseg generate` (numbers, not strings): what the purchase process
//! draws per block ([`BlockOrders`]) and the whole data set they are concatenated into ([`Data`])
//! before bad rows are added and the Parquet files are written; plus the status and channel codes.

use arrow::record_batch::RecordBatch;

/// Order status codes, the index into [`STATUSES`].
pub(super) const COMPLETED: u8 = 0;
pub(super) const CANCELLED: u8 = 1;
pub(super) const PENDING: u8 = 2;
pub(super) const REFUNDED: u8 = 3;
pub(super) const STATUSES: [&str; 4] = ["completed", "cancelled", "pending", "refunded"];
pub(super) const CHANNELS: [&str; 4] = ["web", "app", "store", "marketplace"];

/// Customer index that stands for a null `customer_id` (bad rows only).
pub(super) const NO_CUSTOMER: u32 = u32::MAX;

#[derive(Clone, Copy, Debug)]
pub(super) struct OrderRec {
    pub ts: i64,
    /// Global customer index (`customer_id` = `C` + index + 1), or [`NO_CUSTOMER`].
    pub cust: u32,
    pub status: u8,
    pub channel: u8,
    /// Lines `first_line .. first_line + n_lines` of the line vector.
    pub first_line: u32,
    pub n_lines: u8,
    /// The number in `order_id`, assigned once all orders are known (chronological).
    pub id: u64,
}

#[derive(Clone, Copy, Debug)]
pub(super) struct LineRec {
    /// Index into [`CATEGORIES`](crate::generate::catalog::CATEGORIES).
    pub category: u8,
    /// Price bucket and item within the category: the SKU is `<prefix>-<sku:05>`.
    pub sku: u32,
    pub quantity: i64,
    pub unit_cents: i64,
    pub list_cents: i64,
    pub cost_cents: i64,
}

#[derive(Clone, Copy, Debug)]
pub(super) struct ReturnRec {
    pub order: u32,
    pub line: u32,
    pub quantity: i64,
    pub refund_cents: i64,
    pub ts: i64,
}

#[derive(Clone, Copy, Debug)]
pub(super) struct TicketRec {
    pub cust: u32,
    pub ts: i64,
    /// Cost in cents, negative = null (the pipeline then uses `ticket_cost`).
    pub cost_cents: i64,
}

#[derive(Clone, Copy, Debug)]
pub(super) struct ReferralRec {
    pub referrer: u32,
    pub referred: u32,
    pub ts: i64,
}

#[derive(Clone, Copy, Debug)]
pub(super) struct ReviewRec {
    pub cust: u32,
    pub ts: i64,
    pub rating: u8,
}

/// When a customer record was created (for `consent_ts`) and whether the customer ever ordered.
#[derive(Clone, Copy, Debug)]
pub(super) struct Signup {
    pub ts: i64,
    pub buyer: bool,
}

/// Everything the purchase process draws for one block of customers. Order and line indices
/// are local to the block until they are appended to [`Data`].
#[derive(Default)]
pub(super) struct BlockOrders {
    pub orders: Vec<OrderRec>,
    pub lines: Vec<LineRec>,
    pub returns: Vec<ReturnRec>,
    pub tickets: Vec<TicketRec>,
    pub referrals: Vec<ReferralRec>,
    pub reviews: Vec<ReviewRec>,
    pub signups: Vec<Signup>,
}

/// A bad order line outside every order's line range (negative quantity, unknown order).
#[derive(Clone, Copy)]
pub(super) struct ExtraLine {
    pub order_id: u64,
    /// [`month_key`](crate::generate::plan::month_key) of the file the line goes to.
    pub month: i32,
    pub line: LineRec,
}

/// Every block's records concatenated in block order (order and line indices global).
#[derive(Default)]
pub(super) struct Data {
    pub orders: Vec<OrderRec>,
    pub lines: Vec<LineRec>,
    pub returns: Vec<ReturnRec>,
    pub tickets: Vec<TicketRec>,
    pub referrals: Vec<ReferralRec>,
    pub reviews: Vec<ReviewRec>,
    pub customers: Vec<RecordBatch>,
    /// Bad lines that belong to no order's line range (negative quantities, unknown orders).
    pub extra_lines: Vec<ExtraLine>,
}

impl Data {
    /// Adds a block's records, moving its local order and line indices past the ones already here.
    pub fn append(&mut self, b: BlockOrders) {
        let order_base = self.orders.len() as u32;
        let line_base = self.lines.len() as u32;
        self.orders.extend(b.orders.into_iter().map(|mut o| {
            o.first_line += line_base;
            o
        }));
        self.lines.extend(b.lines);
        self.returns.extend(b.returns.into_iter().map(|mut r| {
            r.order += order_base;
            r.line += line_base;
            r
        }));
        self.tickets.extend(b.tickets);
        self.referrals.extend(b.referrals);
        self.reviews.extend(b.reviews);
    }
}
