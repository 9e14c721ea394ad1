//! The API contract, loaded once at startup from the descriptor set compiled out of
//! `contract/*.proto`: the service's procedures, their messages, derived JSON Schemas, the
//! compiled request validators and the plans the codec's fast JSON encoder follows. `source`
//! loads a user's contract instead: a `.proto` directory or a descriptor set.

mod checks;
pub mod conventions;
pub mod handler_rules;
pub(crate) mod json_plan;
pub mod rules;
pub mod sample;
pub mod schema;
pub mod source;
mod validate;
pub mod violations;

pub use validate::Violation;

use prost_reflect::{
    DescriptorPool, ExtensionDescriptor, FieldDescriptor, MessageDescriptor, MethodDescriptor,
};
use rustc_hash::FxHashMap as HashMap;
use serde_json::Value;

/// The compiled contract, embedded by build.rs.
const DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/contract.bin"));

/// The service the mock serves.
pub const SERVICE: &str = "gitpod.v1.RunnerConfigurationService";

/// The contract's descriptors alone, decoded once per process, for code that needs message
/// types without a loaded [`Contract`] (a state import checks its rows with them).
pub fn descriptors() -> &'static DescriptorPool {
    static POOL: std::sync::OnceLock<DescriptorPool> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        DescriptorPool::decode(DESCRIPTOR_SET).expect("build.rs embeds a valid descriptor set")
    })
}

/// One RPC of a service as the contract describes it.
#[derive(Debug, Clone)]
pub struct Procedure {
    /// The method name, e.g. `GetSCMIntegration`.
    pub name: String,
    /// The service's full name, e.g. `gitpod.v1.RunnerConfigurationService`.
    pub service: String,
    pub method: MethodDescriptor,
    /// The Connect path, e.g. `/gitpod.v1.RunnerConfigurationService/GetSCMIntegration`.
    pub path: String,
    pub input: MessageDescriptor,
    pub output: MessageDescriptor,
    /// False for methods marked `NO_SIDE_EFFECTS` (every Get and List), which Connect GET may call.
    pub side_effects: bool,
}

/// The loaded contract: descriptors, procedures, schemas, validators and encoding plans, built
/// once.
pub struct Contract {
    pool: DescriptorPool,
    /// Whether this is the embedded Gitpod contract, served with its hand-built profile alone.
    builtin: bool,
    procedures: Vec<Procedure>,
    field_ext: ExtensionDescriptor,
    validators: HashMap<String, validate::RequestValidator>,
    /// What JSON Schema cannot state, compiled per message type: the second pass.
    checks: checks::Checks,
    /// Every field's `(buf.validate.field)` rules, by the field's full name, read once.
    field_rules: HashMap<String, rules::FieldRules>,
    /// `invalid_argument` errors already rendered, by violation set.
    rendered: violations::Rendered,
    /// How to write each message as JSON without asking the descriptors.
    plans: json_plan::Plans,
}

impl Contract {
    /// Loads the embedded contract and compiles a validator for every request message.
    pub fn load() -> Contract {
        let pool =
            DescriptorPool::decode(DESCRIPTOR_SET).expect("build.rs embeds a valid descriptor set");
        let mut contract =
            Contract::from_pool(pool, &[SERVICE]).expect("the embedded contract is complete");
        contract.builtin = true;
        contract
    }

    /// Whether this is the embedded contract (no `--contract`).
    pub fn is_builtin(&self) -> bool {
        self.builtin
    }

    /// The full names of the services whose methods are the contract's procedures, in order.
    pub fn services(&self) -> Vec<&str> {
        let mut services: Vec<&str> = Vec::new();
        for p in &self.procedures {
            if !services.contains(&p.service.as_str()) {
                services.push(&p.service);
            }
        }
        services
    }

