//! Multi-row `INSERT`s: one statement for many rows, so that a batch costs a few statements
//! instead of one per row (bulk loads, and the group commit of new tickets).
//!
//! Only their one-row form is kept in sqlx's statement cache ([`cached`]): their text differs
//! with the number of rows, so caching every size would fill the cache (100 statements per
//! connection) with large programs that run once, and push out the statements that repeat.
//! The one-row form is what a single ticket or job (mail, import, the CLI) runs again and again.

use crate::Backend;

/// SQLite binds at most 32,766 parameters per statement (PostgreSQL 65,535); each multi-row
/// statement stays below this many.
const MAX_PARAMS: usize = 30_000;

/// `VALUES` rows for `rows` copies of `template`. On PostgreSQL its `?` marks become `$1`, `$2`,
/// ...; SQLite keeps the anonymous `?`, because looking up the name of a numbered parameter
/// walks a list, which makes binding thousands of `$N` parameters quadratic.
pub(crate) fn values(backend: Backend, template: &str, rows: usize) -> String {
    if backend == Backend::Sqlite {
        return vec![template; rows].join(", ");
    }
    let mut out = String::with_capacity(rows * (template.len() + 24));
    let mut n = 0usize;
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        for ch in template.chars() {
            if ch == '?' {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            } else {
                out.push(ch);
            }
        }
    }
    out
}

/// Whether a statement of `rows` rows is kept prepared in the connection's statement cache.
pub(crate) fn cached(rows: usize) -> bool {
    rows == 1
}

/// `sql` with its `?` marks as the backend wants them (see [`values`]).
pub(crate) fn numbered(backend: Backend, sql: &str) -> String {
    values(backend, sql, 1)
}

/// Rows per statement for a row of `params` parameters.
pub(crate) fn chunk_rows(params: usize) -> usize {
    (MAX_PARAMS / params.max(1)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_number_the_placeholders_across_rows() {
        assert_eq!(values(Backend::Postgres, "(?, 1, ?)", 2), "($1, 1, $2), ($3, 1, $4)");
        assert_eq!(values(Backend::Sqlite, "(?, 1, ?)", 2), "(?, 1, ?), (?, 1, ?)");
        assert!(chunk_rows(24) * 24 <= 32_766);
    }
}
