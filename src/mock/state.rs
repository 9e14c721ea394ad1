//! The embedded mock's starting state: the profile's fixtures and generated records, and for
//! another contract its declared resources with their fixtures and generated samples.

use super::{Error, MockServerBuilder};
use crate::app;
use crate::contract::Contract;
use crate::service::Table;
use crate::store::fixtures::{self, Source};
use crate::store::generate::Counts;
use crate::store::{generic, Fixtures, State};

impl MockServerBuilder {
    /// The starting state: the profile's fixtures (the embedded ones, or `--fixtures` for the
    /// embedded contract) and generated records; for another contract, its resources declared,
    /// with the records of its fixtures directory and `--generate`'s.
    pub(super) fn state_of(&self, contract: &Contract, table: &Table) -> Result<State, Error> {
        let profile = contract.services().contains(&crate::contract::SERVICE);
        let profile_fixtures = match &self.fixtures {
            Some(dir) if contract.is_builtin() => Source::Dir(dir),
            _ => Source::Embedded,
        };
        let fixtures = match profile {
            true => fixtures::load(contract, profile_fixtures)
                .map_err(|e| Error(format!("invalid fixtures:\n{e}")))?,
            false => Fixtures::default(),
        };
        let generate = if profile {
            self.generate
        } else {
            Counts::default()
        };
        let mut state = app::state_from(&fixtures, self.seed, generate);
        state.profile = profile;
        let declared = table.resources();
        for resource in &declared {
            let id = resource.id.json_name();
            state.generic.declare(resource.message.full_name(), id);
        }
        if contract.is_builtin() {
            return Ok(state);
        }
        if let Some(dir) = &self.fixtures {
            let generated = table.generated();
            generic::fixtures::load(contract, &declared, &generated, dir, &mut state.generic)
                .map_err(|e| Error(format!("invalid fixtures:\n{e}")))?;
        }
        let seed = self.seed.unwrap_or_else(rand::random);
        let count = self.generate.every();
        generic::fixtures::generate(contract, &declared, count, seed, &mut state.generic);
        Ok(state)
    }
}
