//! Where a class session lives: one SQLite file (WAL mode), written as each
//! prediction arrives, so a server stopped without warning and started
//! again on the same file resumes exactly. Every value goes through a
//! parameterised statement.

use rusqlite::{Connection, OptionalExtension, params};
use std::path::Path;

pub struct Store {
    db: Connection,
}

/// One student's prediction for one scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    pub scenario: String,
    pub student: String,
    /// Probabilities in the scenario's result order.
    pub p: Vec<f64>,
    pub reason: String,
}

fn text(e: rusqlite::Error) -> String {
    format!("the class database: {e}")
}

impl Store {
    pub fn open(path: &Path) -> Result<Store, String> {
        let db = Connection::open(path).map_err(text)?;
        db.pragma_update(None, "journal_mode", "WAL").map_err(text)?;
        db.pragma_update(None, "synchronous", "NORMAL").map_err(text)?;
        db.execute_batch(
            "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS joined (student TEXT PRIMARY KEY, scenario TEXT NOT NULL, at INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS predictions (
                 scenario TEXT NOT NULL, student TEXT NOT NULL, p TEXT NOT NULL, reason TEXT NOT NULL,
                 at INTEGER NOT NULL, PRIMARY KEY (scenario, student));
             CREATE TABLE IF NOT EXISTS revealed (scenario TEXT PRIMARY KEY);",
        )
        .map_err(text)?;
        Ok(Store { db })
    }

    /// The value kept under `key`, or `make()`'s, kept from now on.
    pub fn meta_or(&self, key: &str, make: impl FnOnce() -> String) -> Result<String, String> {
        let found: Option<String> = self
            .db
            .query_row("SELECT value FROM meta WHERE key = ?1", params![key], |r| r.get(0))
            .optional()
            .map_err(text)?;
        match found {
            Some(v) => Ok(v),
            None => {
                let v = make();
                self.db
                    .execute("INSERT INTO meta (key, value) VALUES (?1, ?2)", params![key, v])
                    .map_err(text)?;
                Ok(v)
            }
        }
    }

    /// The scenario a student was given (the one given before, if any).
    pub fn join(&self, student: &str, give: impl FnOnce(usize) -> String) -> Result<String, String> {
        let found: Option<String> = self
            .db
            .query_row(
                "SELECT scenario FROM joined WHERE student = ?1",
                params![student],
                |r| r.get(0),
            )
            .optional()
            .map_err(text)?;
        if let Some(s) = found {
            return Ok(s);
        }
        let count: i64 = self
            .db
            .query_row("SELECT count(*) FROM joined", [], |r| r.get(0))
            .map_err(text)?;
        let scenario = give(count as usize);
        self.db
            .execute(
                "INSERT INTO joined (student, scenario, at) VALUES (?1, ?2, ?3)",
                params![student, scenario, now()],
            )
            .map_err(text)?;
        Ok(scenario)
    }

    pub fn joined(&self, scenario: &str) -> Result<Vec<String>, String> {
        let mut q = self
            .db
            .prepare("SELECT student FROM joined WHERE scenario = ?1 ORDER BY at, student")
            .map_err(text)?;
        let rows = q.query_map(params![scenario], |r| r.get(0)).map_err(text)?;
        rows.collect::<Result<_, _>>().map_err(text)
    }

    /// Stores a prediction, replacing the student's earlier one.
    pub fn predict(&self, p: &Prediction) -> Result<(), String> {
        let json = serde_json::to_string(&p.p).map_err(|e| e.to_string())?;
        self.db
            .execute(
                "INSERT INTO predictions (scenario, student, p, reason, at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (scenario, student) DO UPDATE SET p = excluded.p, reason = excluded.reason, at = excluded.at",
                params![p.scenario, p.student, json, p.reason, now()],
            )
            .map_err(text)?;
        Ok(())
    }

    pub fn predictions(&self, scenario: &str) -> Result<Vec<Prediction>, String> {
        let mut q = self
            .db
            .prepare("SELECT student, p, reason FROM predictions WHERE scenario = ?1 ORDER BY student")
            .map_err(text)?;
        let rows = q
            .query_map(params![scenario], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
            })
            .map_err(text)?;
        let mut out = Vec::new();
        for row in rows {
            let (student, p, reason) = row.map_err(text)?;
            out.push(Prediction {
                scenario: scenario.to_string(),
                student,
                p: serde_json::from_str(&p).map_err(|e| format!("the class database holds a bad prediction: {e}"))?,
                reason,
            });
        }
        Ok(out)
    }

    pub fn is_revealed(&self, scenario: &str) -> Result<bool, String> {
        self.db
            .query_row("SELECT 1 FROM revealed WHERE scenario = ?1", params![scenario], |_| {
                Ok(())
            })
            .optional()
            .map(|r| r.is_some())
            .map_err(text)
    }

    pub fn reveal(&self, scenario: &str) -> Result<(), String> {
        self.db
            .execute(
                "INSERT OR IGNORE INTO revealed (scenario) VALUES (?1)",
                params![scenario],
            )
            .map(|_| ())
            .map_err(text)
    }

    /// Hides the results again and clears the scenario's predictions.
    pub fn reset(&self, scenario: &str) -> Result<(), String> {
        self.db
            .execute("DELETE FROM revealed WHERE scenario = ?1", params![scenario])
            .map_err(text)?;
        self.db
            .execute("DELETE FROM predictions WHERE scenario = ?1", params![scenario])
            .map(|_| ())
            .map_err(text)
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predictions_are_replaced_kept_across_reopening_and_cleared_by_a_reset() {
        let dir = std::env::temp_dir().join(format!("sim-store-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("class.sqlite");
        let _ = std::fs::remove_file(&path);
        let p = |student: &str, x: f64| Prediction {
            scenario: "s".into(),
            student: student.into(),
            p: vec![x, 1.0 - x],
            reason: "'); DROP TABLE predictions; --".into(),
        };
        {
            let store = Store::open(&path).unwrap();
            store.predict(&p("ann", 0.2)).unwrap();
            store.predict(&p("ann", 0.7)).unwrap();
            store.predict(&p("bo", 0.5)).unwrap();
            assert_eq!(store.meta_or("token", || "t1".into()).unwrap(), "t1");
            assert_eq!(store.join("ann", |k| format!("s{k}")).unwrap(), "s0");
            assert_eq!(store.join("bo", |k| format!("s{k}")).unwrap(), "s1");
            assert_eq!(store.join("ann", |k| format!("s{k}")).unwrap(), "s0");
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.predictions("s").unwrap(), vec![p("ann", 0.7), p("bo", 0.5)]);
        assert_eq!(store.meta_or("token", || "t2".into()).unwrap(), "t1");
        assert!(!store.is_revealed("s").unwrap());
        store.reveal("s").unwrap();
        assert!(store.is_revealed("s").unwrap());
        store.reset("s").unwrap();
        assert!(!store.is_revealed("s").unwrap() && store.predictions("s").unwrap().is_empty());
    }
}
