//! The embedded mock's starting state: the profile's fixtures and generated records, and for
//! another contract its declared resources with their fixtures and generated samples; and the
//! application assembled around it.

use super::{Error, MockServerBuilder};
use crate::app::{self, App, Settings};
use crate::auth::ControlAccess;
use crate::contract::Contract;
use crate::log::Log;
use crate::scenario::Library;
use crate::service::Table;
use crate::session::Limits;
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

    /// The application the mock serves, assembled without a socket.
    #[doc(hidden)]
    pub fn build(self) -> Result<App, Error> {
        let contract = match &self.contract {
            None => Contract::load(),
            Some(path) => crate::contract::source::compile(path)
                .map_err(|e| Error(e.to_string()))
                .and_then(|pool| Contract::from_pool(pool, &[]).map_err(Error))?,
        };
        let table = Table::new(&contract);
        let library = Library::load(&contract, self.scenario_dir.as_deref())
            .map_err(|e| Error(format!("invalid scenarios:\n{e}")))?;
        let mut state = self.state_of(&contract, &table)?;
        if let Some((name, snapshot)) = &self.state {
            state
                .import(snapshot)
                .map_err(|e| Error(format!("{name}: {e}")))?;
        }
        let settings = Settings {
            strict: self.strict,
            lenient: self.lenient,
            max_body_bytes: self.max_body_bytes,
            cors: crate::cors::AllowedOrigins::for_host(&self.cors_origins, &self.host),
            control: ControlAccess::for_host(&self.host, self.control_token, self.control_open)
                .map_err(Error)?,
        };
        // Without a seed, sessions still draw different ids (and faults), just not the same
        // ones on every run.
        let session_seed = self.seed.unwrap_or_else(rand::random);
        let limits = Limits {
            max_sessions: self.limits.max_sessions.max(1),
            ..self.limits
        };
        let mut app = App::with_table(contract, table, state, settings)
            .with_sessions(session_seed, limits)
            .with_scenarios(library, self.scenarios)
            .map_err(Error)?;
        if let Some(auth) = self.auth {
            app = app.with_auth(auth);
        }
        if let Some(format) = self.log {
            app = app.with_log(Log::to(std::io::stderr(), format));
        }
        crate::upstream::attach(self.upstream, app).map_err(Error)
    }
}
