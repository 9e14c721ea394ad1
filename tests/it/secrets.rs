//! Secrets go in and never come out: OAuth client secrets and token values given to any method
//! appear in no later response of any method, neither as text nor as base64, and the stored
//! `oauth.encryptedClientSecret` is an opaque value that changes with the secret.

use crate::support::{TestServer, EXAMPLE_ID};
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde_json::{json, Value};

const GCP: &str = "07503cd0-8150-42b7-8429-5bf8513241c9";
const SCM_SECRET: &str = "scm-create-secret-Q9x7Lm2P";
const SCM_SECRET_2: &str = "scm-update-secret-Z3k8Vb1R";
const TOKEN: &str = "ghp_createTokenValue_A1b2C3";
const REFRESH: &str = "ghr_createRefresh_D4e5F6";
const TOKEN_2: &str = "ghp_updateTokenValue_G7h8I9";
const REFRESH_2: &str = "ghr_updateRefresh_J1k2L3";
const SECRETS: [&str; 6] = [SCM_SECRET, SCM_SECRET_2, TOKEN, REFRESH, TOKEN_2, REFRESH_2];

/// Strings that would give `secret` away: itself, and its base64 in both alphabets at each of the
/// three alignments it can have inside a longer base64 text.
fn needles(secret: &str) -> Vec<String> {
    let mut out = vec![secret.to_string()];
    for skip in 0..3 {
        let tail = &secret.as_bytes()[skip..];
        let whole = &tail[..tail.len() / 3 * 3];
        out.push(STANDARD_NO_PAD.encode(whole));
        out.push(URL_SAFE_NO_PAD.encode(whole));
    }
    out
}

/// Records every response body a test sees, then checks none gives a secret away.
#[derive(Default)]
struct Transcript(Vec<(String, String)>);

impl Transcript {
    async fn call(&mut self, server: &TestServer, method: &str, body: Value) -> Value {
        let reply = server.call(method, body).await;
        self.0.push((method.to_string(), reply.text()));
        reply.json()
    }

    async fn ok(&mut self, server: &TestServer, method: &str, body: Value) -> Value {
        let reply = self.call(server, method, body.clone()).await;
        assert!(reply.get("code").is_none(), "{method} {body}: {reply}");
        reply
    }

    /// Every Get and List of the service, over all the data the server holds.
    async fn sweep(&mut self, server: &TestServer) {
        let page = json!({"pagination": {"pageSize": 100}});
        for (list, field, get, key) in [
            (
                "ListSCMIntegrations",
                "integrations",
                "GetSCMIntegration",
                "id",
            ),
            (
                "ListHostAuthenticationTokens",
                "tokens",
                "GetHostAuthenticationToken",
                "id",
            ),
            (
                "ListEnvironmentClasses",
                "environmentClasses",
                "GetEnvironmentClass",
                "environmentClassId",
            ),
        ] {
            let rows = self.ok(server, list, page.clone()).await[field]
                .as_array()
                .unwrap()
                .clone();
            assert!(!rows.is_empty(), "{list}");
            for row in rows {
                self.ok(server, get, json!({ key: row["id"] })).await;
            }
        }
        for runner in [EXAMPLE_ID, GCP] {
            self.ok(
                server,
                "GetRunnerConfigurationSchema",
                json!({"runnerId": runner}),
            )
            .await;
        }
    }

    fn assert_clean(&self) {
        assert!(
            self.0.len() > 20,
            "the sweep saw too little: {}",
            self.0.len()
        );
        for secret in SECRETS {
            for needle in needles(secret) {
                for (method, body) in &self.0 {
                    assert!(
                        !body.contains(&needle),
                        "{method} gives {secret:?} away as {needle:?}: {body}"
                    );
                }
            }
        }
    }
}

fn encrypted(integration: &Value) -> String {
    let secret = integration["integration"]["oauth"]["encryptedClientSecret"].as_str();
    secret
        .unwrap_or_else(|| panic!("no encrypted secret in {integration}"))
        .to_string()
}

#[tokio::test]
async fn scm_client_secrets_never_come_back_and_their_ciphertext_changes() {
    let server = TestServer::start().await;
    let mut seen = Transcript::default();
    let create = json!({"runnerId": GCP, "scmId": "github", "host": "ghe.example.com", "oauthClientId": "cid", "oauthPlaintextClientSecret": SCM_SECRET});
    let id = seen
        .ok(&server, "CreateSCMIntegration", create.clone())
        .await["id"]
        .clone();
    let get = json!({"id": id});
    let first = encrypted(&seen.ok(&server, "GetSCMIntegration", get.clone()).await);
    // The ciphertext is base64 that decodes, and the plaintext is not inside it.
    let bytes = STANDARD
        .decode(&first)
        .expect("encryptedClientSecret is base64 bytes");
    assert!(!bytes.is_empty());
    assert!(!bytes
        .windows(SCM_SECRET.len())
        .any(|w| w == SCM_SECRET.as_bytes()));

    // Refused calls that carry a secret do not echo it either.
    seen.call(&server, "CreateSCMIntegration", create).await; // already_exists
    let refused = json!({"runnerId": "", "scmId": "github", "host": "x", "oauthClientId": "c", "oauthPlaintextClientSecret": SCM_SECRET});
    seen.call(&server, "CreateSCMIntegration", refused).await;

    // Changing only the client id keeps the ciphertext; a new secret replaces it.
    seen.ok(
        &server,
        "UpdateSCMIntegration",
        json!({"id": id, "oauthClientId": "cid-2"}),
    )
    .await;
    assert_eq!(
        encrypted(&seen.ok(&server, "GetSCMIntegration", get.clone()).await),
        first
    );
    seen.ok(
        &server,
        "UpdateSCMIntegration",
        json!({"id": id, "oauthPlaintextClientSecret": SCM_SECRET_2}),
    )
    .await;
    let second = encrypted(&seen.ok(&server, "GetSCMIntegration", get.clone()).await);
    assert!(!second.is_empty());
    assert_ne!(second, first, "a new secret gives a new ciphertext");

    // An existing fixture integration gets a new secret too.
    let fixture = json!({"id": EXAMPLE_ID});
    let before = encrypted(&seen.ok(&server, "GetSCMIntegration", fixture.clone()).await);
    seen.ok(
        &server,
        "UpdateSCMIntegration",
        json!({"id": EXAMPLE_ID, "oauthClientId": "new", "oauthPlaintextClientSecret": SCM_SECRET}),
    )
    .await;
    assert_ne!(
        encrypted(&seen.ok(&server, "GetSCMIntegration", fixture).await),
        before
    );

    let validate = json!({"runnerId": EXAMPLE_ID, "scmIntegration": {"scmId": "github", "host": "github.com", "oauthClientId": "c", "oauthPlaintextClientSecret": SCM_SECRET_2}});
    seen.ok(&server, "ValidateRunnerConfiguration", validate)
        .await;
    seen.sweep(&server).await;
    seen.assert_clean();
}

