use super::*;
use crate::contract::conventions::{classify, Behaviour};
use prost_reflect::{DescriptorPool, MessageDescriptor};

/// The resource method `name` of `service`, and its request message.
fn method(pool: &DescriptorPool, service: &str, name: &str) -> (ResourceMethod, MessageDescriptor) {
    let service = pool.get_service_by_name(service).unwrap();
    let m = service.methods().find(|m| m.name() == name).unwrap();
    match classify(&m) {
        Behaviour::Resource(r) => (r, m.input()),
        other => panic!("{name}: {other:?}"),
    }
}

/// `body` as the canonical request of `desc`, as the RPC path hands requests on.
fn canonical(desc: &MessageDescriptor, body: Value) -> Value {
    crate::codec::canonical(&crate::codec::to_message(desc, body).unwrap())
}

struct Api {
    pool: DescriptorPool,
    service: &'static str,
    resources: Resources,
    ids: u32,
}

impl Api {
    fn call(&mut self, name: &str, body: Value) -> Result<Value, RpcError> {
        let (method, input) = method(&self.pool, self.service, name);
        let request = canonical(&input, body);
        let ids = &mut self.ids;
        let mut new_id = || {
            *ids += 1;
            format!("00000000-0000-4000-8000-{:012}", *ids)
        };
        let stamp = Stamp {
            new_id: &mut new_id,
            now: "2026-12-02T04:00:00Z",
        };
        let reply = self.resources.call(&method, &request, stamp)?;
        Ok(serde_json::to_value(reply).expect("a reply serializes"))
    }
}

#[test]
fn aip_resources_are_created_read_paged_updated_by_mask_and_deleted() {
    let mut api = Api {
        pool: crate::contract::conventions::tests::library(),
        service: "library.v1.LibraryService",
        resources: Resources::default(),
        ids: 0,
    };
    let made = api
        .call(
            "CreateShelf",
            json!({"shelfId": "fiction", "shelf": {"theme": "novels"}}),
        )
        .unwrap();
    assert_eq!(made, json!({"name": "shelves/fiction", "theme": "novels"}));
    let again = api.call("CreateShelf", json!({"shelfId": "fiction", "shelf": {}}));
    assert_eq!(again.unwrap_err().code, crate::error::Code::AlreadyExists);
    let other = api
        .call("CreateShelf", json!({"shelf": {"theme": "poems"}}))
        .unwrap();
    assert_eq!(
        other["name"],
        "shelves/00000000-0000-4000-8000-000000000001"
    );

    let got = api
        .call("GetShelf", json!({"name": "shelves/fiction"}))
        .unwrap();
    assert_eq!(got["theme"], "novels");
    let first = api.call("ListShelves", json!({"pageSize": 1})).unwrap();
    assert_eq!(first["shelves"].as_array().unwrap().len(), 1);
    let token = first["nextPageToken"].as_str().unwrap().to_string();
    assert!(!token.is_empty());
    let second = api
        .call("ListShelves", json!({"pageSize": 1, "pageToken": token}))
        .unwrap();
    assert_eq!(second["shelves"][0]["theme"], "poems");
    assert_eq!(second["nextPageToken"], "");

    // Only the masked field changes; without a mask, every field the body holds.
    let masked =
        json!({"shelf": {"name": "shelves/fiction", "theme": "crime"}, "updateMask": "name"});
    assert_eq!(api.call("UpdateShelf", masked).unwrap()["theme"], "novels");
    let whole = json!({"shelf": {"name": "shelves/fiction", "theme": "crime"}});
    assert_eq!(api.call("UpdateShelf", whole).unwrap()["theme"], "crime");

    assert_eq!(
        api.call("DeleteShelf", json!({"name": "shelves/fiction"}))
            .unwrap(),
        json!({})
    );
    let gone = api
        .call("GetShelf", json!({"name": "shelves/fiction"}))
        .unwrap_err();
    assert_eq!(gone.code, crate::error::Code::NotFound);
    assert_eq!(api.resources.counts()["library.v1.Shelf"], 1);
}

