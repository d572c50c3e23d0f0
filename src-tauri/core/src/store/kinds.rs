//! The text-backed enums of `domain::kinds` as SQLite values: written as their word,
//! read back by parsing it. A word the enum does not know (a hand-edited row; the
//! columns have CHECK constraints) is a conversion error naming the column's value,
//! not a panic.

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

use crate::domain::kinds::{CampaignState, Channel, ConversationState, Direction};

macro_rules! sql_text {
    ($($name:ident),+) => {$(
        impl ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.as_str()))
            }
        }

        impl FromSql for $name {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                value.as_str()?.parse().map_err(|e: crate::error::Error| FromSqlError::Other(Box::new(e)))
            }
        }
    )+};
}

sql_text!(Direction, Channel, CampaignState, ConversationState);

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    #[test]
    fn stored_as_the_word_and_read_back() {
        let c = Connection::open_in_memory().unwrap();
        let (ch, dir, st): (Channel, Direction, CampaignState) = c
            .query_row(
                "SELECT ?1, ?2, ?3",
                rusqlite::params![Channel::Email, Direction::Inbound, CampaignState::Paused],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!((ch, dir, st), (Channel::Email, Direction::Inbound, CampaignState::Paused));
        let text: String = c.query_row("SELECT ?1", [Channel::Email], |r| r.get(0)).unwrap();
        assert_eq!(text, "email");
    }

    #[test]
    fn an_unknown_word_is_an_error_not_a_panic() {
        let c = Connection::open_in_memory().unwrap();
        let got: rusqlite::Result<Channel> = c.query_row("SELECT 'fax'", [], |r| r.get(0));
        assert!(got.is_err());
    }
}
