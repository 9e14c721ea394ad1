//! Sessions following the fixture files: when `serve --watch` reloads them, every session that
//! has not changed its data starts over from the new files, and the others keep their own.

use super::{state_seed, Session, Sessions};
use crate::scenario::session_seed;
use crate::store::State;

impl Session {
    /// Whether the session still follows the fixture files: no call or import has changed
    /// its data.
    pub fn follows_files(&self) -> bool {
        !self.wrote
    }

    /// Notes that a call changed (or may have changed) the session's data, so a reload of the
    /// fixture files leaves it as it is.
    pub fn mark_written(&mut self) {
        self.wrote = true;
    }

    /// Starts the session's data over from `template`, as a new session of its id would; its
    /// journal, coverage, scenario counters and switched-on scenarios stay.
    fn restart_from(&mut self, mut template: State, server_seed: u64) {
        template.reseed(state_seed(session_seed(server_seed, &self.id)));
        self.start_records = template.records();
        self.state = template;
    }
}

impl Sessions {
    /// Makes `template` the state new sessions start from, and restarts every existing session
    /// that still follows the files from it. Returns how many sessions followed.
    ///
    /// Each session is locked on its own, so a call on another session is not held up; a
    /// session that writes while the template is being swapped either wrote first (and keeps
    /// its data) or writes on the new data.
    pub fn follow(&self, template: State) -> usize {
        self.set_template(template.clone());
        let mut followed = 0;
        for session in self.existing() {
            if !session.lock().follows_files() {
                continue;
            }
            // Copied before the session is locked again, so a large state's copy does not hold
            // up its calls; a call that wrote meanwhile keeps its data.
            let copy = template.clone();
            let mut session = session.lock();
            if session.follows_files() {
                session.restart_from(copy, self.seed);
                followed += 1;
            }
        }
        followed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::Limits;
    use crate::store::records::EnvironmentClass;
    use crate::store::Fixtures;

    fn template_with(display_name: &str) -> State {
        let mut state = State::new(&Fixtures::default(), Some(1));
        state
            .table_mut::<EnvironmentClass>()
            .insert(EnvironmentClass {
                id: "class-1".into(),
                display_name: display_name.into(),
                ..Default::default()
            });
        state
    }

    fn display_name(sessions: &Sessions, id: &str) -> String {
        let session = sessions.get(id);
        let session = session.lock();
        let class = session.state.table::<EnvironmentClass>().get("class-1");
        class.map(|c| c.display_name.clone()).unwrap_or_default()
    }

    #[test]
    fn untouched_sessions_follow_the_new_template_and_written_ones_keep_their_data() {
        let sessions = Sessions::new(template_with("old"), 1, Limits::default());
        sessions.get("untouched");
        sessions.get("wrote").lock().mark_written();
        assert_eq!(sessions.follow(template_with("new")), 1);
        assert_eq!(display_name(&sessions, "untouched"), "new");
        assert_eq!(display_name(&sessions, "wrote"), "old");
        assert_eq!(display_name(&sessions, "made-after"), "new");
        assert!(sessions.get("untouched").lock().follows_files());
        assert!(!sessions.get("wrote").lock().follows_files());
    }

    #[test]
    fn a_restarted_session_draws_the_ids_a_new_session_of_its_id_would() {
        let sessions = Sessions::new(template_with("old"), 1, Limits::default());
        sessions.get("a");
        sessions.follow(template_with("new"));
        let restarted = sessions.get("a").lock().state.new_id();
        sessions.drop_session("a");
        assert_eq!(sessions.get("a").lock().state.new_id(), restarted);
    }

    #[test]
    fn an_import_is_a_write() {
        let sessions = Sessions::new(template_with("old"), 1, Limits::default());
        let empty = serde_json::json!({});
        sessions.get("a").lock().import(&empty).unwrap();
        assert_eq!(sessions.follow(template_with("new")), 0);
        assert_eq!(
            display_name(&sessions, "a"),
            "",
            "the imported (empty) data stays"
        );
    }
}
