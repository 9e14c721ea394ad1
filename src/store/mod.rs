//! In-memory state: the runners the fixtures define (read-only, with their schemas) and a
//! table per stored resource (each declared once, in `records`), plus the seeded source of
//! ids the handlers draw from.

pub mod class_check;
mod fixture_fields;
mod fixture_rules;
pub mod fixtures;
pub mod generate;
pub mod generic;
pub mod ids;
pub mod records;
mod references;
pub mod resource;
pub mod runner_schema;
mod snapshot;
pub mod table;
mod tables;
pub mod typed;

pub use fixtures::{is_uuid, Fixtures};
pub use generate::{generate, Counts as GenerateCounts};

/// The declarations of the stored resources, in `STORED`'s order.
pub fn stored() -> impl Iterator<Item = &'static resource::Spec> {
    records::STORED.iter().map(|kind| kind.spec())
}

use crate::error::RpcError;
use rand::rngs::Xoshiro256PlusPlus;

/// The state's generator: seedable, cloneable with the state, and the same on every platform.
type Rng64 = Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use records::Runner;
pub use resource::Resource;
use runner_schema::RunnerSchema;
use std::collections::BTreeMap;
use std::sync::Arc;
use table::Table;
use tables::Tables;

/// The runners and their schemas: fixed for the life of the server.
#[derive(Debug, Default)]
pub struct Runners {
    pub list: Vec<Runner>,
    pub schemas: BTreeMap<String, RunnerSchema>,
}

impl Runners {
    pub fn get(&self, id: &str) -> Option<&Runner> {
        self.list.iter().find(|r| r.id == id)
    }

    /// The runner with `id`, or the `not_found` error the real service gives for it.
    pub fn require(&self, id: &str) -> Result<&Runner, RpcError> {
        self.get(id).ok_or_else(|| RpcError::no_such("runner", id))
    }

    pub fn schema(&self, runner: &Runner) -> Option<&RunnerSchema> {
        self.schemas.get(&runner.schema)
    }
}

/// Everything a handler may read or change. Cloning it gives an independent copy.
#[derive(Debug, Clone)]
pub struct State {
    pub runners: Arc<Runners>,
    tables: Tables,
    /// The records of any other contract's resources (`serve --contract`).
    pub generic: generic::Resources,
    /// Whether the contract has the profile's service, so its tables are part of the state.
    pub profile: bool,
    rng: Rng64,
}

impl State {
    /// A fresh state holding the fixtures. With a seed, every id it later generates is
    /// reproducible; without one, ids are random.
    pub fn new(fixtures: &Fixtures, seed: Option<u64>) -> State {
        let runners = Runners {
            list: fixtures.rows::<Runner>().to_vec(),
            schemas: fixtures.schemas.clone(),
        };
        State {
            runners: Arc::new(runners),
            tables: Tables::new(fixtures),
            generic: generic::Resources::default(),
            profile: true,
            rng: seed
                .map(Rng64::seed_from_u64)
                .unwrap_or_else(|| Rng64::seed_from_u64(rand::rng().random())),
        }
    }

    /// The table of stored resource `R`.
    pub fn table<R: Resource>(&self) -> &Table<R> {
        self.tables.get()
    }

    pub fn table_mut<R: Resource>(&mut self) -> &mut Table<R> {
        self.tables.get_mut()
    }

    /// How many records the state holds, of every stored resource.
    pub fn records(&self) -> usize {
        self.tables.iter().map(|t| t.len()).sum::<usize>() + self.generic.records()
    }

    /// A new random (version 4) UUID from the state's seeded generator, never one a record
    /// already has: an imported state may hold ids this generator would draw again.
    pub fn new_id(&mut self) -> String {
        loop {
            let id = self.draw_id();
            if !self.tables.iter().any(|t| t.contains(&id)) {
                return id;
            }
        }
    }

