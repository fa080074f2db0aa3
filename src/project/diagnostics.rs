//! Turns DataFusion errors about a model into `file:line:column: message`, the form editors
//! and CI annotate.

use datafusion::error::DataFusionError;

use crate::error::ModelError;

/// A SQL error located in `file` (line and column when the parser or planner knows them).
pub fn sql_error(file: &str, sql: &str, error: &DataFusionError) -> ModelError {
    let message = error.strip_backtrace();
    let position = span_of(error).or_else(|| position_in_message(&message));
    let location = match position {
        Some((line, column)) => format!("{file}:{line}:{column}"),
        None => file.to_string(),
    };
    let excerpt = position.and_then(|(line, _)| sql.lines().nth(line.saturating_sub(1) as usize));
    let message = match excerpt {
        Some(text) => format!("{message}\n    | {}", text.trim_end()),
        None => message,
    };
    ModelError::Sql { location, message }
}

fn span_of(error: &DataFusionError) -> Option<(u64, u64)> {
    let span = error.diagnostic()?.span?;
    (span.start.line > 0).then_some((span.start.line, span.start.column))
}

/// sqlparser reports positions as "... at Line: 3, Column: 7" inside its message.
fn position_in_message(message: &str) -> Option<(u64, u64)> {
    let rest = &message[message.rfind("Line: ")? + "Line: ".len()..];
    let (line, rest) = rest.split_once(", Column: ")?;
    let column: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some((line.trim().parse().ok()?, column.parse().ok()?))
}
