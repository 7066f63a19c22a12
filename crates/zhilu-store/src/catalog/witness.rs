//! Witnesses' cosignatures of our checkpoints (`witness_cosignatures`): receipts from outside,
//! kept beside the ledger rather than in it (recording one would move the head it vouches for).
//! Each row is checked by `verify` against the witness's key, which the ledger holds.

use super::driver::RawRow;
use super::{Catalog, Result, int, stmt, text};

/// One witness's cosignature of our checkpoint of `size` entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cosignature {
    /// The witness's name (its key's name).
    pub witness: String,
    pub size: u64,
    /// The signature line, `— <name> <base64>`, as the witness returned it.
    pub line: String,
    /// When the witness says it cosigned (unix seconds, from the signature).
    pub cosigned_at: i64,
    /// When we received it (real time, µs).
    pub received_at: i64,
}

impl Catalog {
    /// Keeps a cosignature (a second copy of the same one is ignored). This is the one write
    /// outside [`Catalog::commit`]: a receipt from outside, checked by `verify` with the key
    /// the ledger holds for its witness, never a state of ours.
    pub async fn keep_cosignature(&self, c: &Cosignature) -> Result<()> {
        self.db
            .execute(
                stmt(
                    "INSERT INTO witness_cosignatures (witness, size, cosignature, cosigned_at, received_at) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (witness, size) DO NOTHING",
                ),
                vec![
                    text(&c.witness),
                    int(c.size as i64),
                    text(&c.line),
                    int(c.cosigned_at),
                    int(c.received_at),
                ],
            )
            .await?;
        Ok(())
    }

    /// Every stored cosignature, by witness then size.
    pub async fn cosignatures(&self) -> Result<Vec<Cosignature>> {
        let mut out = Vec::new();
        self.db
            .each(
                stmt(
                    "SELECT witness, size, cosignature, cosigned_at, received_at \
                     FROM witness_cosignatures ORDER BY witness, size",
                ),
                vec![],
                &mut |row: &dyn RawRow| {
                    out.push(Cosignature {
                        witness: row.text(0)?.unwrap_or("").to_string(),
                        size: u64::try_from(row.int(1)?.unwrap_or(-1)).unwrap_or(u64::MAX),
                        line: row.text(2)?.unwrap_or("").to_string(),
                        cosigned_at: row.int(3)?.unwrap_or(0),
                        received_at: row.int(4)?.unwrap_or(0),
                    });
                    Ok(())
                },
            )
            .await?;
        Ok(out)
    }

    /// The largest size a witness has cosigned, if any.
    pub async fn witnessed_size(&self, witness: &str) -> Result<Option<u64>> {
        let n = self
            .scalar_int(
                stmt("SELECT MAX(size) FROM witness_cosignatures WHERE witness = $1"),
                vec![text(witness)],
            )
            .await?;
        Ok(n.and_then(|n| u64::try_from(n).ok()))
    }

    /// Our signed checkpoint of exactly `size` entries, if stored.
    pub async fn checkpoint_at(&self, size: u64) -> Result<Option<String>> {
        self.scalar_text(
            stmt("SELECT note FROM ledger_entries WHERE seq = $1"),
            vec![int(size as i64 - 1)],
        )
        .await
    }
}