#[test]
fn id_field_resources_answer_in_their_wrappers_filter_and_update_what_is_set() {
    let mut api = Api {
        pool: crate::contract::descriptors().clone(),
        service: crate::contract::SERVICE,
        resources: Resources::default(),
        ids: 0,
    };
    let runner = "d2c94c27-3b76-4a42-b88c-95a85e392c68";
    let create = |endpoint: &str, runner_id: &str| json!({"runnerId": runner_id, "models": ["SUPPORTED_MODEL_SONNET_3_7"], "endpoint": endpoint});
    let made = api
        .call(
            "CreateLLMIntegration",
            create("https://a.example.com", runner),
        )
        .unwrap();
    let id = made["id"].as_str().unwrap().to_string();
    assert_eq!(
        made,
        json!({"id": id}),
        "this style's Create answers the id alone"
    );
    let other = "11111111-1111-4111-8111-111111111111";
    api.call(
        "CreateLLMIntegration",
        create("https://b.example.com", other),
    )
    .unwrap();

    let got = api.call("GetLLMIntegration", json!({"id": id})).unwrap();
    assert_eq!(got["integration"]["endpoint"], "https://a.example.com");
    let listed = api
        .call(
            "ListLLMIntegrations",
            json!({"filter": {"runnerIds": [runner]}}),
        )
        .unwrap();
    let endpoints: Vec<&Value> = listed["integrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["endpoint"])
        .collect();
    assert_eq!(endpoints, [&json!("https://a.example.com")]);
    assert_eq!(listed["pagination"]["nextToken"], "");

    // An optional field set is changed; one left out keeps its value.
    let update = json!({"id": id, "endpoint": "https://c.example.com"});
    assert_eq!(api.call("UpdateLLMIntegration", update).unwrap(), json!({}));
    let got = api.call("GetLLMIntegration", json!({"id": id})).unwrap();
    assert_eq!(got["integration"]["endpoint"], "https://c.example.com");
    assert_eq!(got["integration"]["runnerId"], runner);

    let missing = api.call("GetLLMIntegration", json!({"id": other.replace('1', "2")}));
    assert_eq!(missing.unwrap_err().code, crate::error::Code::NotFound);
}

#[test]
fn every_sessions_table_of_a_resource_shares_one_interned_name() {
    let pool = crate::contract::conventions::tests::library();
    let shelf = pool.get_message_by_name("library.v1.Shelf").unwrap();
    assert!(std::ptr::eq(kind_of(shelf.name()), kind_of(shelf.name())));
    assert_eq!(kind_of(shelf.name()), "shelf");
}

#[test]
fn a_get_answers_the_stored_record_itself_not_a_copy() {
    let pool = crate::contract::conventions::tests::library();
    let mut resources = Resources::default();
    let (create, input) = method(&pool, "library.v1.LibraryService", "CreateShelf");
    let request = canonical(
        &input,
        json!({"shelfId": "fiction", "shelf": {"theme": "novels"}}),
    );
    let mut new_id = || "unused".to_string();
    let now = "2026-12-02T04:00:00Z";
    let stamp = Stamp {
        new_id: &mut new_id,
        now,
    };
    resources.call(&create, &request, stamp).unwrap();
    let (get, input) = method(&pool, "library.v1.LibraryService", "GetShelf");
    let request = canonical(&input, json!({"name": "shelves/fiction"}));
    let stamp = Stamp {
        new_id: &mut new_id,
        now,
    };
    let Reply::Record { record, .. } = resources.call(&get, &request, stamp).unwrap() else {
        panic!("a Get answers a record");
    };
    let stored = resources.tables["library.v1.Shelf"]
        .shared("shelves/fiction")
        .unwrap();
    assert!(Arc::ptr_eq(&record, &stored));
}
