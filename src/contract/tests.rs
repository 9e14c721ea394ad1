use super::*;

#[test]
fn the_contract_has_the_real_services_methods_documented_or_not() {
    let contract = Contract::load();
    let (documented, uncovered) = (crate::service::METHODS, crate::service::UNCOVERED);
    assert_eq!(
        contract.procedures().len(),
        documented.len() + uncovered.len()
    );
    let get = contract.procedure("GetSCMIntegration").unwrap();
    assert_eq!(
        get.path,
        "/gitpod.v1.RunnerConfigurationService/GetSCMIntegration"
    );
    assert!(!get.side_effects);
    assert!(
        contract
            .procedure("CreateSCMIntegration")
            .unwrap()
            .side_effects
    );
}

#[test]
fn request_schemas_carry_the_rules() {
    let contract = Contract::load();
    let input = &contract.procedure("ListSCMIntegrations").unwrap().input;
    let schema = contract.request_schema(input);
    let filter =
        &schema["$defs"]["gitpod.v1.ListSCMIntegrationsRequest.Filter"]["properties"]["runnerIds"];
    assert_eq!(filter["maxItems"], 25);
    assert_eq!(filter["items"]["format"], "uuid");
    let page = &schema["$defs"]["gitpod.v1.PaginationRequest"]["properties"]["pageSize"];
    assert_eq!(
        (page["minimum"].clone(), page["maximum"].clone()),
        (0.into(), 100.into())
    );
}

#[test]
fn ignore_if_zero_value_checks_only_non_empty_values() {
    let contract = Contract::load();
    let input = &contract
        .procedure("CreateHostAuthenticationToken")
        .unwrap()
        .input;
    let schema = contract.request_schema(input);
    let user_id =
        &schema["$defs"]["gitpod.v1.CreateHostAuthenticationTokenRequest"]["properties"]["userId"];
    assert_eq!(user_id["then"]["format"], "uuid");
    assert_eq!(user_id["deprecated"], true);
}

#[test]
fn ignore_always_leaves_the_validate_request_and_what_it_holds_unchecked() {
    let contract = Contract::load();
    let input = &contract
        .procedure("ValidateRunnerConfiguration")
        .unwrap()
        .input;
    let schema = contract.request_schema(input).to_string();
    assert!(!schema.contains("\"format\":\"uuid\""), "{schema}");
    assert!(!schema.contains("minLength"), "{schema}");
}

#[test]
fn response_schemas_require_the_ids_the_contract_marks() {
    let contract = Contract::load();
    let output = &contract.procedure("GetEnvironmentClass").unwrap().output;
    let schema = contract.response_schema(output);
    assert_eq!(
        schema["$defs"]["gitpod.v1.EnvironmentClass"]["required"],
        serde_json::json!(["id", "runnerId"])
    );
}