    /// The contract of `services` in `pool`, or of every API service it declares when
    /// `services` is empty (not gRPC reflection and health, which the server answers itself),
    /// with its validators and encoding plans.
    pub fn from_pool(mut pool: DescriptorPool, services: &[&str]) -> Result<Contract, String> {
        if pool.get_extension_by_name("buf.validate.field").is_none() {
            // A contract without rules: the built-in validate.proto, so rules read as none.
            let validate = descriptors()
                .get_file_by_name("buf/validate/validate.proto")
                .ok_or("the built-in contract holds buf/validate/validate.proto")?;
            add_with_imports(&mut pool, &validate)?;
        }
        // The server answers reflection and health itself, from the contract's pool.
        for own in [
            "grpc/health/v1/health.proto",
            "grpc/reflection/v1/reflection.proto",
            "grpc/reflection/v1alpha/reflection.proto",
        ] {
            let file = descriptors()
                .get_file_by_name(own)
                .ok_or("the built-in contract holds gRPC reflection and health")?;
            add_with_imports(&mut pool, &file)?;
        }
        let field_ext = pool
            .get_extension_by_name("buf.validate.field")
            .ok_or("buf/validate/validate.proto declares no buf.validate.field")?;
        if let Some(missing) = services
            .iter()
            .find(|s| pool.get_service_by_name(s).is_none())
        {
            return Err(format!("the contract declares no service {missing}"));
        }
        let wanted = |name: &str| match services {
            [] => !name.starts_with("grpc.reflection.") && !name.starts_with("grpc.health."),
            _ => services.contains(&name),
        };
        let procedures: Vec<Procedure> = pool
            .services()
            .filter(|s| wanted(s.full_name()))
            .flat_map(|s| s.methods().map(|m| procedure(&m)).collect::<Vec<_>>())
            .collect();
        if procedures.is_empty() {
            return Err("the contract declares no service with methods".into());
        }
        let field_rules = pool
            .all_messages()
            .flat_map(|m| m.fields().collect::<Vec<_>>())
            .map(|f| {
                (
                    f.full_name().to_string(),
                    rules::FieldRules::of(&f, &field_ext),
                )
            })
            .filter(|(_, rules)| !rules.is_empty() || rules.ignore_if_zero_value)
            .collect();
        let plans = json_plan::Plans::build(&pool);
        let checks = checks::Checks::build(&pool)?;
        let mut contract = Contract {
            pool,
            builtin: false,
            procedures,
            field_ext,
            validators: HashMap::default(),
            checks,
            field_rules,
            rendered: violations::Rendered::default(),
            plans,
        };
        for procedure in &contract.procedures {
            let validator = validate::RequestValidator::new(&contract, &procedure.input)?;
            contract
                .validators
                .insert(procedure.input.full_name().to_string(), validator);
        }
        Ok(contract)
    }

    /// Compiles the response messages' validators too, so `validate_request` checks answers.
    pub fn compile_response_validators(&mut self) -> Result<(), String> {
        let outputs: Vec<_> = self.procedures.iter().map(|p| p.output.clone()).collect();
        for output in outputs {
            let validator = validate::RequestValidator::new(self, &output)?;
            let name = output.full_name().to_string();
            self.validators.entry(name).or_insert(validator);
        }
        Ok(())
    }

    /// The validation rules of `field` (empty when it has none).
    pub fn rules_of(&self, field: &FieldDescriptor) -> &rules::FieldRules {
        static NONE: rules::FieldRules = rules::FieldRules {
            rules: Vec::new(),
            ignore_if_zero_value: false,
            ignore_always: false,
            items: None,
        };
        self.field_rules.get(field.full_name()).unwrap_or(&NONE)
    }

    pub fn procedures(&self) -> &[Procedure] {
        &self.procedures
    }

    pub fn procedure(&self, name: &str) -> Option<&Procedure> {
        self.procedures.iter().find(|p| p.name == name)
    }

    /// A procedure named by a person: exactly, or in any case, snake_case included
    /// (`getscmintegration`, `get_scm_integration`); None when two services' methods share
    /// the name.
    pub fn procedure_named(&self, name: &str) -> Option<&Procedure> {
        let folded = |n: &str| n.replace(['_', '-'], "").to_ascii_lowercase();
        let exact: Vec<&Procedure> = self.procedures.iter().filter(|p| p.name == name).collect();
        if !exact.is_empty() {
            return only(exact);
        }
        let wanted = folded(name);
        only(
            self.procedures
                .iter()
                .filter(|p| folded(&p.name) == wanted)
                .collect(),
        )
    }

    /// ` (did you mean "GetSCMIntegration"?)` for a name a few letters off a method's, in
    /// any case; empty when no method is that close.
    pub fn method_hint(&self, name: &str) -> String {
        let wanted = name.to_ascii_lowercase();
        let nearest = self
            .procedures
            .iter()
            .map(|p| {
                (
                    strsim::levenshtein(&wanted, &p.name.to_ascii_lowercase()),
                    &p.name,
                )
            })
            .min();
        match nearest {
            Some((distance, method)) if distance <= (wanted.len() / 4).max(2) => {
                format!(" (did you mean {method:?}?)")
            }
            _ => String::new(),
        }
    }

    pub fn message(&self, full_name: &str) -> Option<MessageDescriptor> {
        self.pool.get_message_by_name(full_name)
    }

    pub fn pool(&self) -> &DescriptorPool {
        &self.pool
    }

    /// The fast JSON encoder's plans for this contract's messages.
    pub(crate) fn plans(&self) -> &json_plan::Plans {
        &self.plans
    }