#[tokio::test]
async fn token_values_never_come_back() {
    let server = TestServer::start().await;
    let mut seen = Transcript::default();
    let create = json!({"runnerId": EXAMPLE_ID, "host": "github.com", "token": TOKEN, "refreshToken": REFRESH, "source": "HOST_AUTHENTICATION_TOKEN_SOURCE_OAUTH", "scopes": ["repo"]});
    let created = seen
        .ok(&server, "CreateHostAuthenticationToken", create)
        .await;
    let id = created["token"]["id"].clone();
    assert!(
        created["token"].get("token").is_none() && created["token"].get("refreshToken").is_none(),
        "{created}"
    );
    let update = json!({"id": id, "token": TOKEN_2, "refreshToken": REFRESH_2});
    seen.ok(&server, "UpdateHostAuthenticationToken", update)
        .await;
    // A fixture token updated with new values, and refused calls carrying values.
    let update = json!({"id": EXAMPLE_ID, "token": TOKEN, "refreshToken": REFRESH_2});
    seen.ok(&server, "UpdateHostAuthenticationToken", update)
        .await;
    let refused =
        json!({"runnerId": "nope", "host": "", "token": TOKEN_2, "refreshToken": REFRESH});
    seen.call(&server, "CreateHostAuthenticationToken", refused)
        .await;
    let missing = json!({"id": "55555555-5555-4555-8555-555555555555", "token": TOKEN, "refreshToken": REFRESH});
    seen.call(&server, "UpdateHostAuthenticationToken", missing)
        .await;
    seen.sweep(&server).await;
    seen.assert_clean();
}

#[test]
fn the_needles_find_a_secret_inside_longer_base64() {
    // The check above is only as good as its needles: a secret at any offset inside a larger
    // encoded blob is caught.
    for prefix in ["", "a", "ab", "abc"] {
        let blob = STANDARD.encode(format!("{prefix}{SCM_SECRET}tail"));
        assert!(
            needles(SCM_SECRET)
                .iter()
                .any(|n| blob.contains(n.as_str())),
            "{prefix:?}"
        );
    }
}

/// A contract of the user's own whose resource holds a secret: a Create in the id-field style
/// that answers the resource.
const KEYRING: &str = r#"syntax = "proto3";
package keyring.v1;
message Key { string id = 1; string label = 2; string private_key = 3; Auth auth = 4; }
message Auth { string user = 1; string pin = 2 [debug_redact = true]; }
message CreateKeyRequest { string label = 1; string private_key = 2; Auth auth = 3; }
message CreateKeyResponse { Key key = 1; }
message GetKeyRequest { string key_id = 1; }
message GetKeyResponse { Key key = 1; }
service KeyringService {
  rpc CreateKey(CreateKeyRequest) returns (CreateKeyResponse);
  rpc GetKey(GetKeyRequest) returns (GetKeyResponse);
}
"#;

#[test]
fn a_resource_of_any_contract_never_answers_the_secrets_it_was_given() {
    use crate::support::request;
    let server = crate::calls::serving("keyring", KEYRING);
    let json = [("content-type", "application/json")];
    let call = |method: &str, body: Value| -> Value {
        let line = format!("POST /keyring.v1.KeyringService/{method}");
        let reply = server
            .send(request(&line, &json, body.to_string()))
            .unwrap();
        let reply = reply.reply.unwrap();
        assert_eq!(reply.status, 200, "{method}");
        serde_json::from_slice(&reply.body).unwrap()
    };
    let given = json!({"label": "deploy", "privateKey": "pk-secret-1", "auth": {"user": "ada", "pin": "pin-secret-2"}});
    let created = call("CreateKey", given);
    let id = created["key"]["id"].as_str().expect("an id").to_string();
    let got = call("GetKey", json!({"keyId": id}));
    for answer in [&created, &got] {
        assert!(!answer.to_string().contains("-secret-"), "{answer}");
        assert_eq!(answer["key"]["label"], "deploy", "{answer}");
        assert_eq!(answer["key"]["auth"]["user"], "ada", "{answer}");
    }
}