    /// The generic records, with a source of fresh ids for them.
    pub fn generic_and_ids(&mut self) -> (&mut generic::Resources, impl FnMut() -> String + '_) {
        let rng = &mut self.rng;
        (&mut self.generic, move || uuid_from(rng))
    }

    fn draw_id(&mut self) -> String {
        uuid_from(&mut self.rng)
    }
}

/// A version 4 UUID drawn from a generator seeded with `seed`: the same for the same seed.
pub fn uuid_of(seed: u64) -> String {
    uuid_from(&mut Rng64::seed_from_u64(seed))
}

/// A random (version 4) UUID from `rng`.
fn uuid_from(rng: &mut Rng64) -> String {
    {
        let (hi, lo): (u64, u64) = (rng.random(), rng.random());
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&hi.to_be_bytes());
        b[8..].copy_from_slice(&lo.to_be_bytes());
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
        format!(
            "{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        )
    }
}

impl State {
    pub fn rng(&mut self) -> &mut Rng64 {
        &mut self.rng
    }

    /// Restarts the generator ids and salts are drawn from; each session does, with a seed of
    /// its own (see `Session`), so sessions made from one template do not draw the same ids.
    pub fn reseed(&mut self, seed: u64) {
        self.rng = Rng64::seed_from_u64(seed);
    }

    /// Stands in for encrypting an OAuth client secret with the runner's public key: a salted,
    /// one-way digest, base64-encoded. It is never empty and never contains the plaintext.
    pub fn seal_secret(&mut self, runner_id: &str, plaintext: &str) -> String {
        use base64::Engine;
        let salt: u64 = self.rng.random();
        let mut sealed = b"gpm1".to_vec();
        sealed.extend_from_slice(&salt.to_be_bytes());
        // A fixed hash (std's DefaultHasher may change between Rust releases), so a seed
        // gives the same sealed secrets on every build.
        use crate::hash::{fnv1a64, splitmix64};
        let text = format!("{runner_id}\0{plaintext}");
        for round in 0u64..4 {
            let h = splitmix64(fnv1a64(text.as_bytes()) ^ splitmix64(salt ^ round));
            sealed.extend_from_slice(&h.to_be_bytes());
        }
        base64::engine::general_purpose::STANDARD.encode(sealed)
    }
}

/// Formats seconds since the Unix epoch as an RFC 3339 UTC timestamp.
pub fn rfc3339(secs: i64) -> String {
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil-from-days, after Howard Hinnant's public-domain algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_format_as_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_735_689_599), "2024-12-31T23:59:59Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn seeded_ids_repeat_and_are_uuids() {
        let fixtures = Fixtures::default();
        let (mut a, mut b) = (
            State::new(&fixtures, Some(7)),
            State::new(&fixtures, Some(7)),
        );
        let id = a.new_id();
        assert_eq!(id, b.new_id());
        assert!(is_uuid(&id), "{id}");
        assert_eq!(&id[14..15], "4");
    }

    #[test]
    fn new_ids_skip_ids_an_imported_record_already_has() {
        let mut state = State::new(&Fixtures::default(), Some(7));
        let next = state.clone().new_id();
        state.table_mut().insert(records::EnvironmentClass {
            id: next.clone(),
            ..records::EnvironmentClass::default()
        });
        let id = state.new_id();
        assert_ne!(id, next);
        assert!(is_uuid(&id), "{id}");
    }

    #[test]
    fn sealed_secrets_are_the_same_for_the_same_seed() {
        let seal = || State::new(&Fixtures::default(), Some(3)).seal_secret("r", "s");
        assert_eq!(seal(), seal());
    }

    #[test]
    fn sealed_secrets_hide_the_plaintext() {
        let mut state = State::new(&Fixtures::default(), Some(1));
        let sealed = state.seal_secret("r", "client_secret");
        assert!(!sealed.is_empty());
        assert!(!sealed.contains("client_secret"));
        assert_ne!(sealed, state.seal_secret("r", "client_secret"), "salted");
    }
}