    fn builder(&self, with_rules: bool) -> schema::SchemaBuilder<'_> {
        schema::SchemaBuilder {
            field_ext: &self.field_ext,
            openapi_ext: None,
            with_rules,
            strict: true,
            published: false,
        }
    }

    /// The JSON Schema of a request message with the service's validation rules: what the
    /// validator checks a canonical request against.
    pub fn request_schema(&self, message: &MessageDescriptor) -> Value {
        self.builder(true).document(message)
    }

    /// The JSON Schema of a request message as published to clients: the validation rules, the
    /// rules only handlers enforce, `null` for unset fields, and unknown fields and enum names
    /// allowed unless the server is `strict` (connect-go drops both by default). A request valid by it is one
    /// the server accepts, stored data permitting.
    pub fn published_request_schema(&self, message: &MessageDescriptor, strict: bool) -> Value {
        let mut builder = self.builder(true);
        builder.strict = strict;
        builder.published = true;
        builder.document(message)
    }

    /// The JSON Schema of a response (or fixture) message: shape and required ids, no rules.
    pub fn response_schema(&self, message: &MessageDescriptor) -> Value {
        let openapi = self.pool.get_extension_by_name("gnostic.openapi.v3.schema");
        let mut builder = self.builder(false);
        builder.openapi_ext = openapi.as_ref();
        builder.document(message)
    }

    /// Checks a canonical request against its message's rules: every violation, in field order.
    pub fn validate_request(
        &self,
        message: &MessageDescriptor,
        canonical: &Value,
    ) -> Result<(), Vec<Violation>> {
        let schema = match self.validators.get(message.full_name()) {
            Some(validator) => validator.check(self, message, canonical),
            None => Ok(()),
        };
        self.second_pass(schema, message, canonical)
    }
}

impl Contract {
    /// A checker of any message of the contract (fixture records, say) against its rules,
    /// with the message's validator compiled once, unless it is a request's and compiled
    /// already: meant for startup, not for every call.
    pub fn message_checker(&self, message: &MessageDescriptor) -> MessageChecker<'_> {
        let compiled = match self.validators.contains_key(message.full_name()) {
            true => None,
            false => Some(validate::RequestValidator::new(self, message)),
        };
        MessageChecker {
            contract: self,
            message: message.clone(),
            compiled,
        }
    }
}

/// Checks messages of one type against the contract's rules (see [`Contract::message_checker`]).
pub struct MessageChecker<'a> {
    contract: &'a Contract,
    message: MessageDescriptor,
    /// None when the contract's own request validator applies.
    compiled: Option<Result<validate::RequestValidator, String>>,
}

impl MessageChecker<'_> {
    /// Every violation of the rules in a canonical message, in field order.
    pub fn check(&self, canonical: &Value) -> Result<(), Vec<Violation>> {
        let (contract, message) = (self.contract, &self.message);
        match &self.compiled {
            None => contract.validate_request(message, canonical),
            Some(Ok(validator)) => {
                let schema = validator.check(contract, message, canonical);
                contract.second_pass(schema, message, canonical)
            }
            // A schema that does not compile is the mock's bug, reported as a violation of
            // the whole message rather than a crash.
            Some(Err(why)) => Err(vec![Violation {
                rule_id: "schema".into(),
                message: why.clone(),
                ..Violation::default()
            }]),
        }
    }
}

/// Adds `file` to `pool`, each of its imports first, skipping files the pool already holds.
fn add_with_imports(
    pool: &mut DescriptorPool,
    file: &prost_reflect::FileDescriptor,
) -> Result<(), String> {
    if pool.get_file_by_name(file.name()).is_some() {
        return Ok(());
    }
    for import in file.dependencies() {
        add_with_imports(pool, &import)?;
    }
    pool.add_file_descriptor_proto(file.file_descriptor_proto().clone())
        .map_err(|e| format!("cannot add {} to the contract: {e}", file.name()))
}

/// The one procedure found, or None for none or several.
fn only(mut found: Vec<&Procedure>) -> Option<&Procedure> {
    match found.len() {
        1 => found.pop(),
        _ => None,
    }
}

fn procedure(method: &MethodDescriptor) -> Procedure {
    // IdempotencyLevel::NoSideEffects is 1 in descriptor.proto.
    let level = method
        .method_descriptor_proto()
        .options
        .as_ref()
        .and_then(|o| o.idempotency_level);
    Procedure {
        name: method.name().to_string(),
        service: method.parent_service().full_name().to_string(),
        method: method.clone(),
        path: format!("/{}/{}", method.parent_service().full_name(), method.name()),
        input: method.input(),
        output: method.output(),
        side_effects: level != Some(1),
    }
}

#[cfg(test)]
mod tests;
